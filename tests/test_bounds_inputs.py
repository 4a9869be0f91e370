"""No traceback on bad input: deep nesting, huge numbers and over-long names, through the CLI.

Saved reports reach Preflight three ways (`preflight report`, `--baseline`, `preflight
merge`), all through one loader; policies, the config and waivers through another. Each
hostile input is exit 2 with the file named and, where there is one, its line and column
or JSON pointer; never "internal error".
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import yaml
from preflight_scanner.cli import main

GOLDEN = Path(__file__).parent / "data" / "golden" / "report.json"
TOO_LONG = "x" * 5_000  # past NAME_MAX (255) and PATH_MAX (4096): ENAMETOOLONG


def _golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def _with_evidence(value: str) -> str:
    """The golden report, with ``value`` (raw JSON text) as a finding's evidence value."""
    report = _golden()
    report["findings"][0]["evidence"] = {"attribute": "@@"}
    return json.dumps(report).replace('"@@"', value, 1)


HOSTILE_REPORTS = {
    "100,000 levels of arrays": "[" * 100_000 + "]" * 100_000,
    "deep inside a finding": _with_evidence("[" * 100_000 + "]" * 100_000),
    "deep but under the stack": _with_evidence("[" * 900 + "]" * 900),
    "an integer of 5,000 digits": _with_evidence("9" * 5_000),
    "a negative one": _with_evidence("-" + "9" * 5_000),
    "a float past the range": _with_evidence("1e999999"),
    "NaN": _with_evidence("NaN"),
    "Infinity": _with_evidence("-Infinity"),
    "a lone surrogate": _with_evidence('"\\ud800"'),
    "a lone surrogate in a key": _with_evidence('{"\\udfff": 1}'),
    "a duplicate key": '{"schema_version": "1.1", "schema_version": "1.0"}',
    "two documents": json.dumps(_golden()) + json.dumps(_golden()),
    "truncated": json.dumps(_golden())[:-10],
}
LOCATED = {"100,000 levels of arrays": ":1:201:", "deep inside a finding": ":1:",
           "deep but under the stack": ":1:", "an integer of 5,000 digits": ":1:",
           "a negative one": ":1:", "two documents": ":1:", "truncated": ":1:",
           "a lone surrogate": ": /findings/0/evidence/attribute:",
           "a lone surrogate in a key": ": /findings/0/evidence/attribute:"}


def _commands(path: Path, tmp_path: Path) -> dict[str, list[str]]:
    good = tmp_path / "good" / "report.json"
    good.parent.mkdir(exist_ok=True)
    shutil.copy(GOLDEN, good)
    return {
        "report": ["report", str(path), "--out", str(tmp_path / "r"), "--format", "json,html"],
        "baseline": ["merge", str(good), "--out", str(tmp_path / "m"), "--baseline", str(path)],
        "shard": ["merge", str(good), str(path), "--out", str(tmp_path / "s")],
    }


@pytest.mark.parametrize("name", sorted(HOSTILE_REPORTS))
@pytest.mark.parametrize("command", ["report", "baseline", "shard"])
def test_hostile_report_json_is_exit_2_naming_the_file_and_where(tmp_path, capsys, name, command):
    path = tmp_path / "hostile.json"
    path.write_text(HOSTILE_REPORTS[name], encoding="utf-8", errors="surrogatepass")
    capsys.readouterr()
    started = time.process_time()
    code = main(_commands(path, tmp_path)[command])
    assert time.process_time() - started < 10
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, err
    assert f"error: {path}" in err, err
    if name in LOCATED:
        assert f"error: {path}{LOCATED[name]}" in err, err


def test_a_report_nested_within_the_limit_still_loads(tmp_path, capsys):
    path = tmp_path / "nested.json"
    path.write_text(_with_evidence("[" * 150 + "1" + "]" * 150), encoding="utf-8")
    assert main(["report", str(path), "--out", str(tmp_path / "o"), "--format", "json"]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "baseline", "shard"])
def test_a_report_name_longer_than_the_file_system_allows(tmp_path, capsys, command):
    path = tmp_path / TOO_LONG
    code = main(_commands(path, tmp_path)[command])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err, err
    assert "File name too long" in err, err


def test_a_policy_path_longer_than_the_file_system_allows(tmp_path, capsys):
    code = main(["validate", str(tmp_path / TOO_LONG)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err, err
    assert f"error: {tmp_path / TOO_LONG}: cannot read it: File name too long" in err


def test_a_config_path_longer_than_the_file_system_allows(tmp_path, capsys):
    assert main(["iam-policy", "--config", str(tmp_path / TOO_LONG)]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "File name too long" in err, err


def test_a_runbook_reference_longer_than_the_file_system_allows(tmp_path, capsys):
    folder = tmp_path / "p"
    folder.mkdir()
    policy = folder / "probe.yml"
    policy.write_text(yaml.safe_dump({
        "id": "probe", "title": "probe", "description": "d", "severity": "low",
        "resource": "aws.dynamodb.table", "check": {"attribute": "name", "equals": "x"},
        "runbook": TOO_LONG + "#section"}), encoding="utf-8")
    code = main(["validate", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err, err
    assert f"error: {policy}:" in err and "no runbook section" in err
    assert len(err) < 3_000  # the reference is clipped, not printed whole


def test_a_runbook_directory_longer_than_the_file_system_allows(tmp_path, capsys):
    config = tmp_path / "preflight.yml"
    config.write_text(f"runbooks:\n  directory: {TOO_LONG}\n", encoding="utf-8")
    code = main(["iam-policy", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err, err
    assert f"error: {config}:2:" in err and "does not exist" in err


@pytest.mark.parametrize(("text", "expected"), [
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"drill": ' + "9" * 5000 + "}", "digits"),
    ('{"a": 1, "a": 2}', "duplicate key"),
])
def test_a_hostile_previous_drill_json_is_exit_2(aws, tmp_path, capsys, text, expected):
    previous = tmp_path / "drill.json"
    previous.write_text(text)
    code = main(["drill", "--since", str(previous), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(previous) in err and expected in err and "Traceback" not in err
    assert sum(aws.seen.values()) == 0


@pytest.mark.parametrize("argv", [["history", "--db", "{long}", "list"],
                                  ["scan", "--history", "{long}", "--out", "{out}"]])
def test_a_history_store_name_longer_than_the_file_system_allows(aws, tmp_path, capsys, argv):
    long = str(tmp_path / ("h" * 300 + ".db"))
    code = main([a.format(long=long, out=tmp_path / "out") for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "File name too long" in err and "Traceback" not in err
    assert sum(aws.seen.values()) == 0  # checked before the scan, not after it
