"""Exit codes, and the one rule that turns a scan result into one.

0 nothing failed at or above --fail-on; 1 failures at or above it; 2 invalid input (usage,
config, policy, waivers, baseline); 3 no such failures but the scan was incomplete (unless
--no-fail-on-error); 130 interrupted.

Waived findings are neither failures nor errors. With ``fail_on_new`` only failures the
baseline did not have count (without a baseline every failure is new). A read error no
longer blocks when every error finding it caused was waived by a waiver that says
``include_errors: true``; the report still says the scan was incomplete.
"""

from __future__ import annotations

from .models import Change, ScanResult, Severity, Status

EXIT_OK, EXIT_FAILURES, EXIT_INVALID, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def blocking_failures(result: ScanResult, fail_on: Severity, fail_on_new: bool = False) -> int:
    return sum(1 for f in result.findings
               if f.status is Status.FAIL and f.severity.at_least(fail_on)
               and not (fail_on_new and f.change is Change.UNCHANGED))


def blocking_incomplete(result: ScanResult) -> bool:
    """Whether something unread is not covered by an accepted (waived) error."""
    if any(f.status is Status.ERROR for f in result.findings):
        return True
    waived = [f.resource for f in result.findings
              if f.status is Status.WAIVED and f.underlying_status is Status.ERROR]
    for error in result.errors:
        if not any(r.account_id == error.account_id
                   and (error.region is None or r.region == error.region)
                   and (error.resource_type is None or r.type == error.resource_type)
                   for r in waived):
            return True
    return False


def exit_code(result: ScanResult, fail_on: Severity, *, fail_on_new: bool = False,
              fail_on_error: bool = True) -> int:
    if blocking_failures(result, fail_on, fail_on_new):
        return EXIT_FAILURES
    if fail_on_error and blocking_incomplete(result):
        return EXIT_INCOMPLETE
    return EXIT_OK
