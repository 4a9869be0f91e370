"""The layout of a policy pack: where the built-in pack lives, and which of a pack's
folders hold YAML that is not a policy."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FRAMEWORKS = "frameworks"
# Folders of a policy directory that hold other YAML: runbooks, `preflight test` cases,
# framework mappings (judged relative to the directory given, so a pack kept under a
# folder named `tests` still loads).
NOT_POLICIES = frozenset({"runbooks", "tests", FRAMEWORKS})


def builtin_policy_dir() -> Path:
    # Read through importlib.resources: the pack is data inside this package, wherever the
    # package is installed, and no generic top-level module name is involved.
    return Path(str(resources.files("preflight_scanner.policies")))
