"""Start-up: commands that never call AWS do not import boto3/botocore (about 0.2 s).

A test of imports, not of timing: each command runs in a fresh interpreter and reports
which heavy modules it loaded. ``validate`` needs jinja2 (every remediation template is
test-rendered in the sandbox at validation), so only ``--help`` is held to no jinja2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("boto3", "botocore", "jinja2", "moto", "urllib3")

PROBE = """
import json, sys
HEAVY = set(%r)
from preflight_scanner.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & HEAVY)
print("MODULES=" + json.dumps(loaded))
""".replace("%r", repr(HEAVY))


def _loaded(*argv: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("MODULES=")), None)
    assert line is not None, out.stdout + out.stderr
    return json.loads(line.removeprefix("MODULES="))


@pytest.mark.parametrize("argv", [("--help",), ("--version",)])
def test_help_imports_neither_boto3_nor_jinja2(argv):
    assert _loaded(*argv) == []


def test_validate_does_not_import_boto3():
    loaded = _loaded("validate", str(ROOT / "policies"))
    assert "boto3" not in loaded and "botocore" not in loaded, loaded
