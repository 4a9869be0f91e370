"""report.annotations.txt: read back by a parser of GitHub's workflow-command syntax (as the
runner parses it: `::name key=value,...::data`, then unescaping), so a hostile path or message
cannot end a line, start another command or change a property."""

from __future__ import annotations

import dataclasses
import re

from preflight_scanner.models import Status
from preflight_scanner.reports import github_annotations

from tests.test_reports_export_golden import EVIL_PATH, iac_result
from tests.test_reports_golden import EVIL_NAME, sample_result

_COMMAND = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<data>.*)$")
_UNDATA = {"%25": "%", "%0D": "\r", "%0A": "\n"}
_UNPROPERTY = {**_UNDATA, "%3A": ":", "%2C": ","}


def _unescape(text: str, table: dict[str, str]) -> str:
    return re.sub("|".join(map(re.escape, table)), lambda m: table[m.group()], text)


def parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Every line must be one workflow command; returns (name, properties, message)."""
    commands = []
    for line in text.splitlines():
        match = _COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        props: dict[str, str] = {}
        for pair in filter(None, (match["props"] or "").split(",")):
            key, sep, value = pair.partition("=")
            assert sep and key not in props, f"bad property {pair!r} in {line!r}"
            props[key] = _unescape(value, _UNPROPERTY)
        commands.append((match["name"], props, _unescape(match["data"], _UNDATA)))
    return commands


def test_each_located_finding_is_one_annotation_on_its_file_and_line():
    result = iac_result()
    commands = parse(github_annotations.render(result))
    *annotations, summary = commands
    shown = [f for f in result.findings if f.status is not Status.PASS]
    assert len(annotations) == len(shown)
    expected = {(f.location.path, str(f.location.line)) for f in shown if f.location}
    assert {(p["file"], p["line"]) for _, p, _ in annotations} == expected
    assert (EVIL_PATH, "14") in expected  # commas, colons, %0A and a newline survive as data
    assert summary[0] == "notice" and "5 annotated" in summary[2]


def test_levels_follow_severity_and_status_most_severe_first():
    commands = parse(github_annotations.render(iac_result()))
    levels = [name for name, _, _ in commands[:-1]]
    assert levels == ["error", "error", "error", "warning", "warning"]
    assert commands[3][2].startswith("aws.dynamodb.table every aws.dynamodb.table: Could not be")


def test_a_hostile_message_and_name_stay_inside_their_annotation():
    result = iac_result()
    evil = next(f for f in result.findings if f.resource.name == EVIL_NAME)
    hostile = "a%0Ab\r\n::error file=x.yaml,line=1::forged\n::stop-commands::t \x1b[31m"
    evil = dataclasses.replace(evil, message=hostile)
    text = github_annotations.render(dataclasses.replace(result, findings=(evil,)))
    [(name, props, message), _] = parse(text)
    assert (name, props["file"]) == ("error", EVIL_PATH)
    assert hostile.replace("\x1b", "\\x1b").replace("\r", "\\x0d") in message
    assert "\x1b" not in text and len(text.splitlines()) == 2


def test_a_live_scan_has_nothing_to_annotate_but_says_so():
    [(name, props, message)] = parse(github_annotations.render(sample_result()))
    assert (name, props) == ("notice", {"title": "Preflight"})
    assert "0 annotated, 5 without a source location" in message


def test_escaping_matches_the_runner_rules():
    assert github_annotations.escape_data("100% \n:,") == "100%25 %0A:,"
    assert github_annotations.escape_property("100% \n:,") == "100%25 %0A%3A%2C"
    # A carriage return is a terminal control: it is shown as text before GitHub's rules apply.
    assert github_annotations.escape_data("a\rb") == "a\\x0db"
