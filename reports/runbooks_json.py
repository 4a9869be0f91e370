"""runbooks.json: the readiness report of `preflight runbooks check`, for tools.

Published schema: reports/schemas/runbooks.schema.json (`preflight runbooks schema`). Every
step in every place is listed, ready ones too: the report proves what passed.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from preflight_scanner.runbookcheck.model import CheckResult

SCHEMA_VERSION = "1.0"


def to_document(result: CheckResult) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "preflight", "version": result.tool_version},
        "check": {
            "started_at": result.started_at, "finished_at": result.finished_at,
            "accounts": [{"id": a.id, "name": a.name, "environment": a.environment}
                         for a in result.accounts],
            "regions": list(result.regions),
            "api_calls": result.api_calls, "listings": result.listings,
        },
        "status": result.status.value,
        "summary": result.counts(),
        "runbooks": [r.to_dict() for r in result.runbooks],
    }
    if result.waivers is not None:
        doc["waivers"] = {"source": result.waivers.source,
                          "waivers": [{**w.to_dict(), "state": w.state}
                                      for w in result.waivers.waivers]}
    return doc


def render(result: CheckResult) -> str:
    return json.dumps(to_document(result), indent=2, sort_keys=False) + "\n"


@cache
def schema() -> dict[str, Any]:
    text = resources.files("preflight_scanner.reports").joinpath(
        "schemas", "runbooks.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
