"""The format registry, `preflight scan --format` and `preflight report`: re-rendering a
saved report.json without AWS, and refusing a bad one cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from junitparser import Error, Failure, JUnitXml
from preflight_scanner import reports
from preflight_scanner.cli import main
from preflight_scanner.formats import Format, write_reports
from preflight_scanner.models import Status
from preflight_scanner.reports import FORMATS, FormatError, ReportFormat, load_renderers, parse_formats, sarif
from preflight_scanner.reports.json_report import schema, to_document

from tests.test_reports_golden import GOLDEN, sample_result
from tests.test_reports_sarif import validate_sarif

ALL = ["json", "html", "sarif", "junit", "md", "csv", "ocsf", "ocsf-jsonl", "asff", "github"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the registry ---------------------------------------------------------------------------

def test_registry_names_every_format_and_its_file():
    assert list(FORMATS) == ALL
    assert {n: f.filename for n, f in FORMATS.items()} == {
        "json": "report.json", "html": "report.html", "sarif": "report.sarif",
        "junit": "report.junit.xml", "md": "report.md", "csv": "report.csv",
        "ocsf": "report.ocsf.json", "ocsf-jsonl": "report.ocsf.jsonl", "asff": "report.asff.json",
        "github": "report.annotations.txt"}


def test_formats_are_comma_separated_repeatable_deduplicated_and_json_can_be_forced_first():
    assert parse_formats(["sarif,junit", " MD ", "sarif", ",,"]) == ["sarif", "junit", "md"]
    assert parse_formats(["md", "json"], always=["json"]) == ["json", "md"]
    assert parse_formats([]) == []


def test_unknown_formats_are_named_with_the_known_ones():
    with pytest.raises(FormatError) as caught:
        parse_formats(["json,xml", "pdf,xml"])
    assert str(caught.value) == ("unknown formats 'xml', 'pdf'; "
                                 "choose from json, html, sarif, junit, md, csv, ocsf, ocsf-jsonl, "
                                 "asff, github")


def test_renderers_are_imported_lazily_and_a_missing_one_is_reported_by_name(monkeypatch, tmp_path):
    code = ("import preflight_scanner.reports, sys; "
            "print(sorted(m for m in sys.modules if m.startswith('preflight_scanner.reports')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=tmp_path).stdout
    assert loaded.strip() == "['preflight_scanner.reports']"
    monkeypatch.setitem(FORMATS, "html", ReportFormat("html", "preflight_scanner.reports.not_written_yet",
                                                      "report.html", "missing"))
    with pytest.raises(FormatError, match=r"format 'html' is not available .*not_written_yet"):
        load_renderers(["sarif", "html"])
    assert "html" not in reports.available()
    assert {"json", "sarif", "junit", "md"} <= set(reports.available())


def test_every_registered_renderer_renders_the_sample():
    for name, render in load_renderers(ALL).items():
        text = render(sample_result())
        # github annotates only located (pre-deploy) findings: the live sample has none
        assert isinstance(text, str) and ("carts" in text or name == "github"), name
        assert text.endswith("\n") or name == "html", name  # html's layout is its own


# -- preflight scan --format ----------------------------------------------------------------

def test_scan_rejects_an_unknown_format_before_doing_anything(capsys, tmp_path):
    code, _, err = run(capsys, "scan", "--out", str(tmp_path / "out"), "--format", "sarif,xml")
    assert code == 2
    assert "Invalid value for '--format': unknown format 'xml'; choose from json, html" in err
    assert not (tmp_path / "out").exists()


def test_scan_refuses_a_format_whose_renderer_is_missing(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(FORMATS, "html", ReportFormat("html", "preflight_scanner.reports.not_written_yet",
                                                      "report.html", "missing"))
    code, _, err = run(capsys, "scan", "--out", str(tmp_path / "out"), "--format", "html")
    assert code == 2
    assert "format 'html' is not available" in err
    assert "Traceback" not in err


def test_scan_writes_every_requested_format(demo_aws, write_config, capsys, tmp_path):
    config = write_config(demo_aws.config)
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "scan", "--config", str(config), "--out", str(out),
                            "--format", "sarif", "--format", "junit,md")
    assert code == 1, err  # the demo estate fails on purpose
    written = sorted(p.name for p in out.iterdir())
    assert written == ["report.json", "report.junit.xml", "report.md", "report.sarif"]
    for name in written:
        assert f"report: {out / name}" in stdout
    document = json.loads((out / "report.json").read_text())
    failing = document["summary"]["by_status"]["fail"]
    validate_sarif(json.loads((out / "report.sarif").read_text()))
    assert len(json.loads((out / "report.sarif").read_text())["runs"][0]["results"]) == failing
    assert JUnitXml.fromfile(str(out / "report.junit.xml")).failures == failing
    assert f"**\u274c {failing} failing checks**" in (out / "report.md").read_text()


# -- preflight report ----------------------------------------------------------------------

def test_report_re_renders_a_saved_report_to_the_golden_files(capsys, tmp_path):
    saved = tmp_path / "in" / "report.json"
    saved.parent.mkdir()
    saved.write_text((GOLDEN / "report.json").read_text())
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "report", str(saved), "--format", "sarif,junit",
                            "--format", "md", "--out", str(out))
    assert code == 0, err
    for name in ("sarif", "junit", "md"):
        filename = FORMATS[name].filename
        assert (out / filename).read_text() == (GOLDEN / filename).read_text(), name
        assert f"report: {out / filename}" in stdout
    assert not (out / "report.json").exists()


def test_report_defaults_to_every_available_format_next_to_the_input(capsys, tmp_path):
    saved = tmp_path / "report.json"
    saved.write_text((GOLDEN / "report.json").read_text())
    before = saved.stat().st_mtime_ns
    code, stdout, err = run(capsys, "report", str(saved), "--format", "json,md")
    assert code == 0, err
    assert "left as it is" in stdout and saved.stat().st_mtime_ns == before  # never overwrites its input
    assert (tmp_path / "report.md").is_file()
    (tmp_path / "report.md").unlink()
    code, _, err = run(capsys, "report", str(saved))
    assert code == 0, err
    expected = {"report.json", *(FORMATS[n].filename for n in reports.available() if n != "json")}
    assert {p.name for p in tmp_path.iterdir()} == expected


def test_report_with_an_unknown_format_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "report", str(GOLDEN / "report.json"), "--format", "docx",
                       "--out", str(tmp_path))
    assert code == 2 and "unknown format 'docx'" in err
    assert list(tmp_path.iterdir()) == []


def _bad(tmp_path: Path, name: str, content: bytes | str | None) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("missing.json", None, "missing.json: no such file"),
    ("broken.json", '{\n  "schema_version": "1.0",\n  "tool": ,\n}', "broken.json:3:11: not valid JSON"),
    ("latin1.json", b'{"name": "caf\xe9"}', "latin1.json: not UTF-8 text"),
    ("list.json", "[1, 2]", "list.json: (the document): [1, 2] is not of type 'object'"),
    ("partial.json", '{"schema_version": "1.0"}', "partial.json: (the document): 'tool' is a required"),
    ("other.json", json.dumps({"schema_version": "9"}),
     "other.json: schema_version '9' is not one this Preflight reads ('1.0', '1.1', '1.2')"),
])
def test_a_bad_report_file_exits_2_naming_the_file_and_the_reason(capsys, tmp_path, name, content,
                                                                  reason):
    path = _bad(tmp_path, name, content)
    code, _, err = run(capsys, "report", str(path), "--format", "md", "--out", str(tmp_path / "o"))
    assert code == 2
    assert reason in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_report_with_a_wrong_finding_lists_where_in_the_document(capsys, tmp_path):
    document = json.loads((GOLDEN / "report.json").read_text())
    document["findings"][2]["status"] = "maybe"
    del document["findings"][3]["resource"]["arn"]
    path = _bad(tmp_path, "report.json", json.dumps(document))
    code, _, err = run(capsys, "report", str(path), "--format", "md")
    assert code == 2
    assert "/findings/2/status: 'maybe' is not one of ['pass', 'fail', 'error', 'waived']" in err
    assert "/findings/3/resource: 'arn' is a required property" in err
    assert "2 problem(s) found" in err
    assert not (tmp_path / "report.md").exists()


def test_a_directory_is_not_a_report(capsys, tmp_path):
    code, _, err = run(capsys, "report", str(tmp_path), "--format", "md")
    assert code == 2 and "Traceback" not in err


def test_a_failing_renderer_leaves_the_previous_output_whole(tmp_path, monkeypatch):
    result = sample_result()
    write_reports(result, tmp_path, [Format.MD])
    before = (tmp_path / "report.md").read_text()

    def boom(_result):
        raise RuntimeError("renderer bug")

    monkeypatch.setattr("preflight_scanner.reports.markdown.render", boom)
    with pytest.raises(RuntimeError):
        write_reports(result, tmp_path, [Format.MD])
    assert (tmp_path / "report.md").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary file left


# -- the round trip on a real scan ------------------------------------------------------------

def test_report_round_trip_on_a_demo_scan_writes_every_format(demo_scan, capsys, tmp_path):
    result = demo_scan.result
    scanned = tmp_path / "scan"
    write_reports(result, scanned, [Format.JSON])
    saved = json.loads((scanned / "report.json").read_text())
    Draft202012Validator(schema()).validate(saved)

    out = tmp_path / "rendered"
    code, _, err = run(capsys, "report", str(scanned / "report.json"),
                       "--format", ",".join(ALL), "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(f.filename for f in FORMATS.values())
    assert json.loads((out / "report.json").read_text()) == saved == to_document(result)
    assert "<html" in (out / "report.html").read_text().lower()

    # SARIF: valid, one result per failing or unreadable finding, and the same document
    # as rendering the live result (nothing a renderer needs is lost in report.json).
    document = json.loads((out / "report.sarif").read_text())
    validate_sarif(document)
    assert (out / "report.sarif").read_text() == sarif.render(result)
    failing = [f for f in result.findings if f.status is not Status.PASS]
    assert len(document["runs"][0]["results"]) == len(failing)
    assert {r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]} == \
        {p.id for p in result.policies}

    # JUnit: an independent parser agrees with the findings, suite by suite.
    xml = JUnitXml.fromfile(str(out / "report.junit.xml"))
    assert xml.tests == len(result.findings) + (1 if result.errors else 0)
    assert xml.failures == result.count(Status.FAIL)
    assert xml.errors == result.count(Status.ERROR) + (1 if result.errors else 0)
    for suite in xml:
        findings = [f for f in result.findings if f.policy_id == suite.name]
        cases = list(suite)
        assert suite.tests == len(cases) == len(findings), suite.name
        assert suite.failures == sum(any(isinstance(r, Failure) for r in c.result) for c in cases)
        assert suite.errors == sum(any(isinstance(r, Error) for r in c.result) for c in cases)
        assert suite.failures == sum(f.status is Status.FAIL for f in findings)

    markdown = (out / "report.md").read_text()
    assert f"{result.count(Status.FAIL)} fail, {result.count(Status.ERROR)} error" in markdown
    assert "[report.html](report.html)" in markdown
