"""report.ocsf.jsonl: the OCSF events of reports/ocsf.py as JSON Lines, one event per line."""

from __future__ import annotations

from preflight_scanner.reports.ocsf import render_lines as render
from preflight_scanner.reports.ocsf import write_lines as write

__all__ = ["render", "write"]
