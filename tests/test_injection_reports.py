"""Strings from AWS carrying HTML, JavaScript, Markdown or terminal escapes are inert in
every format: the estate on moto is seeded with hostile names, tags and error messages, the
real CLI scans it and writes every format, and each output is checked by a parser of its
own kind against the same report with the hostile strings replaced by plain ones."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from preflight_scanner.cli import main
from preflight_scanner.reports import html as html_report
from preflight_scanner.reports import json_report, markdown

from tests.faultproxy import Fault
from tests.test_reliability_faults import CONFIG, seed_small_estate

# Its module fixtures are built once: its tests stay on one xdist worker (pyproject addopts).
pytestmark = pytest.mark.xdist_group("test_injection_reports")

ROOT = Path(__file__).resolve().parent.parent
POLICY_DIR = ROOT / "policies"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())

# One of each kind, all in one string so that any field that carries it carries them all.
HOSTILE = ("<img src=x onerror=alert(1)></script><script>alert(2)</script>"
           "\"'><svg onload=alert(3)><!-- [click](javascript:alert(4)) ![i](http://x.test/i.png) "
           "<https://evil.example> | a | b |\n|---|---|\n# head *em* `code` "
           "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b]8;;http://evil.example\x1b\\link"
           "\x1b]8;;\x1b\\ \x9b2J \r\x08"
           # Bidirectional overrides and isolates: "Trojan Source" reordering on a terminal.
           " \u202egnp.exe\u202c \u2066iso\u2069")
MARK = "HOSTILE"  # every hostile string starts with it, so a plain twin can replace it
NAMES = {"pool": MARK + "-pool" + HOSTILE, "api": MARK + "-api" + HOSTILE}
TAGS = {"Owner": MARK + HOSTILE, MARK + "<b>key</b>": "v"}
ESCAPES = re.compile(r"[\x1b\x07\x08\x9b\r]")

PROBE = """\
id: hostile-probe
title: Shows the tags of every stage and pool in its evidence
description: A policy reading tags, so hostile tag values reach the evidence.
severity: high
resource: [aws.apigateway.stage, aws.cognito.user_pool]
check:
  attribute: tags.Owner
  equals: nobody
runbook: api-gateway#raise-stage-throttling-limits
remediation:
  - echo {{ name | shquote }} {{ tags.get('Owner', '') | shquote }}
"""


@pytest.fixture(scope="module")
def hostile_scan(moto_endpoint, fault_proxy, tmp_path_factory) -> dict[str, Any]:
    from tests.test_reliability_faults import point_at, reset_moto

    root = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as mp:
        reset_moto(moto_endpoint)
        fault_proxy.reset()
        point_at(mp, fault_proxy.endpoint)  # type: ignore[attr-defined]
        seed_small_estate(NAMES, TAGS)
        policies = root / "policies"
        policies.mkdir()
        (policies / "hostile-probe.yml").write_text(PROBE, encoding="utf-8")
        config = root / "preflight.yml"
        config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
        # An AWS error message is AWS data too.
        fault_proxy.faults.append(denied_with_a_hostile_message())
        out = root / "out"
        env = dict(os.environ)
        process = subprocess.run(
            [sys.executable, "-m", "preflight_scanner", "scan", "--config", str(config), "--out", str(out),
             "--format", "json,html,sarif,junit,md,csv,ocsf,ocsf-jsonl,asff,github",
             "--policies", str(policies),
             *[arg for p in ("s3-versioning-enabled", "apigateway-stage-throttling",
                             "cognito-mfa-on-in-prod", "dynamodb-pitr-enabled")
               for arg in ("--policies", str(POLICY_DIR / f"{p}.yml"))]],
            cwd=ROOT, env=env, capture_output=True, timeout=120)
        fault_proxy.reset()
        return {"out": out, "process": process, "config": config, "policies": policies}


def denied_with_a_hostile_message() -> Fault:
    return Fault(service="dynamodb", operation="DescribeContinuousBackups", body="carts",
                 status=400, code="AccessDeniedException", message=MARK + "-error" + HOSTILE)


def _plain(value: Any) -> Any:
    """The same document with every hostile string made plain (same shape, same order)."""
    if isinstance(value, str):
        return re.sub(re.escape(HOSTILE), "-plain", value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


def _results(out: Path):
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    hostile = json_report.from_document(document)
    plain = json_report.from_document(_plain(document))
    return document, hostile, plain


class _Structure(HTMLParser):
    """Every element and attribute name of a page, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag + "".join(sorted(f" {name}" for name, _ in attrs)))

    def handle_comment(self, data: str) -> None:
        self.tags.append("<!--comment-->")


