"""The history store: records scans atomically, migrates forward, refuses what it cannot read,
and compares any two scans."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from preflight_scanner import history, historydiff
from preflight_scanner.cli import main
from preflight_scanner.history import HistoryError, HistoryStore, waiver_reason
from preflight_scanner.models import Account, Finding, ResourceRef, ScanResult, Severity, Status

ROOT = Path(__file__).resolve().parent.parent
PROD = Account("111111111111", "shop-prod", "prod")


def finding(name: str, status: Status, policy: str = "dynamodb-pitr-enabled") -> Finding:
    ref = ResourceRef("aws.dynamodb.table", name, name,
                      f"arn:aws:dynamodb:us-east-1:111111111111:table/{name}", PROD.id,
                      "us-east-1", "prod")
    return Finding(policy, status, Severity.HIGH, ref, f"{name} is {status.value}",
                   {"pitr.status": "ENABLED" if status is Status.PASS else "DISABLED"},
                   "disaster-recovery#restore-a-dynamodb-table")


def make_result(started_at: str, statuses: dict[str, Status] | None = None,
                n: int = 0) -> ScanResult:
    statuses = dict(statuses or {})
    statuses.update({f"table-{i:03d}": Status.PASS for i in range(n)})
    return ScanResult(
        tool_version="0.1.0", started_at=started_at, finished_at=started_at,
        accounts=(PROD,), regions=("us-east-1",), policies=(),
        findings=tuple(finding(name, status) for name, status in sorted(statuses.items())),
        errors=(), api_calls=7)


def test_records_scans_and_reads_them_back(tmp_path):
    db = tmp_path / "h.db"
    first = history.record(make_result("2026-01-05T10:00:00+00:00",
                                       {"orders": Status.PASS, "carts": Status.FAIL}), db)
    second = history.record(make_result("2026-04-05T10:00:00+00:00", {"orders": Status.ERROR}),
                            db, kind="drill", summary={"score": {"percent": 50.0}})
    with HistoryStore(db) as store:
        assert store.version == history.SCHEMA_VERSION
        records = store.scans()
        assert [(r.id, r.kind, r.started_at) for r in records] == [
            (first, "scan", "2026-01-05T10:00:00+00:00"),
            (second, "drill", "2026-04-05T10:00:00+00:00")]
        assert records[0].counts == {"fail": 1, "pass": 1}
        assert records[1].counts == {"error": 1}
        assert records[1].summary == {"score": {"percent": 50.0}}
        assert records[0].accounts == ({"id": PROD.id, "name": "shop-prod", "environment": "prod"},)
        assert records[0].complete and not records[1].complete and records[0].api_calls == 7
        assert store.latest("drill").id == second and store.latest("scan").id == first
        stored = store.findings(first)
        assert [(f.resource["name"], f.status, f.evidence) for f in stored] == [
            ("carts", "fail", {"pitr.status": "DISABLED"}),
            ("orders", "pass", {"pitr.status": "ENABLED"})]
        assert stored[0].resource["arn"].endswith(":table/carts")
        with pytest.raises(HistoryError, match="no recorded scan 99"):
            store.get(99)


def test_a_waived_findings_reason_is_kept():
    assert waiver_reason(SimpleNamespace(waiver=SimpleNamespace(reason="INC-42 migration"))) \
        == "INC-42 migration"
    assert waiver_reason(SimpleNamespace(waiver={"reason": "accepted"})) == "accepted"
    assert waiver_reason(SimpleNamespace(waiver=None)) is None
    assert waiver_reason(SimpleNamespace()) is None


@pytest.mark.skipif(not hasattr(Status, "WAIVED"), reason="waivers are not in this build")
def test_a_recorded_waived_finding_keeps_status_and_reason(tmp_path):
    result = make_result("2026-01-05T10:00:00+00:00", {"carts": Status.FAIL})
    waived = dataclasses.replace(result.findings[0], status=Status("waived"),
                                 waiver=SimpleNamespace(reason="Migration, INC-42",
                                                                status=Status.FAIL))
    db = tmp_path / "h.db"
    scan_id = history.record(dataclasses.replace(result, findings=(waived,)), db)
    with HistoryStore(db) as store:
        [stored] = store.findings(scan_id)
        assert (stored.status, stored.waiver) == ("waived", "Migration, INC-42")
        assert store.get(scan_id).counts == {"waived": 1}


def test_an_exception_midway_leaves_earlier_scans_and_no_partial_scan(tmp_path, monkeypatch):
    db = tmp_path / "h.db"
    history.record(make_result("2026-01-05T10:00:00+00:00", n=10), db)
    real = history._finding_row
    calls = []

    def failing(scan_id, f):
        calls.append(f)
        if len(calls) == 5:
            raise OSError("disk full (injected)")
        return real(scan_id, f)

    monkeypatch.setattr(history, "_finding_row", failing)
    with pytest.raises(OSError, match="injected"):
        history.record(make_result("2026-04-05T10:00:00+00:00", n=10), db)
    assert len(calls) == 5  # it really failed midway through the findings
    monkeypatch.setattr(history, "_finding_row", real)
    with HistoryStore(db) as store:
        assert [r.started_at for r in store.scans()] == ["2026-01-05T10:00:00+00:00"]
        assert len(store.findings(store.scans()[0].id)) == 10
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT count(*) FROM findings").fetchone()[0] == 10
    raw.close()
    # The store still works afterwards.
    history.record(make_result("2026-07-05T10:00:00+00:00", n=3), db)
    with HistoryStore(db) as store:
        assert [r.counts.get("pass") for r in store.scans()] == [10, 3]


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from preflight_scanner import history, historydiff
    from tests.test_history_store import make_result

    db = sys.argv[1]
    history.record(make_result("2026-01-05T10:00:00+00:00", n=40), db)
    real = history._finding_row
    seen = []

    def slow(scan_id, f):
        seen.append(f)
        if len(seen) == 20:
            print("MIDWAY", flush=True)
            time.sleep(120)
        return real(scan_id, f)

    history._finding_row = slow
    history.record(make_result("2026-04-05T10:00:00+00:00", n=40), db)
    print("FINISHED", flush=True)
""")


