"""Report formats as values: the names `--format` accepts, parsed once, then rendered.

The registry of renderers (module, file name, description) is reports.FORMATS; ``Format``
names its entries so that the library passes checked values around, not strings it would
have to parse again. A test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from preflight_scanner.reports import FORMATS, available, load_renderers, parse_formats

from .models import ScanResult
from .output import Content, publish


class Format(StrEnum):
    JSON = "json"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"
    MD = "md"
    CSV = "csv"
    OCSF = "ocsf"
    OCSF_JSONL = "ocsf-jsonl"
    ASFF = "asff"
    GITHUB = "github"


def parse(values: Iterable[str], *, always: Iterable[Format] = ()) -> tuple[Format, ...]:
    """``["json,sarif", "md"]`` -> (JSON, SARIF, MD), ``always`` first; each renderer is
    loaded now, so an unknown or uninstalled format fails before any work (FormatError)."""
    names = parse_formats(values, always=always)
    load_renderers(names)
    return tuple(Format(name) for name in names)


def installed() -> tuple[Format, ...]:
    """The formats whose renderer imports in this installation."""
    return tuple(Format(name) for name in available())


def render_reports(result: ScanResult, formats: Sequence[Format]) -> dict[str, Content]:
    """Every format, as file name -> content rendered (streamed) when it is published."""
    return {FORMATS[f].filename: FORMATS[f].content(result) for f in formats}


def write_reports(result: ScanResult, out_dir: Path, formats: Sequence[Format] = (Format.JSON,)
                  ) -> list[Path]:
    """Render every format, then publish them to DIR/<file name> together (all or none)."""
    return publish(out_dir, render_reports(result, formats))
