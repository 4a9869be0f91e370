""""Did you mean ...?" for every name a user can mistype: policy ids, regions, formats,
template names, AWS CLI services and options.

One place decides what counts as a near miss, so every message of the program offers the
same suggestion for the same typo; callers only choose how the name is shown.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

# difflib's ratio: 0.6 is its default; ids like "dynamodb-pitr-enabeld" score about 0.95,
# unrelated ids of the same pack about 0.4.
CUTOFF = 0.6
# Names come from files too (a config's policy ids, a waiver's): matching time grows with the
# product of the lengths, and no real name is this long.
LONGEST = 200


def closest(name: str, known: Iterable[str], *, cutoff: float = CUTOFF,
            ignore_case: bool = False) -> str | None:
    """The known name most like ``name``, if one is close enough to be a typo of it.

    ``ignore_case`` compares lower-cased ("of" finds "OFF") and answers the known spelling.
    """
    if len(name) > LONGEST:
        return None
    fold: Callable[[str], str] = str.lower if ignore_case else str
    wanted = fold(name)
    best: tuple[float, str] | None = None
    for candidate in sorted(set(known)):  # equally close: the first in order (us-east-1, not -2)
        if len(candidate) > LONGEST:
            continue
        score = difflib.SequenceMatcher(None, wanted, fold(candidate)).ratio()
        if score >= cutoff and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best else None


def suggestion(name: str, known: Iterable[str], *, show: Callable[[str], str] = str,
               otherwise: str = "", ignore_case: bool = False) -> str:
    """'did you mean X?' (X as ``show`` spells it: quoted, as a command...) or ``otherwise``."""
    return phrase(closest(name, known, ignore_case=ignore_case), show=show, otherwise=otherwise)


def phrase(match: str | None, *, show: Callable[[str], str] = str, otherwise: str = "") -> str:
    """'did you mean X?' for a match the caller already has (it needs the name itself, or
    found it by a rule of its own first), else ``otherwise``."""
    return f"did you mean {show(match)}?" if match else otherwise


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' or ''; appended to an error message."""
    hint = suggestion(name, known)
    return f" ({hint})" if hint else ""
