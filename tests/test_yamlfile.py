"""scanner/yamlfile.py: locations, strictness and the caps that bound a hostile file."""

from __future__ import annotations

import textwrap

import pytest
from preflight_scanner import yamlfile
from preflight_scanner.errors import InputError, Problem
from preflight_scanner.yamlfile import MAX_BYTES, MAX_DEPTH, MAX_NODES, load_yaml


def pos(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the n-th occurrence of ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def problems_of(text: str, name: str = "doc.yml") -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_yaml(name, text)
    return info.value.problems


DOC = textwrap.dedent("""\
    # a comment
    id: example
    nested:
      count: 3
      items: [alpha, beta]
      list:
        - first
        -   second
    """)


def test_values_and_types():
    doc = load_yaml("doc.yml", DOC)
    assert doc.path == "doc.yml"
    assert doc.data == {"id": "example",
                        "nested": {"count": 3, "items": ["alpha", "beta"], "list": ["first", "second"]}}


@pytest.mark.parametrize(("pointer", "needle"), [
    (("id",), "id:"),                       # a mapping entry is located at its key
    (("nested",), "nested:"),
    (("nested", "count"), "count:"),
    (("nested", "items", 0), "alpha"),      # a sequence item at the item itself
    (("nested", "items", 1), "beta"),
    (("nested", "list", 0), "first"),
    (("nested", "list", 1), "second"),
])
def test_locations(pointer, needle):
    doc = load_yaml("doc.yml", DOC)
    assert doc.locations[pointer] == pos(DOC, needle)
    assert doc.locate(pointer) == pos(DOC, needle)


def test_locate_falls_back_to_the_deepest_known_ancestor():
    doc = load_yaml("doc.yml", DOC)
    assert doc.locate(("nested", "items", 7, "x")) == pos(DOC, "items:")
    assert doc.locate(("no-such-key",)) == doc.locations[()]


def test_problem_carries_file_line_column_and_hint():
    doc = load_yaml("doc.yml", DOC)
    problem = doc.problem(("nested", "count"), "too many", "use fewer")
    line, col = pos(DOC, "count:")
    assert problem == Problem("doc.yml", line, col, "too many", "use fewer")
    assert str(problem) == f"doc.yml:{line}:{col}: too many (fix: use fewer)"


def test_reads_from_file(tmp_path):
    path = tmp_path / "ok.yml"
    path.write_text(DOC, encoding="utf-8")
    doc = load_yaml(path)
    assert doc.path == str(path)
    assert doc.data["nested"]["count"] == 3


def test_empty_document_has_no_data():
    doc = load_yaml("empty.yml", "# only a comment\n")
    assert doc.data is None
    assert doc.locate(("anything",)) == (None, None)


def test_duplicate_key_rejected_with_its_line():
    text = "a: 1\nb: 2\na: 3\n"
    (problem,) = problems_of(text)
    assert (problem.line, problem.column) == pos(text, "a:", occurrence=2)
    assert "duplicate key 'a'" in problem.message
    assert problem.hint


def test_nested_duplicate_key_rejected_with_its_line():
    text = "outer:\n  x: 1\n  y: 2\n  x: 3\nother:\n  x: 4\n"
    (problem,) = problems_of(text)
    assert (problem.line, problem.column) == pos(text, "x:", occurrence=2)
    assert "'x'" in problem.message


def test_same_key_in_sibling_mappings_is_fine():
    assert load_yaml("d.yml", "a: {x: 1}\nb: {x: 2}\n").data == {"a": {"x": 1}, "b": {"x": 2}}


@pytest.mark.parametrize(("text", "line"), [
    ("a: [1, 2\n", 2),                      # unclosed flow sequence: found at end of input
    ("a: 1\n  b: 2\n", 2),                  # bad indentation
    ("a: 1\n\tb: 2\n", 2),                  # tab
    ("a: 'unterminated\nb: 1\n", 3),
    ("--- a\n--- b\n", 2),                  # two documents
])
def test_malformed_yaml_gives_file_line_col(tmp_path, text, line):
    path = tmp_path / "broken.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_yaml(path)
    (problem,) = info.value.problems
    assert problem.path == str(path)
    assert problem.line == line
    assert problem.column is not None
    assert "invalid YAML" in problem.message
    assert str(info.value).startswith(f"{path}:{line}:{problem.column}: invalid YAML")


def billion_laughs(levels: int = 9) -> str:
    names = "abcdefghijklmnop"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"{names[i]}: &{names[i]} [" + ", ".join([f"*{names[i - 1]}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_with_a_clear_error():
    text = billion_laughs()  # 9**9 (387 million) strings when expanded
    (problem,) = problems_of(text)
    # Getting an answer at all (not a MemoryError, not a hang) is the point; the answer
    # must say why, and where the expansion was stopped.
    assert str(MAX_NODES) in problem.message
    assert "alias" in problem.hint
    assert 1 <= problem.line <= text.count("\n")


def test_aliases_within_the_cap_are_expanded():
    doc = load_yaml("ok.yml", "base: &b [1, 2]\ncopy: *b\n")
    assert doc.data == {"base": [1, 2], "copy": [1, 2]}


def test_recursive_alias_is_rejected():
    (problem,) = problems_of("a: &x [*x]\n")
    assert "nested" in problem.message


def nested_mapping(depth: int) -> str:
    """A block mapping whose innermost value sits ``depth`` keys below the root."""
    lines = [" " * i + f"k{i}:" for i in range(depth - 1)]
    lines.append(" " * (depth - 1) + f"k{depth - 1}: leaf")
    return "\n".join(lines) + "\n"


def test_nesting_up_to_max_depth_is_accepted():
    doc = load_yaml("deep.yml", nested_mapping(MAX_DEPTH))
    assert (*(f"k{i}" for i in range(MAX_DEPTH)),) in doc.locations


def test_nesting_beyond_max_depth_is_rejected_with_a_line():
    text = nested_mapping(MAX_DEPTH + 1)
    (problem,) = problems_of(text)
    assert str(MAX_DEPTH) in problem.message
    assert problem.line == MAX_DEPTH + 1


@pytest.mark.parametrize("text", [
    "[\n" * 3000 + "]\n" * 3000,             # flow sequences: deeper than Python's recursion limit
    "{a: " * 3000 + "1" + "}" * 3000,
])
def test_very_deep_nesting_is_an_input_error_not_a_crash(text):
    (problem,) = problems_of(text)
    assert "nested" in problem.message


def test_non_utf8_file_rejected(tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes("title: café\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_yaml(path)
    (problem,) = info.value.problems
    assert problem.path == str(path)
    assert "UTF-8" in problem.message
    assert "UTF-8" in problem.hint


def test_utf8_file_accepted(tmp_path):
    path = tmp_path / "utf8.yml"
    path.write_bytes("title: café\n".encode())
    assert load_yaml(path).data == {"title": "café"}


def test_file_larger_than_max_bytes_rejected(tmp_path):
    path = tmp_path / "big.yml"
    path.write_bytes(b"#" * (MAX_BYTES + 1))  # would parse as an empty document
    with pytest.raises(InputError) as info:
        load_yaml(path)
    (problem,) = info.value.problems
    assert problem.path == str(path)
    assert str(MAX_BYTES) in problem.message


def test_file_of_exactly_max_bytes_accepted(tmp_path):
    path = tmp_path / "edge.yml"
    path.write_bytes(b"#" * MAX_BYTES)
    assert load_yaml(path).data is None


def test_size_cap_read_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 10)
    path = tmp_path / "small.yml"
    path.write_text("a: 12345678\n", encoding="utf-8")
    with pytest.raises(InputError, match="larger than 10 bytes"):
        load_yaml(path)


def test_missing_file_is_an_input_error(tmp_path):
    path = tmp_path / "nope.yml"
    with pytest.raises(InputError) as info:
        load_yaml(path)
    (problem,) = info.value.problems
    assert problem.path == str(path)
    assert "cannot read" in problem.message


def test_dates_stay_strings():
    doc = load_yaml("d.yml", "day: 2024-01-31\nstamp: 2024-01-31T10:20:30Z\nquoted: '2024-01-31'\n")
    assert doc.data == {"day": "2024-01-31", "stamp": "2024-01-31T10:20:30+00:00",
                        "quoted": "2024-01-31"}
    assert all(isinstance(v, str) for v in doc.data.values())


def test_date_keys_are_strings():
    assert load_yaml("d.yml", "2024-01-31: x\n").data == {"2024-01-31": "x"}


def test_merge_keys_rejected_with_line():
    text = "base: &b {x: 1}\nchild:\n  y: 2\n  <<: *b\n"
    (problem,) = problems_of(text)
    assert (problem.line, problem.column) == pos(text, "<<")
    assert "merge" in problem.message


@pytest.mark.parametrize(("text", "needle"), [
    ("a: !!python/object:os.system x\n", "!!python"),
    ("a: !custom x\n", "!custom"),
    ("!custom k: v\n", "!custom"),  # a tagged key, not only a tagged value
])
def test_unsafe_or_unknown_tags_are_input_errors(text, needle):
    (problem,) = problems_of(text)
    assert (problem.line, problem.column) == pos(text, needle)
    assert "tag" in problem.message


def test_complex_keys_rejected():
    text = "ok: 1\n? [a, b]\n: 1\n"
    (problem,) = problems_of(text)
    assert problem.line == 2
    assert "keys" in problem.message
