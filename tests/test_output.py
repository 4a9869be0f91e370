"""A run's outputs: the directory is checked before any AWS call, the files land together."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from preflight_scanner import output
from preflight_scanner.cli import _interrupt_handling, main
from preflight_scanner.formats import Format, write_reports
from preflight_scanner.saved import load_saved_report

from tests.support import BUILTIN_POLICIES

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
FILES = ["report.html", "report.sarif", "report.junit.xml", "report.md"]


def unwritable_dirs(tmp_path: Path) -> list[Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return [a_file / "out", a_file, Path("/proc/preflight-out"), tmp_path / ("n" * 300)]


@pytest.mark.parametrize("case", range(4), ids=["parent-is-a-file", "is-a-file", "proc",
                                                 "name-too-long"])
def test_scan_refuses_an_unwritable_out_before_any_aws_call(aws, write_config, tmp_path, capsys,
                                                            case):
    out = unwritable_dirs(tmp_path)[case]
    code = main(["scan", "--config", str(write_config({"regions": ["us-east-1"]})),
                 "--policies", str(BUILTIN_POLICIES / "s3-versioning-enabled.yml"),
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--out" in err and "Traceback" not in err
    # click's own check names an existing file; ours names everything else, with a fix.
    assert ("cannot write reports there" in err and "Fix:" in err) or "is a file" in err
    assert sum(aws.seen.values()) == 0, aws.seen  # not one AWS request was made


@pytest.mark.parametrize("command", [
    ["drill"],
    ["iac", str(Path(__file__).resolve().parent / "data" / "iac")],
    ["merge", str(GOLDEN / "report.json")],
    ["report", str(GOLDEN / "report.json"), "--format", "md"],
])
def test_every_command_that_writes_reports_checks_its_out_first(aws, tmp_path, capsys, command):
    out = unwritable_dirs(tmp_path)[0]
    code = main([*command, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "cannot write reports there" in err
    assert sum(aws.seen.values()) == 0


def test_a_signal_during_publishing_is_held_until_the_whole_set_is_in_place(
        tmp_path, monkeypatch, capsys):
    for name in FILES:
        (tmp_path / name).write_text("OLD")
    real_replace = os.replace
    moved = []

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        moved.append(Path(dst).name)
        if len(moved) == 1:  # a real SIGINT, through the CLI's handler, after the first file
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(output.os, "replace", replace_then_signal)
    result = load_saved_report(GOLDEN / "report.json")
    with _interrupt_handling(exit_process=False) as interrupts, pytest.raises(KeyboardInterrupt):
        write_reports(result, tmp_path, [Format.HTML, Format.SARIF, Format.JUNIT, Format.MD])
    monkeypatch.undo()
    assert moved == FILES  # the interrupt waited for the set
    assert all((tmp_path / name).read_text() != "OLD" for name in FILES)
    assert sorted(os.listdir(tmp_path)) == sorted(FILES)  # nothing temporary left
    interrupts.report()
    err = capsys.readouterr().err
    assert "interrupted by SIGINT after writing" in err and "report.md" in err
    assert "no report was written" not in err


def test_an_interrupt_before_publishing_says_nothing_was_written(capsys):
    with _interrupt_handling(exit_process=False) as interrupts:
        interrupts.signal_name = "SIGTERM"
        interrupts.report()
    assert "no report was written" in capsys.readouterr().err


def test_interrupts_at_random_points_never_leave_a_mixed_set(tmp_path):
    """`preflight report` re-renders four formats; SIGINT lands anywhere from start-up to the
    last write. Afterwards the four files are all the old ones or all new ones."""
    saved = tmp_path / "saved.json"
    shutil.copy(GOLDEN / "report.json", saved)
    rng = random.Random(20261203)
    argv = [sys.executable, "-m", "preflight_scanner", "report", str(saved),
            "--format", "html,sarif,junit,md", "--out"]
    started = time.monotonic()
    subprocess.run([*argv, str(tmp_path / "timing")], check=True, capture_output=True)
    duration = time.monotonic() - started
    outcomes = set()
    for n in range(8):
        out = tmp_path / f"run{n}"
        out.mkdir()
        for name in FILES:
            (out / name).write_text("OLD")
        proc = subprocess.Popen([*argv, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 1.3) * duration)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        contents = [(out / name).read_text() for name in FILES]
        old = [c == "OLD" for c in contents]
        assert all(old) or not any(old), (n, old, err.decode())
        assert sorted(os.listdir(out)) == sorted(FILES), os.listdir(out)  # nothing temporary
        outcomes.add(proc.returncode)
        if not all(old) and proc.returncode == 130:
            assert b"after writing" in err, err
    # Some signals landed while the command ran (130), or the test would prove little; which
    # side of the publication they hit depends on the machine's load, so it is not asserted.
    assert 130 in outcomes, outcomes


def test_a_signal_while_the_files_are_written_abandons_the_set(tmp_path, capsys):
    for name in FILES:
        (tmp_path / name).write_text("OLD")

    def streaming(sink):
        sink.write("part of a report")
        signal.raise_signal(signal.SIGINT)  # a real SIGINT through the CLI's handler
        for _ in range(1000):  # the renderer would go on; the next write stops it
            sink.write("more")

    files = {"report.html": "NEW", "report.sarif": streaming, "report.junit.xml": "NEW",
             "report.md": "NEW"}
    with _interrupt_handling(exit_process=False) as interrupts, pytest.raises(KeyboardInterrupt):
        output.publish(tmp_path, files)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == dict.fromkeys(FILES, "OLD")
    interrupts.report()
    assert "no report was written" in capsys.readouterr().err
