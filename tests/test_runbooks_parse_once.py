"""A scan reads the same runbooks through two libraries: each text is parsed once."""

from __future__ import annotations

from preflight_scanner import runbooks
from preflight_scanner.runbooks import RunbookLibrary


def _count_parses(monkeypatch) -> list[str]:
    parsed: list[str] = []
    original = runbooks.parse_runbook

    def counting(name: str, text: str):
        parsed.append(name)
        return original(name, text)

    monkeypatch.setattr(runbooks, "parse_runbook", counting)
    runbooks._parsed.cache_clear()
    return parsed


def test_a_second_library_reuses_the_parsed_runbook(tmp_path, monkeypatch):
    parsed = _count_parses(monkeypatch)
    (tmp_path / "ops.md").write_text("# Ops\n\n## Restore a table\n\nSteps.\n")
    first = RunbookLibrary(tmp_path).section("ops#restore-a-table")
    second = RunbookLibrary(tmp_path).section("ops#restore-a-table")
    assert first is not None and first is second
    assert parsed == ["ops"]


def test_an_edited_runbook_is_parsed_again(tmp_path, monkeypatch):
    parsed = _count_parses(monkeypatch)
    path = tmp_path / "ops.md"
    path.write_text("# Ops\n\n## Restore a table\n\nSteps.\n")
    assert RunbookLibrary(tmp_path).section("ops#restore-a-table") is not None
    path.write_text("# Ops\n\n## Restore a bucket\n\nSteps.\n")
    library = RunbookLibrary(tmp_path)
    assert library.section("ops#restore-a-table") is None
    assert library.section("ops#restore-a-bucket") is not None
    assert parsed == ["ops", "ops"]
