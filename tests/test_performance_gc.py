"""A program run tunes the garbage collector for a scan's heap; library use does not.

Why it matters is measured in benchmarks/RESULTS.md ("Start-up and tail"): with CPython's
default young threshold a medium scan spends 10 to 15 % of its CPU in about 700 collections.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from preflight_scanner.gcsettings import YOUNG_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, sys
sys.argv = ["preflight", "--version"]
if {program_run}:
    from preflight_scanner.__main__ import run
    code = run()
else:
    from preflight_scanner.cli import main
    code = main(["--version"])
print("THRESHOLD=%d,%d,%d code=%d" % (*gc.get_threshold(), code))
print("FROZEN=%s" % (gc.get_freeze_count() > 0))
"""


def _probe(program_run: bool, key: str) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE.format(program_run=program_run)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith(key + "=")), None)
    assert line is not None, out.stdout + out.stderr
    return line.removeprefix(key + "=")


def test_a_program_run_collects_the_young_generation_less_often():
    assert _probe(True, "THRESHOLD") == f"{YOUNG_THRESHOLD},10,10 code=0"


def test_a_program_run_leaves_its_heap_to_the_os_at_exit():
    """Frozen objects are not walked by the interpreter's final collections (0.7 s of CPU
    after a medium scan)."""
    assert _probe(True, "FROZEN") == "True"


def test_library_use_leaves_the_host_programs_collector_alone():
    assert _probe(False, "THRESHOLD") == "700,10,10 code=0"
    assert _probe(False, "FROZEN") == "False"


def test_the_console_script_is_the_tuned_entry_point():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["preflight"] == "preflight_scanner.__main__:run"