def test_a_writer_killed_midway_leaves_earlier_scans_and_no_partial_scan(tmp_path):
    db = tmp_path / "h.db"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "MIDWAY"
        # While the second scan is half written, a reader sees only the first.
        with HistoryStore(db) as store:
            assert [r.started_at for r in store.scans()] == ["2026-01-05T10:00:00+00:00"]
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    with HistoryStore(db) as store:
        [only] = store.scans()
        assert only.counts == {"pass": 40}
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = store._db.execute(
            "SELECT count(*) FROM findings WHERE scan_id NOT IN (SELECT id FROM scans)").fetchone()
        assert orphans[0] == 0
        later = store.record(make_result("2026-07-05T10:00:00+00:00", n=2))
        assert [r.id for r in store.scans()] == [only.id, later]


V1_SCHEMA = """
CREATE TABLE scans (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL, tool_version TEXT NOT NULL, accounts TEXT NOT NULL,
    regions TEXT NOT NULL, complete INTEGER NOT NULL);
CREATE TABLE findings (scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    policy_id TEXT NOT NULL, status TEXT NOT NULL, severity TEXT NOT NULL,
    resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, resource_name TEXT NOT NULL,
    account_id TEXT NOT NULL, region TEXT NOT NULL, environment TEXT NOT NULL,
    message TEXT NOT NULL);
PRAGMA application_id = 1346784340;
PRAGMA user_version = 1;
INSERT INTO scans VALUES (1, '2025-10-01T09:00:00+00:00', '2025-10-01T09:01:00+00:00', '0.0.9',
    '[{"id": "111111111111", "name": "shop-prod", "environment": "prod"}]', '["us-east-1"]', 1);
INSERT INTO findings VALUES (1, 'dynamodb-pitr-enabled', 'fail', 'high', 'aws.dynamodb.table',
    'orders', 'orders', '111111111111', 'us-east-1', 'prod', 'pitr.status is DISABLED');
INSERT INTO findings VALUES (1, 'dynamodb-pitr-enabled', 'pass', 'high', 'aws.dynamodb.table',
    'carts', 'carts', '111111111111', 'us-east-1', 'prod', 'pitr.status is ENABLED');
"""


def test_a_version_1_store_migrates_forward_and_keeps_its_scans(tmp_path):
    db = tmp_path / "v1.db"
    raw = sqlite3.connect(db)
    raw.executescript(V1_SCHEMA)
    raw.close()
    with HistoryStore(db) as store:
        assert store.version == 2
        [old] = store.scans()
        assert (old.id, old.kind, old.tool_version, old.counts) == (
            1, "scan", "0.0.9", {"fail": 1, "pass": 1})
        assert old.summary == {} and old.api_calls == 0
        assert [(f.resource["name"], f.status, f.evidence, f.waiver, f.resource["arn"])
                for f in store.findings(1)] == [("orders", "fail", {}, None, None),
                                                ("carts", "pass", {}, None, None)]
        new = store.record(make_result("2026-01-05T10:00:00+00:00",
                                       {"orders": Status.PASS, "carts": Status.FAIL}))
        change = historydiff.diff(store, 1, new)
        assert [c.finding.resource["name"] for c in change.fixed] == ["orders"]
        assert [c.finding.resource["name"] for c in change.regressed] == ["carts"]
    indexes = {r[0] for r in sqlite3.connect(db).execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"findings_by_scan", "scans_by_kind"} <= indexes


