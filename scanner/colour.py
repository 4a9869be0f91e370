"""Colour on a terminal, never in a pipe or a file; NO_COLOR (no-color.org) and --no-color
turn it off."""

from __future__ import annotations

import os
from typing import TextIO

import click

from .models import Severity, Status

STATUS_COLOURS = {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "yellow",
                  Status.WAIVED: "cyan"}
SEVERITY_COLOURS = {Severity.CRITICAL: "magenta", Severity.HIGH: "red",
                    Severity.MEDIUM: "yellow", Severity.LOW: "blue"}


def wants_colour(stream: TextIO, no_color: bool = False) -> bool:
    """Colour only on a terminal, unless --no-color or a non-empty NO_COLOR says otherwise."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def paint(text: str, colour: str | None, enabled: bool, bold: bool = False) -> str:
    if not enabled or colour is None:
        return text
    return click.style(text, fg=colour, bold=bold)


def status(value: Status, text: str, enabled: bool) -> str:
    return paint(text, STATUS_COLOURS.get(value), enabled)


def severity(value: Severity, enabled: bool) -> str:
    return paint(value.value, SEVERITY_COLOURS.get(value), enabled,
                 bold=value is Severity.CRITICAL)
