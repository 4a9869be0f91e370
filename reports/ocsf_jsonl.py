"""report.ocsf.jsonl: the OCSF events of reports/ocsf.py as JSON Lines, one event per line."""

from __future__ import annotations

from preflight_scanner.reports.ocsf import render_lines as render

__all__ = ["render"]
