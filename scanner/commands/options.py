"""Option values shared by several commands."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Severity

SEVERITIES = [s.value for s in Severity]


def split(values: Sequence[str]) -> list[str]:
    """--regions a,b --regions c -> [a, b, c]"""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
