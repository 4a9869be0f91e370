"""The scan history: every recorded scan and drill, with its findings, in one SQLite file.

``record(result, path)`` appends a scan; ``preflight history list`` and ``preflight history
diff A B`` read them back, and the drill report charts its readiness over the last quarters
from them. The store uses only the standard library's sqlite3.

Guarantees:

- **One transaction per scan.** A scan's row and all its findings are written between one
  BEGIN IMMEDIATE and one COMMIT. An exception midway rolls back, and a process killed
  midway leaves nothing behind (SQLite's write-ahead log discards an uncommitted
  transaction), so a reader never sees part of a scan and earlier scans are never touched.
- **Versioned, migrating forward.** The file carries ``PRAGMA application_id`` (so a random
  SQLite file is refused) and ``PRAGMA user_version``, the schema version. Opening an older
  store applies each missing migration in its own transaction; a store from a newer
  Preflight is refused rather than misread.
- **Concurrent writers wait** (busy timeout) instead of failing: several scans can record
  into one file.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import PreflightError
from .models import Finding, ScanResult

SCHEMA_VERSION = 2
APPLICATION_ID = 0x50464C54  # "PFLT"
BUSY_TIMEOUT_SECONDS = 30.0

# Migration N brings a store from version N-1 to N. Never edit a released one: add another.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE scans (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               started_at TEXT NOT NULL,
               finished_at TEXT NOT NULL,
               tool_version TEXT NOT NULL,
               accounts TEXT NOT NULL,
               regions TEXT NOT NULL,
               complete INTEGER NOT NULL)""",
        """CREATE TABLE findings (
               scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
               policy_id TEXT NOT NULL,
               status TEXT NOT NULL,
               severity TEXT NOT NULL,
               resource_type TEXT NOT NULL,
               resource_id TEXT NOT NULL,
               resource_name TEXT NOT NULL,
               account_id TEXT NOT NULL,
               region TEXT NOT NULL,
               environment TEXT NOT NULL,
               message TEXT NOT NULL)""",
    ),
    2: (
        "ALTER TABLE scans ADD COLUMN kind TEXT NOT NULL DEFAULT 'scan'",
        "ALTER TABLE scans ADD COLUMN api_calls INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE scans ADD COLUMN read_errors INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE scans ADD COLUMN summary TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE findings ADD COLUMN arn TEXT",
        "ALTER TABLE findings ADD COLUMN evidence TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE findings ADD COLUMN waiver TEXT",
        "CREATE INDEX findings_by_scan ON findings(scan_id)",
        "CREATE INDEX scans_by_kind ON scans(kind, started_at)",
    ),
}
assert max(MIGRATIONS) == SCHEMA_VERSION


class HistoryError(PreflightError):
    """The history store cannot be used: not a Preflight store, too new, unreadable."""

    exit_code = 2


class RecordKind(StrEnum):
    """What a record is (the scans table's ``kind``): a scan, or a drill's scan."""

    SCAN = "scan"
    DRILL = "drill"


@dataclass(frozen=True)
class ScanRecord:
    id: int
    kind: str  # a RecordKind's value; a newer Preflight may write kinds this one does not know
    started_at: str
    finished_at: str
    tool_version: str
    accounts: tuple[dict[str, Any], ...]
    regions: tuple[str, ...]
    complete: bool
    api_calls: int = 0
    read_errors: int = 0
    summary: Mapping[str, Any] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "started_at": self.started_at,
            "finished_at": self.finished_at, "tool_version": self.tool_version,
            "accounts": list(self.accounts), "regions": list(self.regions),
            "complete": self.complete, "api_calls": self.api_calls,
            "read_errors": self.read_errors, "summary": dict(self.summary),
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class StoredFinding:
    """A finding as the store keeps it: enough to compare scans and recompute readiness."""

    policy_id: str
    status: str
    severity: str
    resource: Mapping[str, Any]
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    waiver: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        r = self.resource
        return (self.policy_id, r["type"], r["account_id"], r["region"], r["id"])


def waiver_reason(finding: Any) -> str | None:
    """The reason a finding was waived, whatever shape the waiver has (or None)."""
    waiver = getattr(finding, "waiver", None)
    if waiver is None:
        return None
    if isinstance(waiver, str):
        return waiver
    reason = waiver.get("reason") if isinstance(waiver, Mapping) else getattr(waiver, "reason", None)
    return str(reason) if reason else str(waiver)


