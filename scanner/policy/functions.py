"""JMESPath functions Preflight adds to the standard set, for time arithmetic.

Evaluation stays pure: "now" is never read from the machine's clock here; policies compare
a timestamp with ``scan_time``, an attribute every resource document carries, set from the
scan's (injectable) clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jmespath
from jmespath import functions

from .unevaluable import Unevaluable


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _between(earlier: str | None, later: str | None, unit_seconds: int) -> float | None:
    if earlier is None or later is None:  # a missing timestamp is an answer: "never"
        return None
    start, end = parse_time(earlier), parse_time(later)
    if start is None or end is None:  # a timestamp that does not parse is not one
        bad = earlier if start is None else later
        raise Unevaluable(f"{bad[:60]!r} is not an ISO 8601 timestamp")
    return round((end - start).total_seconds() / unit_seconds, 4)


class PreflightFunctions(functions.Functions):
    @functions.signature({"types": ["string", "null"]}, {"types": ["string", "null"]})
    def _func_days_between(self, earlier: str | None, later: str | None) -> float | None:
        """days_between(earlier, later): days from one ISO timestamp to another; null if either is missing."""
        return _between(earlier, later, 86400)

    @functions.signature({"types": ["string", "null"]}, {"types": ["string", "null"]})
    def _func_hours_between(self, earlier: str | None, later: str | None) -> float | None:
        """hours_between(earlier, later): like days_between, in hours."""
        return _between(earlier, later, 3600)


OPTIONS = jmespath.Options(custom_functions=PreflightFunctions())
