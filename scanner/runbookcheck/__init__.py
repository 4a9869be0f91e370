"""`preflight runbooks check`: would each step of these runbooks work today, in every place?

read the runbooks (steps.py, on runbooklint's Markdown and shell reading) -> what each step
needs (needs.py, over the declarative kinds.py) -> what its placeholders stand for
(binding.py) -> read the estate once (inventory.py: the scan's Collector plus log groups,
metrics and WAF IP sets) -> judge each step in each place (evaluation.py, pure) -> the
report (model.py), rendered by reports/runbooks_*.py.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import CheckResult, Readiness
    from .run import STEP_POLICY, check_runbooks

__all__ = ["STEP_POLICY", "CheckResult", "Readiness", "check_runbooks"]

# Every scan reads kinds.py (the config schema names the step kinds); importing the check's
# machinery with it cost about 0.2 s of CPU at start-up, so the package's names load on use.
_HOMES = {"CheckResult": ".model", "Readiness": ".model", "STEP_POLICY": ".run",
          "check_runbooks": ".run"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home, __name__), name)
