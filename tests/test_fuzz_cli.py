"""Every input file through the CLI entry point, broken every way we can think of.

Policies (`validate`), the config (`iam-policy --config`), waivers (`scan --waivers`,
stopped before any AWS call), baselines (`merge --baseline`), shard reports (`merge`) and
saved reports (`report`), starting from valid files and then: random byte flips,
truncation, wrong types in every position of the document, hostile snippets (billion
laughs, deep nesting, huge numbers, NUL, RTL overrides, lone surrogates, duplicate keys,
several documents). The invariant: no traceback and no "internal error"; exit 2 names the
file, with a line and column for a file that does not parse.

The default budget is a few seconds (seeded, replayable); PREFLIGHT_FUZZ_EXAMPLES=5000
explores with that many examples per test and checks every position with every wrong type.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from preflight_scanner import scan as scan_module
from preflight_scanner.cli import main

from tests.fuzzing import LONG_RUN, fuzz_settings, positions, replaced
from tests.support import BUILTIN_POLICIES

FUZZ = fuzz_settings(12)

GOLDEN_REPORT = Path(__file__).parent / "data" / "golden" / "report.json"
POLICY = BUILTIN_POLICIES / "dynamodb-pitr-enabled.yml"
CONFIG = """\
regions: [us-east-1, eu-west-1]
accounts:
  - {id: "111111111111", name: shop-prod, environment: prod}
parameters:
  prod:
    dynamodb-throttle-alarm: {sns_topic: pager}
policies:
  dynamodb-pitr-enabled: {severity: critical, scope: {environments: [prod]}}
runbooks: {url: "https://wiki.example.com/runbooks/"}
"""
WAIVERS = """\
max_days: 90
waivers:
  - id: legacy-carts-pitr
    policies: [dynamodb-pitr-enabled]
    accounts: [shop-staging, "222222222222"]
    resources: ["arn:aws:dynamodb:*:*:table/legacy-*", carts]
    tags: {Team: data}
    reason: Restored from the nightly export instead (INC-42)
    owner: data-team@example.com
    expires: 2030-06-30
"""


@dataclass(frozen=True)
class Target:
    """One kind of input file and the command that reads it."""

    filename: str
    seed: str
    yaml: bool
    argv: Callable[[Path, Path], list[str]]
    codes: tuple[int, ...]  # the exit codes a valid file may give


def _validate(path: Path, work: Path) -> list[str]:
    return ["validate", str(path)]


def _config(path: Path, work: Path) -> list[str]:
    return ["iam-policy", "--config", str(path)]


def _waivers(path: Path, work: Path) -> list[str]:
    # A missing baseline stops a scan whose waivers are valid before any AWS call.
    return ["scan", "--policies", str(POLICY), "--waivers", str(path),
            "--baseline", str(work / "missing-baseline.json"), "--out", str(work / "out")]


def _good_report(work: Path) -> Path:
    good = work / "good" / "report.json"
    good.parent.mkdir(exist_ok=True)
    shutil.copy(GOLDEN_REPORT, good)
    return good


def _baseline(path: Path, work: Path) -> list[str]:
    return ["merge", str(_good_report(work)), "--out", str(work / "m"), "--baseline", str(path)]


def _shard(path: Path, work: Path) -> list[str]:
    return ["merge", str(path), "--out", str(work / "s")]


def _report(path: Path, work: Path) -> list[str]:
    return ["report", str(path), "--out", str(work / "r"), "--format", "json,md"]


REPORT = GOLDEN_REPORT.read_text(encoding="utf-8")
TARGETS = {
    "policy": Target(POLICY.name, POLICY.read_text(encoding="utf-8"), True, _validate, (0,)),
    "config": Target("preflight.yml", CONFIG, True, _config, (0,)),
    "waivers": Target("waivers.yml", WAIVERS, True, _waivers, ()),
    "baseline": Target("baseline.json", REPORT, False, _baseline, (0, 1, 3)),
    "shard": Target("report.json", REPORT, False, _shard, (0, 1, 3)),
    "saved report": Target("report.json", REPORT, False, _report, (0,)),
}


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a fuzzed input reached the scan")

    monkeypatch.setattr(scan_module, "run_scan", refuse)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[[str, bytes, Path], None]:
    """Run a target's command on ``content`` and check the invariant."""

    def run(kind: str, content: bytes, work: Path) -> None:
        target = TARGETS[kind]
        work.mkdir(parents=True, exist_ok=True)
        path = work / target.filename
        path.write_bytes(content)
        capsys.readouterr()
        code = main(target.argv(path, work))
        err = capsys.readouterr().err
        assert "Traceback" not in err and "internal error" not in err, err[-3000:]
        assert code in (2, *target.codes), (code, err[-3000:])
        if code == 2:
            _check_errors(err, path, work, target)

    return run


_PARSE_ERRORS = re.compile(r"invalid YAML|not valid JSON:")


def _check_errors(err: str, path: Path, work: Path, target: Target) -> None:
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors, err[-3000:]
    allowed = [f"error: {path}"]
    if target.argv is _waivers:  # valid waivers: the missing baseline is the error
        allowed.append(f"error: {work / 'missing-baseline.json'}")
    for line in errors:
        assert line.startswith(tuple(allowed)), line[:500]
        if _PARSE_ERRORS.search(line) and "character U+" not in line:
            assert re.match(rf"error: {re.escape(str(path))}:\d+(:\d+)?: ", line), line[:500]


# --- mutations ---------------------------------------------------------------------------------

