"""Small helpers shared by the moto-backed tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from preflight_scanner.models import Status
from preflight_scanner.policy.loader import builtin_policy_dir

# The tests read the pack the installed package ships (CI installs the wheel), so a policy or
# runbook missing from the package fails here, not on a user's machine.
BUILTIN_POLICIES = builtin_policy_dir()


def write_probe(tmp_path: Path, policy_id: str, resource: str | list[str], check: dict[str, Any],
                scope: dict[str, Any] | None = None, directory: str = "policies") -> Path:
    """A throwaway policy that reads attributes, in its own directory (returned).

    Its own directory, not tmp_path: the config file the `scan` fixture writes there would
    otherwise be loaded as a policy.
    """
    folder = tmp_path / directory
    folder.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "id": policy_id, "title": "probe", "description": "Reads attributes for a test.",
        "severity": "low", "resource": resource, "check": check, "runbook": "tests#probe",
    }
    if scope:
        doc["scope"] = scope
    (folder / f"{policy_id}.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder


def by_name(result, policy_id: str) -> dict[str, Any]:
    """A policy's findings by resource name; a resource reported twice is a failure."""
    found = [f for f in result.findings if f.policy_id == policy_id]
    names = [f.resource.name for f in found]
    assert len(names) == len(set(names)), f"a resource was reported twice: {names}"
    return {f.resource.name: f for f in found}


def statuses(result, policy_id: str) -> dict[str, Status]:
    return {name: f.status for name, f in by_name(result, policy_id).items()}
