"""The drill's settings: the optional ``drill:`` and ``history:`` keys of preflight.yml.

```yaml
drill:
  target: 90          # readiness score target, percent of the possible score
  rto_minutes: 240    # recovery time objective, for the sign-off block
  rpo_minutes: 60     # recovery point objective: tables whose restore point is older fail
history: preflight.db # history store every drill (and `scan --history`) records into
```

They are read from the config file's raw YAML and validated here (DRILL_CONFIG_SCHEMA,
HISTORY_CONFIG_SCHEMA), with file:line errors like the rest of the config. The scan config
itself still comes from preflight_scanner.config.load_config; until its schema lists these two keys,
``load_scan_config`` loads the file with them blanked out (lines kept, so every line number
in an error stays right).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..config import Config, load_config
from ..errors import InputError, Problem
from ..yamlfile import load_yaml
from .schema import DRILL_CONFIG_SCHEMA, HISTORY_CONFIG_SCHEMA

OWN_KEYS = ("drill", "history")
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


_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*|\"[^\"]*\"|'[^']*')\s*:")


def _blank_own_keys(text: str) -> str:
    """The config text with the drill:/history: blocks replaced by empty lines."""
    out: list[str] = []
    blanking = False
    for line in text.splitlines(keepends=True):
        match = _TOP_KEY.match(line)
        if match:
            blanking = match.group("key").strip("'\"") in OWN_KEYS
        elif line[:1] not in (" ", "\t", "#", "-", "\n", "\r", "") and not line.startswith("..."):
            blanking = False
        out.append(("\n" if line.endswith("\n") else "") if blanking else line)
    return "".join(out)


def load_scan_config(config_path: str | Path | None) -> Config:
    """scanner.config.load_config, tolerating the drill:/history: keys it may not know yet."""
    if config_path is None:
        return load_config(None)
    try:
        return load_config(config_path)
    except InputError as exc:
        if not any(_about_own_key(p) for p in exc.problems):
            raise
    # Only our keys upset it: load a copy without them, beside the original (relative
    # runbook directories resolve the same), and report the original's path.
    path = Path(config_path)
    text = _blank_own_keys(path.read_text(encoding="utf-8"))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".yml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            config = load_config(tmp)
        except InputError as exc:
            raise InputError([dataclasses.replace(p, path=str(config_path)) if p.path == tmp
                              else p for p in exc.problems]) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    document = config.document
    if document is not None:
        document = dataclasses.replace(document, path=str(config_path))
    return dataclasses.replace(config, source=str(config_path), document=document)


def _about_own_key(problem: Problem) -> bool:
    return "unknown key" in problem.message and any(
        f"'{key}'" in problem.message for key in OWN_KEYS)


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
