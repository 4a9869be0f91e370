"""Exit codes, and the one rule that turns a scan result into one.

0 nothing failed at or above --fail-on; 1 failures at or above it; 2 invalid input (usage,
config, policy); 3 no such failures but the scan was incomplete; 130 interrupted.
"""

from __future__ import annotations

from .models import ScanResult, Severity, Status

EXIT_OK, EXIT_FAILURES, EXIT_INVALID, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def exit_code(result: ScanResult, fail_on: Severity) -> int:
    failed = any(f.status is Status.FAIL and f.severity.at_least(fail_on) for f in result.findings)
    if failed:
        return EXIT_FAILURES
    return EXIT_INCOMPLETE if result.incomplete else EXIT_OK
