"""Recovery points of the drill's tables and buckets, and the worst case. Pure: no I/O, no
clock, no AWS.

Recovery point (RPO) of a table: the time a restore would lose, measured from the scan's
clock. With point-in-time recovery on it is scan time - latest restorable time; with an
on-demand backup it is the backup's age, scan time - its creation time; with both the
smaller; with neither there is no restore point at all (``restorable`` false).

Each of the two sources is read, or not: a table's RPO is a number only when both were read
(the unread one might be the newer), and "no restore point" only when both were read and
neither has one. Otherwise the table's recovery point is ``unknown``. A bucket has restore
points when versioning is Enabled, none when it is not, and unknown when it was not read.

The worst case of a group of tables and buckets is "no restore point" when any of them has
none, else "unknown" when any could not be read, and only else the largest RPO: a number is
never shown while something in scope has no restore point or an unknown one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..policy.functions import parse_time
from .readiness import BUCKET, TABLE, Check, resource_order

# A resource's recovery point, and the worst case of a group (drill.schema.json).
AVAILABLE, NONE, UNKNOWN = "available", "none", "unknown"
NO_RESTORE_POINT, MEASURED, NOTHING_MEASURABLE = "no-restore-point", "measured", "nothing-measurable"

# A restore source (PITR, or on-demand backups): read with a time, present without a
# readable time, read and absent, not read.
_POINT, _UNTIMED, _ABSENT, _UNREAD = "point", "untimed", "absent", "unread"


def _evidence(checks: Sequence[Check]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for check in checks:
        merged.update(check.evidence)
    return merged


def _pick(evidence: Mapping[str, Any], *paths: str) -> Any:
    """The first value found: an evidence key, or a dotted path into one ("pitr.status"
    inside the evidence of "pitr")."""
    for path in paths:
        if path in evidence and evidence[path] is not None:
            return evidence[path]
        head, _, rest = path.partition(".")
        value = evidence.get(head)
        for part in rest.split(".") if rest else ():
            value = value.get(part) if isinstance(value, Mapping) else None
        if rest and value is not None:
            return value
    return None


def _seconds(earlier: Any, later: datetime) -> float | None:
    start = parse_time(earlier)
    return None if start is None else round((later - start).total_seconds(), 3)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _pitr_source(ev: Mapping[str, Any], now: datetime) -> tuple[str, float | None]:
    status = _pick(ev, "pitr.status")
    if status is None:  # the finding that reads it was an error (errors carry no evidence)
        return _UNREAD, None
    if status != "ENABLED":
        return _ABSENT, None
    lag = _seconds(_pick(ev, "pitr.latest_restorable_time"), now)
    return (_UNTIMED, None) if lag is None else (_POINT, lag)


def _backup_source(ev: Mapping[str, Any], now: datetime) -> tuple[str, float | None]:
    age = _seconds(_pick(ev, "latest_backup.created_at"), now)
    if age is not None:
        return _POINT, age
    if _pick(ev, "latest_backup.arn") is not None:
        return _UNTIMED, None
    # Read and empty: a backup count of 0, or "latest_backup" evaluated and found missing.
    if ev.get("backup_count") == 0 or ("latest_backup" in ev and ev["latest_backup"] is None):
        return _ABSENT, None
    return _UNREAD, None


def table_point(resource: Mapping[str, Any], checks: Sequence[Check], now: datetime,
                rpo_minutes: float | None) -> dict[str, Any]:
    ev = _evidence(checks)
    (pitr_state, pitr_lag), (backup_state, backup_age) = _pitr_source(ev, now), \
        _backup_source(ev, now)
    states = {pitr_state, backup_state}
    candidates = [(s, src) for s, src in ((pitr_lag, "pitr"), (backup_age, "backup"))
                  if s is not None]
    # Both sources read: the newer restore point. One unread: it might be the newer one.
    measured = candidates and states <= {_POINT, _ABSENT}
    rpo, source = min(candidates) if measured else (None, None)
    restorable = True if states & {_POINT, _UNTIMED} else \
        False if states == {_ABSENT} else None
    point = AVAILABLE if rpo is not None else NONE if restorable is False else UNKNOWN
    backup_arn = _pick(ev, "latest_backup.arn")
    backup_at = _pick(ev, "latest_backup.created_at")
    return {
        "resource": dict(resource),
        "pitr": {"status": _pick(ev, "pitr.status"),
                 "earliest_restorable_time": _pick(ev, "pitr.earliest_restorable_time"),
                 "latest_restorable_time": _pick(ev, "pitr.latest_restorable_time"),
                 "lag_seconds": pitr_lag},
        "latest_backup": None if backup_at is None and backup_arn is None else {
            "arn": backup_arn, "created_at": backup_at, "age_seconds": backup_age,
            "age_minutes": _minutes(backup_age)},
        "backup_count": _pick(ev, "backup_count"),
        "rpo_seconds": rpo, "rpo_minutes": _minutes(rpo), "rpo_source": source,
        "restorable": restorable,
        "recovery_point": point,
        "meets_rpo": None if rpo_minutes is None or point == UNKNOWN
        else rpo is not None and rpo <= rpo_minutes * 60,
    }


def bucket_point(resource: Mapping[str, Any], checks: Sequence[Check]) -> dict[str, Any]:
    versioning = _pick(_evidence(checks), "versioning")
    versioned = None if versioning is None else versioning == "Enabled"
    return {"resource": dict(resource), "versioning": versioning, "versioned": versioned,
            "unreadable": versioning is None and all(c.status == "error" for c in checks),
            "recovery_point": UNKNOWN if versioned is None else AVAILABLE if versioned
            else NONE}


def recovery_points(checks: Sequence[Check], scan_time: str, rpo_minutes: float | None
                    ) -> dict[str, Any]:
    now = parse_time(scan_time)
    assert now is not None, scan_time
    by_resource: dict[str, list[Check]] = defaultdict(list)
    for check in checks:
        if check.resource["type"] in (TABLE, BUCKET) and check.resource["id"] != "*":
            by_resource[check.resource_key].append(check)
    tables, buckets = [], []
    for key in sorted(by_resource, key=lambda k: resource_order(by_resource[k][0].resource)):
        group = by_resource[key]
        resource = group[0].resource
        if resource["type"] == BUCKET:
            buckets.append(bucket_point(resource, group))
        else:
            tables.append(table_point(resource, group, now, rpo_minutes))
    return {"rpo_target_minutes": rpo_minutes, "tables": tables, "buckets": buckets,
            "worst": _worst(tables, buckets, rpo_minutes)}


def _names(items: Sequence[dict[str, Any]], point: str) -> list[str]:
    return [i["resource"]["name"] for i in items if i["recovery_point"] == point]


def worst_of(tables: Sequence[dict[str, Any]], buckets: Sequence[dict[str, Any]],
             rpo_minutes: float | None) -> dict[str, Any]:
    without = _names(tables, NONE) + _names(buckets, NONE)
    unknown = _names(tables, UNKNOWN) + _names(buckets, UNKNOWN)
    case = NO_RESTORE_POINT if without else UNKNOWN if unknown else \
        MEASURED if tables else NOTHING_MEASURABLE
    # Only when every table has a number is the largest of them the worst case.
    worst = max(tables, key=lambda t: t["rpo_seconds"]) if case == MEASURED else None
    return {
        "worst_case": case,
        "tables": len(tables),
        "worst_rpo_seconds": None if worst is None else worst["rpo_seconds"],
        "worst_rpo_minutes": None if worst is None else worst["rpo_minutes"],
        "worst_table": None if worst is None else worst["resource"]["name"],
        "tables_without_restore_point": _names(tables, NONE),
        "tables_unknown": _names(tables, UNKNOWN),
        "buckets": len(buckets),
        "unversioned_buckets": _names(buckets, NONE),
        "buckets_unknown": _names(buckets, UNKNOWN),
        "meets_rpo": _meets(case, tables, rpo_minutes),
    }


def _meets(case: str, tables: Sequence[dict[str, Any]], rpo_minutes: float | None
           ) -> bool | None:
    """No restore point at all is worse than any age: the objective is not met. A table
    measured past it is not met either, whatever else is unknown."""
    if rpo_minutes is None or case == NOTHING_MEASURABLE:
        return None
    if case == NO_RESTORE_POINT or any(t["meets_rpo"] is False for t in tables):
        return False
    return None if case == UNKNOWN else True


def _worst(tables: Sequence[dict[str, Any]], buckets: Sequence[dict[str, Any]],
           rpo_minutes: float | None) -> dict[str, Any]:
    def of(**wanted: str) -> dict[str, Any]:
        """The worst case among the resources whose fields have these values."""
        def mine(entry: Mapping[str, Any]) -> bool:
            return all(entry["resource"][k] == v for k, v in wanted.items())

        return worst_of([t for t in tables if mine(t)], [b for b in buckets if mine(b)],
                        rpo_minutes)

    places = sorted({(r["resource"]["account_id"], r["resource"]["environment"])
                     for r in (*tables, *buckets)})
    return {
        "overall": worst_of(tables, buckets, rpo_minutes),
        "accounts": [{"account_id": acct, "environment": env,
                      **of(account_id=acct, environment=env)}
                     for acct, env in places],
        "environments": [{"environment": env, **of(environment=env)}
                         for env in sorted({e for _, e in places})],
    }


def case_of(worst: Mapping[str, Any]) -> str:
    """The worst case of a row; derived from the names for a 1.0 drill.json, which had no
    ``worst_case`` (and whose number must not be shown while a table had none)."""
    if worst.get("worst_case"):
        return str(worst["worst_case"])
    if worst["tables_without_restore_point"] or worst["unversioned_buckets"]:
        return NO_RESTORE_POINT
    if worst["tables_unknown"] or (worst["tables"] and worst["worst_rpo_minutes"] is None):
        return UNKNOWN
    return MEASURED if worst["tables"] else NOTHING_MEASURABLE


def worst_case_text(worst: Mapping[str, Any]) -> str:
    """The worst case in words, the same in every format: what has no restore point or an
    unknown one, by name; a number only when every table and bucket has a restore point."""
    case = case_of(worst)
    unknown = _listing(worst["tables_unknown"], worst.get("buckets_unknown", []))
    if case == NO_RESTORE_POINT:
        text = "no restore point: " + _listing(worst["tables_without_restore_point"],
                                                worst["unversioned_buckets"])
        return text + (f"; unknown: {unknown}" if unknown else "")
    if case == UNKNOWN:
        return "unknown, could not be read" + (f": {unknown}" if unknown else "")
    if case == MEASURED:
        return f"{worst['worst_rpo_minutes']:g} min ({worst['worst_table']})"
    return "no table in scope" if worst["buckets"] else "no table or bucket in scope"


def _listing(tables: Sequence[str], buckets: Sequence[str]) -> str:
    parts = []
    if tables:
        parts.append(("table " if len(tables) == 1 else "tables ") + ", ".join(tables))
    if buckets:
        parts.append(("bucket " if len(buckets) == 1 else "buckets ") + ", ".join(buckets))
    return "; ".join(parts)
