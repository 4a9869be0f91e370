"""`preflight iac` through the CLI entry point, on templates and plans broken every way.

CloudFormation (YAML with short tags, JSON), SAM and Terraform plan inputs, from the seed
files in tests/data/iac, then: random byte flips, truncation, wrong types in every position
of the document (null, a list, a number, a string, a deep structure), hostile snippets
(billion laughs, deep nesting, huge numbers, NUL, RTL overrides, lone surrogates, duplicate
keys, several YAML documents). The invariant: no traceback and no "internal error", an exit
code of 0, 1, 2 or 3; exit 2 names the file, with a line (and column) or a JSON pointer
where there is one.

The default budget is a few seconds (seeded, replayable); PREFLIGHT_FUZZ_EXAMPLES=5000
explores with that many examples per test and checks every position with every wrong type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from preflight_scanner.cli import main

from tests.fuzzing import LONG_RUN, fuzz_settings, positions, replaced

FUZZ = fuzz_settings(10)
DATA = Path(__file__).parent / "data" / "iac"


@dataclass(frozen=True)
class Seed:
    filename: str
    text: str
    yaml: bool


SEEDS = {
    "cfn-yaml": Seed("template.yaml", (DATA / "cfn" / "app.yaml").read_text("utf-8"), True),
    "cfn-json": Seed("template.json", (DATA / "cfn" / "app.json").read_text("utf-8"), False),
    "sam": Seed("template.yaml", (DATA / "sam" / "template.yaml").read_text("utf-8"), True),
    "plan": Seed("plan.json", (DATA / "terraform" / "plan.json").read_text("utf-8"), False),
}
KINDS = sorted(SEEDS)
_LOCATED = re.compile(r"^error: [^:]+(:\d+(:\d+)?: | /)")  # file:line[:col] or a JSON pointer


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
        ) -> Callable[[str, bytes, Path], None]:
    """Run `preflight iac` on ``content`` (in ``work``, so the file's name is what the
    messages show) and check the invariant."""

    def run(kind: str, content: bytes, work: Path) -> None:
        seed = SEEDS[kind]
        work.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(work)
        (work / seed.filename).write_bytes(content)
        capsys.readouterr()
        code = main(["iac", seed.filename, "--out", "out"])
        err = capsys.readouterr().err
        assert "Traceback" not in err and "internal error" not in err, err[-3000:]
        assert code in (0, 1, 2, 3), (code, err[-3000:])
        if code == 2:
            _check_errors(err, seed)

    return run


def _check_errors(err: str, seed: Seed) -> None:
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors, err[-3000:]
    for line in errors:
        assert line.startswith(f"error: {seed.filename}"), line[:500]
        if re.search(r"invalid YAML|not valid JSON:|nested more than|not a valid Cloud", line):
            assert _LOCATED.match(line), line[:500]


# --- mutations ---------------------------------------------------------------------------------

SNIPPETS_YAML = [
    "\x00", "\u202e", "\ufeff", '"\\ud800"', "9" * 5_000, "1e999999", "&a [*a]", "*nope",
    "\n---\nResources: {}\n", "\n...\n", "{" * 2_000, "[" * 2_000, "!!python/object:os.system ''",
    "<<: {a: 1}", "? [a]\n: b", "\nResources: {}\n", "\t", "'unterminated", "- - - -",
    "!Ref", "!GetAtt", "!If [a]", "!Equals [a, b, c]", "!Sub [1, 2, 3]", "Fn::ForEach::X:",
]
SNIPPETS_JSON = [
    "\x00", "\u202e", "\ufeff", '"\\ud800"', "9" * 5_000, "-" + "9" * 5_000, "1e999999",
    "NaN", "Infinity", '"a": 1, "a": 2', "[" * 100_000, "]}{", "null", "{}", "[]", '"\\u0000"',
    '{"Fn::Equals": [1]}', '{"Ref": []}', '{"Fn::If": "x"}',
]


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    seed = SEEDS[kind]
    data = bytearray(seed.text.encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, len(data)))
        if how == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "truncate":
            del data[at:]
        elif how == "insert":
            snippet = draw(st.sampled_from(SNIPPETS_YAML if seed.yaml else SNIPPETS_JSON))
            data[at:at] = snippet.encode("utf-8", "surrogatepass")
        else:
            del data[at:at + draw(st.integers(1, 40))]
    return bytes(data)


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"k": [value]}
    return value


WRONG = [None, True, 0, -1, 2**70, 1.5, "", "x" * 300, "\u202e\x00", [], [None], {}, {"k": 1},
         {"Ref": "Nope"}, {"Fn::If": ["Nope", 1, 2]}, _deep(40)]


def parse(kind: str) -> Any:
    """The seed as plain data (short intrinsic tags in their long form)."""
    from cfnlint.decode import decode_str

    seed = SEEDS[kind]
    if not seed.yaml:
        return json.loads(seed.text)
    document, matches = decode_str(seed.text)
    assert not matches, matches
    return json.loads(json.dumps(document, default=str))  # 2010-09-09 is a date to YAML


def dump(kind: str, document: Any) -> bytes:
    if SEEDS[kind].yaml:
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode("utf-8")
    return json.dumps(document).encode("utf-8")


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_mutated_iac_files_never_give_a_traceback(tmp_path_factory, cli, kind, data):
    cli(kind, data.draw(mutated(kind)), tmp_path_factory.mktemp("mutated"))


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_a_wrong_type_anywhere_in_a_template_or_plan(tmp_path_factory, cli, kind, data):
    document = parse(kind)
    pointer = data.draw(st.sampled_from(list(positions(document))))
    value = data.draw(st.sampled_from(WRONG))
    cli(kind, dump(kind, replaced(document, pointer, value)), tmp_path_factory.mktemp("typed"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_position_with_a_wrong_type(tmp_path, cli, kind):
    """Deterministic coverage of the whole document: each position gets one wrong type (all
    of them in the long run); by default every 20th position, to stay fast."""
    document = parse(kind)
    step = 1 if LONG_RUN else 20
    for n, pointer in enumerate(list(positions(document))[::step]):
        values = WRONG if LONG_RUN else [WRONG[n % len(WRONG)]]
        for m, value in enumerate(values):
            cli(kind, dump(kind, replaced(document, pointer, value)), tmp_path / f"{n}-{m}")


BILLION_LAUGHS = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Metadata:\n" + \
    "      a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"      {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
        for i in range(9))
_BUCKET = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: "
HOSTILE_YAML = {
    "billion laughs": BILLION_LAUGHS,
    "100,000 levels": _BUCKET + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep block mapping": _BUCKET + "\n" + "".join(" " * (8 + i) + f"k{i}:\n"
                                                    for i in range(3_000)),
    "a huge integer": _BUCKET + "9" * 5_000 + "\n",
    "a NUL": _BUCKET + "a\x00b\n",
    "an RTL override": _BUCKET + "\u202eevil\n",
    "a lone surrogate escape": _BUCKET + '"\\ud800"\n',
    "duplicate keys": _BUCKET + "a\n      BucketName: b\n",
    "several documents": _BUCKET + "a\n---\n" + _BUCKET + "b\n",
    "conditions true": "Conditions: true\n" + _BUCKET + "a\n",
    "parameters a list": "Parameters: [a, b]\n" + _BUCKET + "a\n",
    "equals of three": "Conditions:\n  C: !Equals [a, b, c]\n" + _BUCKET + "!If [C, a, b]\n",
    "globals a list": "Transform: AWS::Serverless-2016-10-31\nGlobals: [a]\n" + _BUCKET + "a\n",
}
_PLAN = json.loads(SEEDS["plan"].text)
HOSTILE_JSON = {
    "100,000 levels": '{"resource_changes": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "a huge integer": '{"resource_changes": [], "format_version": ' + "9" * 5_000 + "}",
    "NaN": '{"resource_changes": [], "format_version": NaN}',
    "a lone surrogate": '{"resource_changes": [], "format_version": "\\ud800"}',
    "duplicate keys": '{"resource_changes": [], "resource_changes": []}',
    "resource_changes not a list": '{"resource_changes": {"a": 1}}',
    "entries not objects": '{"resource_changes": [1, "a", null]}',
    "entry without name": '{"resource_changes": [{"address": "a", "type": "t"}]}',
    "name a list": json.dumps({"resource_changes": [dict(_PLAN["resource_changes"][0],
                                                          name=["a"])]}),
    "several documents": SEEDS["plan"].text + SEEDS["plan"].text,
    "template 100,000 levels": '{"Resources": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "template huge integer": '{"Resources": {"F": {"Type": "AWS::Lambda::Function", '
                             '"Properties": {"Timeout": ' + "9" * 5_000 + "}}}}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_hand_made_hostile_templates(tmp_path, cli, name):
    cli("cfn-yaml", HOSTILE_YAML[name].encode("utf-8", "surrogatepass"), tmp_path)


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
def test_hand_made_hostile_plans_and_json_templates(tmp_path, cli, name):
    kind = "cfn-json" if name.startswith("template") else "plan"
    cli(kind, HOSTILE_JSON[name].encode("utf-8", "surrogatepass"), tmp_path)


@pytest.mark.parametrize("kind", KINDS)
def test_the_seeds_are_read_so_the_mutations_test_something(tmp_path, capsys, monkeypatch,
                                                            kind):
    seed = SEEDS[kind]
    monkeypatch.chdir(tmp_path)
    Path(seed.filename).write_text(seed.text, encoding="utf-8")
    code = main(["iac", seed.filename, "--out", "out"])
    assert code in (0, 1), capsys.readouterr().err
    assert json.loads(Path("out/report.json").read_text("utf-8"))["findings"]
