"""`preflight runbooks check`: would each step of these runbooks work today, in every place?

read the runbooks (steps.py, on runbooklint's Markdown and shell reading) -> what each step
needs (needs.py, over the declarative kinds.py) -> what its placeholders stand for
(binding.py) -> read the estate once (inventory.py: the scan's Collector plus log groups,
metrics and WAF IP sets) -> judge each step in each place (evaluation.py, pure) -> the
report (model.py), rendered by reports/runbooks_*.py.
"""

from .model import CheckResult, Readiness
from .run import STEP_POLICY, check_runbooks

__all__ = ["STEP_POLICY", "CheckResult", "Readiness", "check_runbooks"]
