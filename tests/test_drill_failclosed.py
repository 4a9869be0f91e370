"""`preflight drill` never shows a recovery point it does not have, and never drops a waiver.

Through the CLI on moto (behind the fault proxy): when a table or a bucket in scope has no
restore point, the worst case is "no restore point", by name, in the terminal, drill.json,
drill.html (its sign-off sheet too) and drill.md; when a restore point could not be read it
is "unknown"; a number only when every one is known. Expired and unused waivers are printed
and listed in every drill document, as `preflight scan` reports them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import yaml
from preflight_scanner.cli import main
from preflight_scanner.demo import estate

from tests.faultproxy import Fault
from tests.test_drill_report import REGION, valid, write_config


def run(tmp_path: Path, *extra: str, **drill_section: Any) -> tuple[int, dict[str, Any], Path]:
    config = write_config(tmp_path, **drill_section)
    out = tmp_path / "out"
    code = main(["drill", "--config", str(config), "--out", str(out), *extra])
    return code, valid(json.loads((out / "drill.json").read_text())), out


def worst_line(stdout: str) -> str:
    [line] = [x for x in stdout.splitlines() if x.startswith("worst recovery point:")]
    return line


def signoff_rpo(out: Path) -> str:
    """The sign-off sheet's RPO row in drill.html, as text."""
    html = (out / "drill.html").read_text()
    section = html[html.index('<section id="signoff"'):]
    row = re.search(r"<tr><th>RPO</th>(.*?)</tr>", section, re.S)
    assert row is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip()


def markdown_text(out: Path) -> str:
    """drill.md with its Markdown escapes undone, to read what it says."""
    return re.sub(r"\\(.)", r"\1", (out / "drill.md").read_text()).replace("\u200b", "")


def test_no_restore_point_is_the_worst_case_in_every_format(aws, tmp_path, capsys):
    session = boto3.Session(region_name=REGION)
    estate.create_table(session, REGION, "orders", pitr=True, backup=True)
    estate.create_table(session, REGION, "carts", on_demand=True)  # neither PITR nor backup
    estate.create_table(session, REGION, "sessions", on_demand=True)
    estate.create_bucket(session, REGION, "shop-assets", versioning="Enabled")
    estate.create_bucket(session, REGION, "shop-logs")  # never versioned

    code, document, out = run(tmp_path, rpo_minutes=60)

    assert code == 1
    words = "no restore point: tables carts, sessions; bucket shop-logs"
    line = worst_line(capsys.readouterr().out)
    assert line == f"worst recovery point: {words}"
    worst = document["recovery_points"]["worst"]["overall"]
    assert (worst["worst_case"], worst["worst_rpo_minutes"], worst["worst_table"],
            worst["meets_rpo"]) == ("no-restore-point", None, None, False)
    assert worst["tables_without_restore_point"] == ["carts", "sessions"]
    assert worst["unversioned_buckets"] == ["shop-logs"]
    points = {t["resource"]["name"]: t["recovery_point"]
              for t in document["recovery_points"]["tables"]}
    assert points == {"carts": "none", "orders": "available", "sessions": "none"}
    # orders keeps its own number; it is just not the worst case.
    [orders] = [t for t in document["recovery_points"]["tables"]
                if t["resource"]["name"] == "orders"]
    assert orders["rpo_minutes"] is not None
    signoff = document["signoff"]
    assert signoff["achievable_rpo_minutes"] is None
    assert signoff["achievable_rpo"] == {
        "worst_case": "no-restore-point", "text": words,
        "without_restore_point": {"tables": ["carts", "sessions"], "buckets": ["shop-logs"]},
        "unknown": {"tables": [], "buckets": []}}
    assert signoff_rpo(out) == f"60 min {words}"  # target, then Preflight at scan time
    html = (out / "drill.html").read_text()
    assert f"Worst recovery point: <span class=\"bad strong\">{words}</span>" in html
    md = markdown_text(out)
    assert f"**Worst recovery point**: **{words}**" in md
    assert f"| RPO | 60 min | **{words}** |" in md


def test_unreadable_restore_points_are_unknown_never_a_number(aws, tmp_path, capsys):
    session = boto3.Session(region_name=REGION)
    estate.create_table(session, REGION, "orders", pitr=True, backup=True)
    estate.create_table(session, REGION, "ledger", on_demand=True, backup=True)
    estate.create_bucket(session, REGION, "shop-assets", versioning="Enabled")
    # ledger's point-in-time recovery cannot be read: its backup is a restore point, but
    # PITR might be a newer one, so its recovery point is not known.
    aws.faults.append(Fault(service="dynamodb", operation="DescribeContinuousBackups",
                            body="ledger"))

    code, document, out = run(tmp_path, rpo_minutes=60)

    assert aws.faults[0].hits >= 1 and code == 1
    words = "unknown, could not be read: table ledger"
    assert worst_line(capsys.readouterr().out) == f"worst recovery point: {words}"
    tables = {t["resource"]["name"]: t for t in document["recovery_points"]["tables"]}
    assert (tables["ledger"]["recovery_point"], tables["ledger"]["restorable"],
            tables["ledger"]["rpo_minutes"], tables["ledger"]["meets_rpo"]) == (
        "unknown", True, None, None)
    assert tables["orders"]["recovery_point"] == "available"
    worst = document["recovery_points"]["worst"]["overall"]
    assert (worst["worst_case"], worst["worst_rpo_minutes"], worst["tables_unknown"],
            worst["meets_rpo"]) == ("unknown", None, ["ledger"], None)
    assert document["signoff"]["achievable_rpo_minutes"] is None
    assert signoff_rpo(out) == f"60 min {words}"
    assert f"| RPO | 60 min | **{words}** |" in markdown_text(out)