def _finding_row(scan_id: int, finding: Finding) -> tuple[Any, ...]:
    r = finding.resource
    return (scan_id, finding.policy_id, finding.status.value, finding.severity.value, r.type,
            r.id, r.name, r.arn, r.account_id, r.region, r.environment, finding.message,
            _json(finding.evidence), waiver_reason(finding))


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class HistoryStore:
    """An open history file. Use as a context manager, or call close()."""

    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        try:
            exists = self.path.is_file()
        except OSError as exc:  # a name longer than the file system allows, say
            raise HistoryError(f"{str(self.path)[:120]}: cannot use it as the history "
                               f"store: {exc.strerror}") from None
        if not create and not exists:
            raise HistoryError(f"{self.path}: no history store here (record one with "
                               "`preflight drill --history FILE`, or pass --db)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
            self._db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_SECONDS,
                                       isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"{self.path}: cannot open the history store: {exc}") from None
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise HistoryError(f"{self.path}: not a usable history store: {exc}") from None
        except BaseException:
            self._db.close()
            raise

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Bring the store to SCHEMA_VERSION, one migration (one transaction) at a time.

        A current store is only read here, so a reader never waits for a writer."""
        app = int(self._db.execute("PRAGMA application_id").fetchone()[0])
        if self.version == SCHEMA_VERSION and app == APPLICATION_ID:
            return
        while True:
            with self._transaction() as db:  # re-read under the write lock: races are benign
                version = self.version
                app = int(db.execute("PRAGMA application_id").fetchone()[0])
                if version == 0 and app == 0:
                    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                    if tables:
                        raise HistoryError(f"{self.path}: an SQLite file, but not a Preflight "
                                           "history store; choose another path")
                elif app != APPLICATION_ID:
                    raise HistoryError(f"{self.path}: not a Preflight history store "
                                       f"(application id {app:#x})")
                if version > SCHEMA_VERSION:
                    raise HistoryError(
                        f"{self.path}: written by a newer Preflight (schema version {version}; "
                        f"this one reads up to {SCHEMA_VERSION}); upgrade Preflight")
                if version == SCHEMA_VERSION:
                    return
                for statement in MIGRATIONS[version + 1]:
                    db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {version + 1}")

    # -- writing --------------------------------------------------------------------------

    def record(self, result: ScanResult, *, kind: RecordKind = RecordKind.SCAN,
               summary: Mapping[str, Any] | None = None) -> int:
        """Append one scan with all its findings, atomically; returns its id."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO scans (started_at, finished_at, tool_version, accounts, regions,"
                " complete, kind, api_calls, read_errors, summary)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.started_at, result.finished_at, result.tool_version,
                 _json([{"id": a.id, "name": a.name, "environment": a.environment}
                        for a in result.accounts]),
                 _json(list(result.regions)), int(not result.incomplete), kind,
                 result.api_calls, len(result.errors), _json(dict(summary or {}))))
            scan_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO findings (scan_id, policy_id, status, severity, resource_type,"
                " resource_id, resource_name, arn, account_id, region, environment, message,"
                " evidence, waiver) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_finding_row(scan_id, f) for f in result.findings))
        return scan_id

    # -- reading --------------------------------------------------------------------------

    def scans(self, kind: RecordKind | None = None) -> list[ScanRecord]:
        """Every recorded scan (of one kind), oldest first."""
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        rows = self._db.execute(
            "SELECT id, kind, started_at, finished_at, tool_version, accounts, regions,"
            f" complete, api_calls, read_errors, summary FROM scans {where}"
            " ORDER BY started_at, id", args).fetchall()
        counts: dict[int, Counter[str]] = {}
        for scan_id, status, n in self._db.execute(
                "SELECT scan_id, status, count(*) FROM findings GROUP BY scan_id, status"):
            counts.setdefault(scan_id, Counter())[status] = n
        return [_record(row, counts.get(row[0], Counter())) for row in rows]

    def get(self, scan_id: int) -> ScanRecord:
        row = self._db.execute(
            "SELECT id, kind, started_at, finished_at, tool_version, accounts, regions,"
            " complete, api_calls, read_errors, summary FROM scans WHERE id = ?",
            (scan_id,)).fetchone()
        if row is None:
            known = [str(r[0]) for r in self._db.execute("SELECT id FROM scans ORDER BY id")]
            raise HistoryError(f"{self.path}: no recorded scan {scan_id} "
                               f"(recorded: {', '.join(known[-20:]) or 'none'})")
        counts = Counter(dict(self._db.execute(
            "SELECT status, count(*) FROM findings WHERE scan_id = ? GROUP BY status",
            (scan_id,)).fetchall()))
        return _record(row, counts)

    def latest(self, kind: RecordKind | None = None) -> ScanRecord | None:
        found = self.scans(kind)
        return found[-1] if found else None

    def findings(self, scan_id: int) -> list[StoredFinding]:
        self.get(scan_id)  # a clear error for an unknown id
        rows = self._db.execute(
            "SELECT policy_id, status, severity, resource_type, resource_id, resource_name,"
            " arn, account_id, region, environment, message, evidence, waiver"
            " FROM findings WHERE scan_id = ? ORDER BY rowid", (scan_id,))
        return [StoredFinding(
            policy_id=r[0], status=r[1], severity=r[2],
            resource={"type": r[3], "id": r[4], "name": r[5], "arn": r[6], "account_id": r[7],
                      "region": r[8], "environment": r[9]},
            message=r[10], evidence=json.loads(r[11] or "{}"), waiver=r[12]) for r in rows]


def _record(row: tuple[Any, ...], counts: Counter[str]) -> ScanRecord:
    return ScanRecord(
        id=row[0], kind=row[1], started_at=row[2], finished_at=row[3], tool_version=row[4],
        accounts=tuple(json.loads(row[5])), regions=tuple(json.loads(row[6])),
        complete=bool(row[7]), api_calls=row[8], read_errors=row[9],
        summary=json.loads(row[10] or "{}"), counts=dict(sorted(counts.items())))


def record(result: ScanResult, db_path: Path | str, *, kind: RecordKind = RecordKind.SCAN,
           summary: Mapping[str, Any] | None = None) -> int:
    """Record one scan in the history store at ``db_path`` (created when missing).

    The hook for `preflight scan --history DB`: one call after the scan, before the reports.
    """
    with HistoryStore(db_path) as store:
        return store.record(result, kind=kind, summary=summary)