def structure(page: str) -> Counter[str]:
    parser = _Structure()
    parser.feed(page)
    parser.close()
    return Counter(parser.tags)


def test_the_hostile_strings_reached_the_report(hostile_scan):
    assert hostile_scan["process"].returncode in (1, 3), hostile_scan["process"].stderr
    document, hostile, _ = _results(hostile_scan["out"])
    names = {f["resource"]["name"] for f in document["findings"]}
    assert NAMES["pool"] in names and any(n.startswith(NAMES["api"]) for n in names)
    assert any(MARK + HOSTILE in f["evidence"].values() for f in document["findings"])
    assert any(e["message"].startswith("An error occurred") and MARK + "-error<img" in e["message"]
               for e in document["errors"])
    assert any(MARK + "<img" in c for f in hostile.findings for c in f.remediation)


def test_report_json_is_valid_and_carries_the_strings_verbatim(hostile_scan):
    document, _, _ = _results(hostile_scan["out"])
    Draft202012Validator(json_report.schema()).validate(document)
    text = (hostile_scan["out"] / "report.json").read_text(encoding="utf-8")
    assert not ESCAPES.search(text)  # control characters only as JSON escapes


def test_html_gains_no_element_attribute_or_script(hostile_scan):
    page = (hostile_scan["out"] / "report.html").read_text(encoding="utf-8")
    _, _, plain = _results(hostile_scan["out"])
    assert structure(page) == structure(html_report.render(plain))
    lowered = page.lower()
    for needle in ("<img", "<svg", "<script>alert", "<!-- [click]"):
        assert needle not in lowered
    # No raw control byte reaches the page's text; each is shown as \x1b-style text.
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", page)
    assert "\\x1b[31mred" in page
    # The embedded data is one JSON block that parses back to the hostile strings.
    [block] = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
    assert _contains(json.loads(block), NAMES["pool"])


def _contains(value: Any, text: str) -> bool:
    if isinstance(value, str):
        return text in value
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    return isinstance(value, list) and any(_contains(v, text) for v in value)


def test_markdown_renders_no_link_image_table_or_markup_from_aws(hostile_scan):
    text = (hostile_scan["out"] / "report.md").read_text(encoding="utf-8")
    _, _, plain = _results(hostile_scan["out"])
    rendered = cmarkgfm.github_flavored_markdown_to_html(text)
    baseline = cmarkgfm.github_flavored_markdown_to_html(markdown.render(plain))
    assert structure(rendered) == structure(baseline)
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', rendered))
    assert "evil.example" not in "".join(re.findall(r'(?:href|src)="([^"]*)"', rendered))
    assert not ESCAPES.search(text)


def test_junit_and_sarif_are_well_formed_and_valid(hostile_scan):
    root = ET.parse(hostile_scan["out"] / "report.junit.xml").getroot()
    assert root.tag == "testsuites"
    text = ET.tostring(root, encoding="unicode")
    assert MARK in text and "\x1b" not in text and "\x07" not in text
    sarif = json.loads((hostile_scan["out"] / "report.sarif").read_text(encoding="utf-8"))
    Draft7Validator(SARIF_SCHEMA).validate(sarif)
    assert MARK in json.dumps(sarif)


