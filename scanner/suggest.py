""""Did you mean ...?" for every name a user can mistype: policy ids, regions, formats."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# difflib's ratio: 0.6 is its default; ids like "dynamodb-pitr-enabeld" score about 0.95,
# unrelated ids of the same pack about 0.4.
CUTOFF = 0.6
# Names come from files too (a config's policy ids, a waiver's): matching time grows with the
# product of the lengths, and no real name is this long.
LONGEST = 200


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like ``name``, if one is close enough to be a typo of it."""
    if len(name) > LONGEST:
        return None
    best: tuple[float, str] | None = None
    for candidate in sorted(set(known)):  # equally close: the first in order (us-east-1, not -2)
        score = difflib.SequenceMatcher(None, name, candidate).ratio()
        if score >= CUTOFF and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' or ''; appended to an error message."""
    match = closest(name, known)
    return f" (did you mean {match}?)" if match else ""
