"""False positives of `preflight runbooks lint` on commands known to be correct.

The corpus: the AWS CLI's own documentation examples (``awscli/examples/**/*.rst`` in the
``awscli`` wheel, thousands of commands written and reviewed by AWS), Preflight's runbooks and
the built-in policies' remediation commands as a demo scan renders them. Every command is
linted as a one-command Markdown block; a command with any problem counts as a false
positive (the examples can hold real mistakes too: `--show` prints them, to judge by hand).

    python benchmarks/runbook_lint_corpus.py                 # pip downloads the awscli wheel
    python benchmarks/runbook_lint_corpus.py --wheel awscli-1.46.3-py3-none-any.whl --show 20

awscli is fetched for this measurement only (from the pip cache or PyPI, into a temporary
directory): it is not a dependency of Preflight. Results: benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

from preflight_scanner.cli import main as cli_main
from preflight_scanner.errors import Problem
from preflight_scanner.runbooklint import lint_markdown
from preflight_scanner.runbooks import builtin_runbook_dir


def example_commands(wheel: Path) -> list[tuple[str, str]]:
    """(where, command) for every `aws ...` command in the wheel's example .rst files."""
    found: list[tuple[str, str]] = []
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if not (name.startswith("awscli/examples/") and name.endswith(".rst")):
                continue
            lines = archive.read(name).decode("utf-8", "replace").splitlines()
            i = 0
            while i < len(lines):
                if lines[i].strip().startswith("aws "):
                    # The examples wrap long commands, with or without a continuation mark
                    # (\, or Windows' ^ and `): a command runs to the next blank line or the
                    # next `aws`. Rejoined on one line, so lines wrapped without a mark count.
                    start = i
                    parts = [lines[i].strip()]
                    while i + 1 < len(lines) and lines[i + 1].strip() and \
                            not lines[i + 1].strip().startswith("aws "):
                        i += 1
                        parts.append(lines[i].strip())
                    command = " ".join(part.rstrip("\\^`").rstrip() for part in parts)
                    found.append((f"{name}:{start + 1}", command))
                i += 1
    return found


def remediation_commands(directory: Path) -> list[tuple[str, str]]:
    """The policies' remediation commands as a scan renders them: `preflight demo` scans its
    fake estate (moto, in-process) and report.json holds each failing finding's commands.
    Templates compute values (thresholds, names) from the resource, so rendering them with
    made-up placeholders would test something else."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        cli_main(["demo", "--out", str(directory)])
    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    found = {(f["policy_id"], command) for f in report["findings"]
             for command in f.get("remediation") or []}
    return sorted(found)


def lint_command(command: str) -> list[Problem]:
    return list(lint_markdown(f"```bash\n{command}\n```\n", "example").problems)


def fetch_wheel(directory: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary", ":all:", "awscli", "-d", str(directory)], check=True)
    return next(directory.glob("awscli-*.whl"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an awscli wheel (default: pip download)")
    parser.add_argument("--show", type=int, default=0, help="print this many flagged commands")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        corpora = {"awscli examples": example_commands(wheel),
                   "Preflight remediation commands (demo scan)":
                       remediation_commands(Path(tmp) / "demo")}
        started = time.perf_counter()
        runbooks = [lint_markdown(p.read_text(encoding="utf-8"), p.name)
                    for p in sorted(builtin_runbook_dir().glob("*.md"))]
        flagged: list[tuple[str, str, list[Problem]]] = []
        totals: dict[str, tuple[int, int]] = {}
        for corpus, commands in corpora.items():
            bad = 0
            for where, command in commands:
                problems = lint_command(command)
                if problems:
                    bad += 1
                    flagged.append((where, command, problems))
            totals[corpus] = (len(commands), bad)
        totals["Preflight runbooks"] = (sum(r.commands for r in runbooks),
                                        sum(1 for r in runbooks for _ in r.problems))
        elapsed = time.perf_counter() - started
    print(f"awscli wheel: {wheel.name}")
    for corpus, (count, bad) in totals.items():
        print(f"{corpus}: {count} commands, {bad} flagged ({100 * bad / max(count, 1):.2f} %)")
    count = sum(c for c, _ in totals.values())
    bad = sum(b for _, b in totals.values())
    print(f"all: {count} commands, {bad} flagged ({100 * bad / max(count, 1):.2f} %), "
          f"{elapsed:.1f} s")
    kinds = Counter(re.sub(r"'[^']*'|--\S+|aws \S+ \S+", "…", p.message)
                    for _, _, problems in flagged for p in problems)
    for kind, n in kinds.most_common(8):
        print(f"  {n:5}  {kind}")
    for where, command, problems in flagged[:args.show]:
        print(f"\n{where}\n  {command}")
        for problem in problems:
            print(f"  -> {problem.message} ({problem.hint})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
