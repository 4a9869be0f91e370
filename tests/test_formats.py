"""Formats are parsed once, from the option to a tuple of ``Format``, and name the registry."""

from __future__ import annotations

import click
import pytest
from preflight_scanner.commands.options import parse_format_option
from preflight_scanner.formats import Format, parse
from preflight_scanner.reports import FORMATS, FormatError


def test_the_enum_names_every_registered_format_and_nothing_else() -> None:
    assert [f.value for f in Format] == list(FORMATS)


def test_parse_gives_formats_in_order_json_first_without_repeats() -> None:
    assert parse(["sarif,MD", " sarif ", ""], always=(Format.JSON,)) == (
        Format.JSON, Format.SARIF, Format.MD)
    assert parse([]) == ()


def test_an_unknown_format_is_a_usage_error_with_the_closest_name() -> None:
    with pytest.raises(FormatError):
        parse(["sarf"])
    with pytest.raises(click.BadParameter, match="did you mean sarif for 'sarf'"):
        parse_format_option(["json,sarf"])


def test_a_format_serialises_as_its_name() -> None:
    assert f"{Format.OCSF_JSONL}" == "ocsf-jsonl" and Format.MD == "md"
