"""`preflight history diff`: what changed between two recorded scans (or two drills).

Findings are matched on their key; a change is a fix (fail/error -> pass or waived), a
regression (the reverse), another change of status, or a finding only one record has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import PreflightError
from .history import HistoryStore, ScanRecord, StoredFinding
from .models import Status

BAD = (Status.FAIL, Status.ERROR)  # compared with the stored status strings


@dataclass(frozen=True)
class Change:
    key: tuple[str, str, str, str, str]
    before: str | None  # status, or None when the finding did not exist
    after: str | None
    finding: StoredFinding  # the newer one when there is one

    def to_dict(self) -> dict[str, Any]:
        return {"policy_id": self.key[0], "resource": dict(self.finding.resource),
                "before": self.before, "after": self.after, "message": self.finding.message,
                "waiver": self.finding.waiver}


@dataclass(frozen=True)
class HistoryDiff:
    before: ScanRecord
    after: ScanRecord
    fixed: tuple[Change, ...]       # fail/error -> pass (or waived)
    regressed: tuple[Change, ...]   # pass/waived -> fail/error
    changed: tuple[Change, ...]     # any other status change (fail <-> error, pass <-> waived)
    added: tuple[Change, ...]       # a finding only the newer scan has
    removed: tuple[Change, ...]     # a finding only the older scan has
    unchanged: int

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before.to_dict(), "after": self.after.to_dict(),
                **{name: [c.to_dict() for c in getattr(self, name)] for name in CHANGE_KINDS},
                "unchanged": self.unchanged}


class ChangeKind(StrEnum):
    """The groups of a diff, in the order they are shown (each a HistoryDiff field)."""

    FIXED = "fixed"
    REGRESSED = "regressed"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


CHANGE_KINDS = tuple(ChangeKind)


def diff_findings(before: Iterable[StoredFinding], after: Iterable[StoredFinding]
                  ) -> tuple[dict[ChangeKind, list[Change]], int]:
    """Changes by kind (CHANGE_KINDS), and how many findings kept their status."""
    old = {f.key: f for f in before}
    new = {f.key: f for f in after}
    out: dict[ChangeKind, list[Change]] = {kind: [] for kind in CHANGE_KINDS}
    unchanged = 0
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            out[ChangeKind.ADDED].append(Change(key, None, b.status, b))
        elif b is None and a is not None:
            out[ChangeKind.REMOVED].append(Change(key, a.status, None, a))
        elif a is not None and b is not None:
            if a.status == b.status:
                unchanged += 1
            elif a.status in BAD and b.status not in BAD:
                out[ChangeKind.FIXED].append(Change(key, a.status, b.status, b))
            elif a.status not in BAD and b.status in BAD:
                out[ChangeKind.REGRESSED].append(Change(key, a.status, b.status, b))
            else:
                out[ChangeKind.CHANGED].append(Change(key, a.status, b.status, b))
    return out, unchanged


class MixedKinds(PreflightError):
    """A scan compared with a drill (exit 2): their policy sets differ by design."""


def diff(store: HistoryStore, before_id: int, after_id: int) -> HistoryDiff:
    before, after = store.get(before_id), store.get(after_id)
    if before.kind != after.kind:
        # A drill evaluates only the disaster-recovery policies: against a scan, every other
        # finding would read as added or removed, a difference of tools, not of the estate.
        raise MixedKinds(f"record {before_id} is a {before.kind} and record {after_id} a "
                         f"{after.kind}: they check different policy sets, so their difference "
                         "would not be a change in your estate. Compare two scans or two drills "
                         "(`preflight history list` shows each record's kind)")
    parts, unchanged = diff_findings(store.findings(before_id), store.findings(after_id))
    return HistoryDiff(before, after, fixed=tuple(parts[ChangeKind.FIXED]),
                       regressed=tuple(parts[ChangeKind.REGRESSED]),
                       changed=tuple(parts[ChangeKind.CHANGED]),
                       added=tuple(parts[ChangeKind.ADDED]),
                       removed=tuple(parts[ChangeKind.REMOVED]), unchanged=unchanged)
