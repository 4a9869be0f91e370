"""What the fuzz suites share: the hypothesis budget and walking a document's positions.

The default budget is small and seeded (replayable in CI); PREFLIGHT_FUZZ_EXAMPLES=N
explores with N examples per test instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings

LONG_RUN = "PREFLIGHT_FUZZ_EXAMPLES" in os.environ


def fuzz_settings(default_examples: int) -> Any:
    examples = int(os.environ.get("PREFLIGHT_FUZZ_EXAMPLES", str(default_examples)))
    return settings(max_examples=examples, deadline=None, database=None,
                    derandomize=not LONG_RUN,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def positions(document: Any, pointer: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every JSON pointer in the document, the root included."""
    yield pointer
    items = document.items() if isinstance(document, dict) else \
        enumerate(document) if isinstance(document, list) else ()
    for key, value in items:
        yield from positions(value, (*pointer, key))


def replaced(document: Any, pointer: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``document`` with the value at ``pointer`` replaced."""
    if not pointer:
        return value
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[pointer[0]] = replaced(document[pointer[0]], pointer[1:], value)
    return copy