def test_csv_ocsf_asff_and_annotations_parse_and_carry_no_control_character(hostile_scan):
    """The formats for other tools: each parses with its own reader into as many records as
    the plain twin gives, the hostile strings arrive as data, and no raw escape is written."""
    import csv
    import io

    from preflight_scanner.reports import asff, csv_report, github_annotations, ocsf

    from tests.test_reports_asff import validate_import
    from tests.test_reports_github import parse
    from tests.test_reports_ocsf import validate

    out = hostile_scan["out"]
    _, hostile, plain = _results(out)
    texts = {name: (out / name).read_text(encoding="utf-8") for name in (
        "report.csv", "report.ocsf.json", "report.ocsf.jsonl", "report.asff.json",
        "report.annotations.txt")}
    for name, text in texts.items():
        assert not ESCAPES.search(text) and not TERMINAL_HAZARDS.search(text.encode()), name
    rows = list(csv.DictReader(io.StringIO(texts["report.csv"], newline="")))
    assert len(rows) == len(list(csv.DictReader(io.StringIO(csv_report.render(plain)))))
    assert any(row["resource_name"].startswith(MARK + "-pool<img") for row in rows)
    events = json.loads(texts["report.ocsf.json"])
    assert len(events) == len(json.loads(ocsf.render(plain)))
    for event in events:
        validate(event)
    assert any(r.get("name") == NAMES["pool"] for e in events for r in e["resources"])
    findings = json.loads(texts["report.asff.json"])
    validate_import(findings)
    assert len(findings) == len(json.loads(asff.render(plain)))
    assert parse(texts["report.annotations.txt"]) == parse(github_annotations.render(hostile))


# ESC, BEL, CSI (raw or UTF-8) and the UTF-8 of U+202A-U+202E and U+2066-U+2069.
TERMINAL_HAZARDS = re.compile(rb"[\x1b\x07\x9b]|\xc2\x9b|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def test_the_terminal_gets_no_escape_sequence(hostile_scan):
    process = hostile_scan["process"]
    for stream in (process.stdout, process.stderr):
        assert not TERMINAL_HAZARDS.search(stream), stream[-500:]
    assert b"policy" in process.stdout  # the summary table was printed


def test_re_rendering_a_hostile_report_prints_no_escape_sequence(hostile_scan, tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "preflight_scanner", "report", str(hostile_scan["out"] / "report.json"),
         "--out", str(tmp_path)], cwd=ROOT, capture_output=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert not re.search(rb"[\x1b\x07\x9b]|\xc2\x9b", process.stdout + process.stderr)
    assert (tmp_path / "report.html").read_text() == \
        (hostile_scan["out"] / "report.html").read_text()


def test_logs_carry_no_escape_sequence(hostile_scan, tmp_path, monkeypatch, capsys):
    """A bug in a resource module is logged with its message, which quotes AWS data (here a
    tag key full of escapes): the log line must be inert too."""
    from tests.test_reliability_faults import break_pitr_reading, point_at

    point_at(monkeypatch, _PROXY["endpoint"])

    def broken(value: Any) -> Any:
        raise RuntimeError(MARK + HOSTILE)

    break_pitr_reading(monkeypatch, broken)
    main(["scan", "--config", str(hostile_scan["config"]), "--out", str(tmp_path),
          "--policies", str(POLICY_DIR / "dynamodb-pitr-enabled.yml")])
    err = capsys.readouterr().err
    assert MARK in err  # the error was logged ...
    assert not ESCAPES.search(err), repr(err[-300:])  # ... without its escapes


def test_the_inert_log_formatter_keeps_lines_and_escapes_the_rest():
    from preflight_scanner.reports.text import InertFormatter

    record = logging.LogRecord("preflight", logging.ERROR, __file__, 1, "failed: %s",
                               (HOSTILE,), None)
    text = InertFormatter("%(levelname)s %(message)s").format(record)
    assert not ESCAPES.search(text)
    assert "\\x1b[31m" in text and "\n|---|" in text


_PROXY: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _remember_proxy(fault_proxy):
    _PROXY["endpoint"] = fault_proxy.endpoint  # type: ignore[attr-defined]


def test_a_report_rebuilt_without_the_hostile_strings_differs_only_in_them(hostile_scan):
    """The plain twin used above is a faithful comparison: same findings, same order."""
    _, hostile, plain = _results(hostile_scan["out"])
    assert len(hostile.findings) == len(plain.findings)
    assert [dataclasses.replace(f, resource=None, message="", evidence={}, remediation=())
            for f in hostile.findings] == \
        [dataclasses.replace(f, resource=None, message="", evidence={}, remediation=())
         for f in plain.findings]