def test_unread_backups_and_versioning_are_unknown_not_absent(aws, tmp_path, capsys):
    session = boto3.Session(region_name=REGION)
    estate.create_table(session, REGION, "ledger", on_demand=True, backup=True)  # PITR off
    estate.create_bucket(session, REGION, "shop-assets", versioning="Enabled")
    aws.faults += [Fault(service="dynamodb", operation="ListBackups"),
                   Fault(service="s3", operation="GetBucketVersioning", code="AccessDenied")]

    code, document, out = run(tmp_path)

    assert all(f.hits >= 1 for f in aws.faults) and code == 1
    # PITR read as off, backups not read: that is not "no restore point".
    words = "unknown, could not be read: table ledger; bucket shop-assets"
    assert worst_line(capsys.readouterr().out) == f"worst recovery point: {words}"
    [ledger] = document["recovery_points"]["tables"]
    assert (ledger["pitr"]["status"], ledger["restorable"], ledger["recovery_point"]) == (
        "DISABLED", None, "unknown")
    worst = document["recovery_points"]["worst"]["overall"]
    assert (worst["worst_case"], worst["tables_without_restore_point"],
            worst["tables_unknown"], worst["buckets_unknown"]) == (
        "unknown", [], ["ledger"], ["shop-assets"])
    restore = next(s for s in document["checklist"] if s["step_id"] == "restore-tables")
    assert restore["groups"][0]["note"].startswith("Preflight could not read")
    assert signoff_rpo(out) == f"— {words}"


def test_expired_and_unused_waivers_are_reported(aws, tmp_path, capsys):
    session = boto3.Session(region_name=REGION)
    estate.create_bucket(session, REGION, "shop-logs")
    today = datetime.now(UTC).date()
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(yaml.safe_dump({"waivers": [
        {"id": "old-logs", "policies": ["s3-versioning-enabled"], "resources": ["shop-logs"],
         "reason": "Access logs are re-creatable, INC-7", "owner": "platform@example.com",
         "expires": (today - timedelta(days=2)).isoformat()},
        {"id": "ghost", "policies": ["dynamodb-pitr-enabled"], "resources": ["gone-table"],
         "reason": "Table being decommissioned, INC-9", "owner": "data@example.com",
         "expires": (today + timedelta(days=10)).isoformat()}]}))

    code, document, out = run(tmp_path, "--waivers", str(waivers))

    assert code == 1  # the expired waiver no longer applies: shop-logs fails again
    stdout = capsys.readouterr().out
    assert (f"waiver old-logs expired on {today - timedelta(days=2)} (platform@example.com): "
            f"1 finding(s) count again; renew or remove it ({waivers}:2)") in stdout
    assert f"waiver ghost matched nothing: remove it ({waivers}:" in stdout
    section = document["waivers"]
    assert section["source"] == str(waivers)
    assert [(w["id"], w["matched"]) for w in section["expired"]] == [("old-logs", 1)]
    assert [w["id"] for w in section["unused"]] == ["ghost"]
    assert section["applied"] == []
    assert document["score"]["overall"]["waived"] == 0
    html = (out / "drill.html").read_text()
    waivers_html = html[html.index('<section id="waiver-file"'):]
    waivers_html = waivers_html[:waivers_html.index("</section>")]
    assert "Expired: no longer applied" in waivers_html and "old-logs" in waivers_html
    assert "Unused: they matched nothing" in waivers_html and "ghost" in waivers_html
    md = markdown_text(out)
    assert "## Waivers" in md
    assert "**Expired** (1, no longer applied" in md and "| `old-logs` |" in md
    assert "**Unused** (1, they matched nothing" in md and "| `ghost` |" in md


def test_without_a_waivers_file_there_is_no_waivers_section(aws, tmp_path, capsys):
    estate.create_bucket(boto3.Session(region_name=REGION), REGION, "shop-assets",
                         versioning="Enabled")
    _, document, out = run(tmp_path)
    assert document["waivers"] is None
    assert not [x for x in capsys.readouterr().out.splitlines() if x.startswith("waiver ")]
    assert "## Waivers" not in (out / "drill.md").read_text()
    assert 'id="waiver-file"' not in (out / "drill.html").read_text()