def test_refuses_a_newer_store_a_foreign_database_and_a_missing_file(tmp_path):
    newer = tmp_path / "newer.db"
    HistoryStore(newer).close()
    raw = sqlite3.connect(newer)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(HistoryError, match=r"newer Preflight .*schema version 99"):
        HistoryStore(newer)
    foreign = tmp_path / "app.db"
    raw = sqlite3.connect(foreign)
    raw.execute("CREATE TABLE users (id INTEGER)")
    raw.commit()
    raw.close()
    with pytest.raises(HistoryError, match="not a Preflight history store"):
        HistoryStore(foreign)
    assert [r[0] for r in sqlite3.connect(foreign).execute(
        "SELECT name FROM sqlite_master")] == ["users"]  # left untouched
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some text that is long enough" * 20)
    with pytest.raises(HistoryError, match="not a usable history store"):
        HistoryStore(text)
    with pytest.raises(HistoryError, match="no history store here"):
        HistoryStore(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_diff_classifies_every_change(tmp_path):
    db = tmp_path / "h.db"
    a = history.record(make_result("2026-01-05T10:00:00+00:00", {
        "fixed": Status.FAIL, "broke": Status.PASS, "same": Status.FAIL, "odd": Status.FAIL,
        "gone": Status.PASS}), db)
    b = history.record(make_result("2026-04-05T10:00:00+00:00", {
        "fixed": Status.PASS, "broke": Status.ERROR, "same": Status.FAIL, "odd": Status.ERROR,
        "new": Status.FAIL}), db)
    with HistoryStore(db) as store:
        result = historydiff.diff(store, a, b)
    names = {kind: [(c.finding.resource["name"], c.before, c.after)
                    for c in getattr(result, kind)] for kind in historydiff.CHANGE_KINDS}
    assert names == {
        "fixed": [("fixed", "fail", "pass")],
        "regressed": [("broke", "pass", "error")],
        "changed": [("odd", "fail", "error")],
        "added": [("new", None, "fail")],
        "removed": [("gone", "pass", None)],
    }
    assert result.unchanged == 1
    assert json.loads(json.dumps(result.to_dict()))["fixed"][0]["resource"]["name"] == "fixed"


def test_history_cli_lists_and_diffs(tmp_path, capsys, write_config):
    db = tmp_path / "h.db"
    a = history.record(make_result("2026-01-05T10:00:00+00:00", {"orders": Status.FAIL}), db)
    b = history.record(make_result("2026-04-05T10:00:00+00:00", {"orders": Status.PASS}), db,
                       kind="drill", summary={"score": {"percent": 100.0, "score": 1,
                                                        "possible": 1}})
    assert main(["history", "--db", str(db), "list"]) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()[2:]]
    assert [line[:3] for line in lines] == [[str(a), "scan", "2026-01-05T10:00:00+00:00"],
                                             [str(b), "drill", "2026-04-05T10:00:00+00:00"]]
    assert lines[1][-2:] == ["100.0%", "(1/1)"]
    # A scan against a drill would list their different policy sets as changes: refused.
    assert main(["history", "--db", str(db), "diff", str(a), str(b)]) == 2
    assert f"record {a} is a scan and record {b} a drill" in capsys.readouterr().err
    c = history.record(make_result("2026-04-06T10:00:00+00:00", {"orders": Status.PASS}), db)
    assert main(["history", "--db", str(db), "diff", str(a), str(c)]) == 0
    out = capsys.readouterr().out
    assert "1 fixed, 0 regressed" in out and "orders" in out and "fail -> pass" in out
    assert main(["history", "--db", str(db), "list", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [a, b, c]
    # The path can come from the config's history: key (relative to the config file).
    config = write_config({"regions": ["us-east-1"]})
    config.write_text(config.read_text() + "history: h.db\n")
    assert main(["history", "--config", str(config), "list"]) == 0
    assert "2026-04-05T10:00:00+00:00" in capsys.readouterr().out
    assert main(["history", "--db", str(tmp_path / "none.db"), "list"]) == 2
    assert "no history store here" in capsys.readouterr().err
    assert main(["history", "--db", str(db), "diff", str(a), "42"]) == 2
    assert "no recorded scan 42" in capsys.readouterr().err


def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    db = tmp_path / "h.db"
    HistoryStore(db).close()
    script = ("import sys; from preflight_scanner import history; from tests.test_history_store import "
              "make_result; history.record(make_result(sys.argv[2], n=200), sys.argv[1])")
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", script, str(db),
                               f"2026-0{i + 1}-01T00:00:00+00:00"], cwd=ROOT) for i in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    assert time.monotonic() - started < 60
    with HistoryStore(db) as store:
        assert sorted(r.counts["pass"] for r in store.scans()) == [200, 200, 200]
