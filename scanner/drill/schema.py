"""JSON Schemas of the config keys the drill reads: ``drill:`` and ``history:``.

Dependency-free on purpose, so scanner/config.py can list them in its own schema:

    from .drill.schema import DRILL_CONFIG_SCHEMA, HISTORY_CONFIG_SCHEMA
    ...
    "drill": DRILL_CONFIG_SCHEMA,
    "history": HISTORY_CONFIG_SCHEMA,
"""

from __future__ import annotations

from typing import Any

DRILL_CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "preflight drill: readiness target and recovery objectives",
    "additionalProperties": False,
    "properties": {
        "target": {"type": "number", "minimum": 0, "maximum": 100,
                   "description": "Readiness score target, percent of the possible score"},
        "rto_minutes": {"type": "number", "exclusiveMinimum": 0,
                        "description": "Recovery time objective, minutes"},
        "rpo_minutes": {"type": "number", "exclusiveMinimum": 0,
                        "description": "Recovery point objective, minutes: sets "
                        "dynamodb-recovery-point's max_rpo_hours"},
    },
}
HISTORY_CONFIG_SCHEMA: dict[str, Any] = {
    "type": "string", "minLength": 1,
    "description": "History store (SQLite file) that scans and drills record into; "
    "relative paths are relative to this config file",
}
