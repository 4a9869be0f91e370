"""The drill's settings: the optional ``drill:`` and ``history:`` keys of preflight.yml.

```yaml
drill:
  target: 90          # readiness score target, percent of the possible score
  rto_minutes: 240    # recovery time objective, for the sign-off block
  rpo_minutes: 60     # recovery point objective: tables whose restore point is older fail
history: preflight.db # history store every drill (and `scan --history`) records into
```

They are read from the config file's raw YAML and validated here (DRILL_CONFIG_SCHEMA,
HISTORY_CONFIG_SCHEMA), with file:line errors like the rest of the config. The config's own
schema lists both keys, so the drill loads the scan config with config.load_config as is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..config import Config
from ..errors import InputError, Problem
from ..yamlfile import load_yaml
from .schema import DRILL_CONFIG_SCHEMA, HISTORY_CONFIG_SCHEMA

RPO_POLICY, RPO_PARAMETER = "dynamodb-recovery-point", "max_rpo_hours"


@dataclass(frozen=True)
class DrillSettings:
    target: float | None = None
    rto_minutes: float | None = None
    rpo_minutes: float | None = None
    history: str | None = None  # resolved against the config file's directory

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "rto_minutes": self.rto_minutes,
                "rpo_minutes": self.rpo_minutes}


def load_drill_settings(config_path: str | Path | None) -> DrillSettings:
    if config_path is None:
        return DrillSettings()
    doc = load_yaml(config_path)
    data = doc.data if isinstance(doc.data, dict) else {}
    problems: list[Problem] = []
    for key, schema in (("drill", DRILL_CONFIG_SCHEMA), ("history", HISTORY_CONFIG_SCHEMA)):
        if key not in data:
            continue
        for error in Draft202012Validator(schema).iter_errors(data[key]):
            pointer = (key, *error.absolute_path)
            where = "/".join(map(str, pointer))
            if error.validator == "additionalProperties":
                allowed = ", ".join(sorted(schema.get("properties", {})))
                problems.append(doc.problem(pointer, f"{where}: {error.message}",
                                            f"allowed keys here: {allowed}"))
            else:
                problems.append(doc.problem(pointer, f"{where}: {error.message}",
                                            "see the README's drill section"))
    if problems:
        raise InputError(problems)
    drill = data.get("drill") or {}
    history = data.get("history")
    if history is not None:
        history = str(Path(config_path).parent / Path(history).expanduser())
    return DrillSettings(drill.get("target"), drill.get("rto_minutes"), drill.get("rpo_minutes"),
                         history)


def with_rpo_target(config: Config, settings: DrillSettings) -> Config:
    """The drill's rpo_minutes as dynamodb-recovery-point's max_rpo_hours, for every
    environment the config does not already override."""
    if settings.rpo_minutes is None:
        return config
    everywhere = dict(config.parameters.get("*", {}))
    if RPO_PARAMETER in everywhere.get(RPO_POLICY, {}):
        return config
    everywhere[RPO_POLICY] = {**everywhere.get(RPO_POLICY, {}),
                              RPO_PARAMETER: settings.rpo_minutes / 60}
    return dataclasses.replace(config, parameters={**config.parameters, "*": everywhere})