SNIPPETS_YAML = [
    "\x00", "\u202e", "\ufeff", '"\\ud800"', "9" * 5_000, "1e999999", "&a [*a]", "*nope",
    "\n---\nid: two\n", "\n...\n", "{" * 2_000, "[" * 2_000, "!!python/object:os.system ''",
    "<<: {a: 1}", "? [a]\n: b", "\nid: duplicate\n", "\t", "'unterminated", "- - - -",
]
SNIPPETS_JSON = [
    "\x00", "\u202e", "\ufeff", '"\\ud800"', "9" * 5_000, "-" + "9" * 5_000, "1e999999",
    "NaN", "Infinity", '"a": 1, "a": 2', "[" * 100_000, "]}{", "null", "{}", "[]", '"\\u0000"',
    json.dumps(json.loads(REPORT)),
]


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    target = TARGETS[kind]
    data = bytearray(target.seed.encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, len(data)))
        if how == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "truncate":
            del data[at:]
        elif how == "insert":
            snippet = draw(st.sampled_from(SNIPPETS_YAML if target.yaml else SNIPPETS_JSON))
            data[at:at] = snippet.encode("utf-8", "surrogatepass")
        else:
            del data[at:at + draw(st.integers(1, 40))]
    return bytes(data)


WRONG = [None, True, 0, -1, 2**70, 1.5, "", "x" * 300, "\u202e\x00", [], [None], {}, {"k": 1}]


def parse(kind: str) -> Any:
    target = TARGETS[kind]
    return yaml.safe_load(target.seed) if target.yaml else json.loads(target.seed)


def dump(kind: str, document: Any) -> bytes:
    if TARGETS[kind].yaml:
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode("utf-8")
    return json.dumps(document).encode("utf-8")


KINDS = sorted(TARGETS)


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_mutated_files_through_the_cli_never_give_a_traceback(tmp_path_factory, cli, kind, data):
    cli(kind, data.draw(mutated(kind)), tmp_path_factory.mktemp("mutated"))


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_a_wrong_type_anywhere_is_exit_2_naming_the_file(tmp_path_factory, cli, kind, data):
    document = parse(kind)
    pointer = data.draw(st.sampled_from(list(positions(document))))
    value = data.draw(st.sampled_from(WRONG))
    cli(kind, dump(kind, replaced(document, pointer, value)), tmp_path_factory.mktemp("typed"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_position_with_a_wrong_type(tmp_path, cli, kind):
    """Deterministic coverage of the whole document: each position gets one wrong type
    (all of them in the long run); by default every third position, to stay fast."""
    document = parse(kind)
    step = 1 if LONG_RUN else 3
    for n, pointer in enumerate(list(positions(document))[::step]):
        values = WRONG if LONG_RUN else [WRONG[n % len(WRONG)]]
        for m, value in enumerate(values):
            cli(kind, dump(kind, replaced(document, pointer, value)), tmp_path / f"{n}-{m}")


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9))
HOSTILE_YAML = {
    "billion laughs": BILLION_LAUGHS,
    "100,000 levels": "[" * 100_000 + "]" * 100_000,
    "deep block mapping": "".join(" " * i + f"k{i}:\n" for i in range(3_000)),
    "a huge integer": "max_days: " + "9" * 5_000 + "\n",
    "a NUL": "id: a\x00b\n",
    "an RTL override": "id: \u202eevil\n",
    "a lone surrogate escape": 'id: "\\ud800"\n',
    "duplicate keys": "id: a\nid: b\n",
    "several documents": "id: a\n---\nid: b\n",
    "empty": "",
}
HOSTILE_JSON = {
    "100,000 levels": "[" * 100_000 + "]" * 100_000,
    "a huge integer": '{"schema_version": ' + "9" * 5_000 + "}",
    "NaN": '{"schema_version": NaN}',
    "a lone surrogate": '{"schema_version": "\\ud800"}',
    "an RTL override": REPORT.replace("shop-prod", "\u202eshop-prod"),
    "a NUL in a name": REPORT.replace("shop-prod", "shop\\u0000prod"),
    "duplicate keys": '{"schema_version": "1.1", "schema_version": "1.1"}',
    "several documents": REPORT + REPORT,
    "empty": "",
    "binary": "\x00\x01\x02\xff",
}


def _hostile_cases() -> list[Any]:
    cases = []
    for kind in KINDS:
        table = HOSTILE_YAML if TARGETS[kind].yaml else HOSTILE_JSON
        cases.extend(pytest.param(kind, name, id=f"{kind}-{name}") for name in sorted(table))
    return cases


@pytest.mark.parametrize(("kind", "name"), _hostile_cases())
def test_hand_made_hostile_files_through_the_cli(tmp_path, cli, kind, name):
    table = HOSTILE_YAML if TARGETS[kind].yaml else HOSTILE_JSON
    cli(kind, table[name].encode("utf-8", "surrogatepass"), tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_the_seeds_are_valid_so_the_mutations_test_something(tmp_path, capsys, kind):
    target = TARGETS[kind]
    path = tmp_path / target.filename
    path.write_text(target.seed, encoding="utf-8")
    code = main(target.argv(path, tmp_path))
    err = capsys.readouterr().err
    if target.argv is _waivers:  # read and accepted: the next input is the one refused
        assert code == 2 and f"error: {tmp_path / 'missing-baseline.json'}" in err, err
        assert f"error: {path}" not in err
    else:
        assert code in target.codes, err
