"""Writing a large JSON document without holding it as one string.

A report is a small document around one long list (report.json's findings, SARIF's
results). The document is serialised with a marker in place of that list, and the list's
items are written one at a time between the two halves, indented as ``json.dumps(...,
indent=2)`` would: the bytes are the same, the memory is one item's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from preflight_scanner.output import Sink

# NUL never appears raw in JSON output (it is written \u0000), so data cannot collide with it.
MARKER = "\x00items\x00"


def write(document: Any, items: Iterable[Any], sink: Sink, *, ensure_ascii: bool = True) -> None:
    """``document`` holds MARKER where the list goes; ``items`` are that list, lazily."""
    text = json.dumps(document, indent=2, default=str, ensure_ascii=ensure_ascii)
    head, tail = text.split(json.dumps(MARKER))
    line = head[head.rfind("\n") + 1:]
    pad = line[: len(line) - len(line.lstrip(" "))]
    inner = pad + "  "
    sink.write(head)
    opened = False
    for item in items:
        serialised = json.dumps(item, indent=2, default=str, ensure_ascii=ensure_ascii)
        sink.write((",\n" if opened else "[\n") + inner + serialised.replace("\n", "\n" + inner))
        opened = True
    sink.write(f"\n{pad}]" if opened else "[]")
    sink.write(tail + "\n")


def write_lines_array(lines: Iterable[str], sink: Sink) -> None:
    """A JSON array with one compact item per line: ``[``, the lines joined by ``,``, ``]``;
    ``[]`` when there is none. One line in memory at a time."""
    first = True
    for line in lines:
        sink.write(("[\n" if first else ",\n") + line)
        first = False
    sink.write("[]\n" if first else "\n]\n")
