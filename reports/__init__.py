"""Renderers: each output format is a pure function of a ScanResult.

The registry below names every format the CLI can write: ``render(result) -> str`` in one
module per format, and the file it goes to. Modules are imported only when a format is
asked for, so a format whose module is missing (or fails to import) is reported by name
instead of breaking the others.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from preflight_scanner.errors import PreflightError

if TYPE_CHECKING:
    from preflight_scanner.models import ScanResult
    from preflight_scanner.output import Sink

Renderer = Callable[["ScanResult"], str]


def packaged_schema(filename: str) -> dict[str, Any]:
    """A JSON Schema from reports/schemas/, read from the installed package's data."""
    text = resources.files(__name__).joinpath("schemas", filename).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class FormatError(PreflightError, ValueError):
    """An unknown format name, or a format whose renderer cannot be loaded (exit code 2)."""


@dataclass(frozen=True)
class ReportFormat:
    name: str
    module: str  # dotted module path; it defines render(result) -> str
    filename: str
    description: str

    def content(self, result: ScanResult) -> Callable[[Sink], None]:
        """The file for ``result``, written when published: streamed by the module's
        ``write(result, sink)`` when it has one (one format in memory at a time, and not
        even that), else its ``render`` written whole."""
        render = self.load()
        stream = getattr(importlib.import_module(self.module), "write", None)
        if callable(stream):
            return functools.partial(stream, result)

        def write_whole(sink: Sink) -> None:
            sink.write(render(result))

        return write_whole

    def load(self) -> Renderer:
        try:
            module = importlib.import_module(self.module)
        except ImportError as exc:
            raise FormatError(f"format {self.name!r} is not available in this installation: "
                              f"cannot import {self.module} ({exc})") from None
        render: Callable[[ScanResult], str] | None = getattr(module, "render", None)
        if not callable(render):
            raise FormatError(f"format {self.name!r} is not available: "
                              f"{self.module} defines no render(result) function")
        return render


FORMATS: dict[str, ReportFormat] = {f.name: f for f in (
    ReportFormat("json", "preflight_scanner.reports.json_report", "report.json",
                 "the machine-readable result (reports/schemas/report.schema.json)"),
    ReportFormat("html", "preflight_scanner.reports.html", "report.html", "a self-contained page for people"),
    ReportFormat("sarif", "preflight_scanner.reports.sarif", "report.sarif",
                 "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers"),
    ReportFormat("junit", "preflight_scanner.reports.junit", "report.junit.xml",
                 "JUnit XML: one test suite per policy, one test case per resource"),
    ReportFormat("md", "preflight_scanner.reports.markdown", "report.md",
                 "Markdown for $GITHUB_STEP_SUMMARY and pull-request comments"),
    ReportFormat("csv", "preflight_scanner.reports.csv_report", "report.csv",
                 "one row per finding for spreadsheets, formula-safe"),
    ReportFormat("ocsf", "preflight_scanner.reports.ocsf", "report.ocsf.json",
                 "OCSF 1.5 Compliance Finding events (class 2003), one JSON array"),
    ReportFormat("ocsf-jsonl", "preflight_scanner.reports.ocsf_jsonl", "report.ocsf.jsonl",
                 "the same OCSF events as JSON Lines, for streaming ingestion"),
    ReportFormat("asff", "preflight_scanner.reports.asff", "report.asff.json",
                 "AWS Security Finding Format for Security Hub (`preflight export securityhub`)"),
    ReportFormat("github", "preflight_scanner.reports.github_annotations", "report.annotations.txt",
                 "GitHub workflow-command annotations on the template lines (pre-deploy)"),
)}


def parse_formats(values: Iterable[str], *, always: Iterable[str] = ()) -> list[str]:
    """``["json,sarif", "md"]`` -> ``["json", "sarif", "md"]``: split on commas, drop
    blanks and repeats (first mention wins), check every name. ``always`` come first."""
    names: list[str] = []
    unknown: list[str] = []
    for value in (*always, *values):
        for part in value.split(","):
            name = part.strip().lower()
            if not name or name in names:
                continue
            if name in FORMATS:
                names.append(name)
            elif name not in unknown:
                unknown.append(name)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise FormatError(f"unknown format{plural} {', '.join(map(repr, unknown))}; "
                          f"choose from {', '.join(FORMATS)}")
    return names


def load_renderers(names: Iterable[str]) -> dict[str, Renderer]:
    """Import every named format's renderer up front, so a missing one is reported before
    any work is done. Raises FormatError naming each format that cannot be loaded."""
    renderers: dict[str, Renderer] = {}
    problems: list[str] = []
    for name in names:
        try:
            renderers[name] = FORMATS[name].load()
        except FormatError as exc:
            problems.append(str(exc))
    if problems:
        raise FormatError("; ".join(problems))
    return renderers


def available() -> list[str]:
    """The formats whose renderer imports in this installation."""
    names = []
    for name, fmt in FORMATS.items():
        try:
            fmt.load()
        except FormatError:
            continue
        names.append(name)
    return names
