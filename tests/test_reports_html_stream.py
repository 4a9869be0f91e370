"""report.html is written through the sink a piece at a time, with the bytes the whole-page
render gives: the data block is the one compact JSON document, escaped as one."""

from __future__ import annotations

import dataclasses
import json
import re

from preflight_scanner.models import ScanResult
from preflight_scanner.reports import FORMATS
from preflight_scanner.reports.html import render, write
from preflight_scanner.reports.html_data import CHUNK

from tests.test_reports_html import DATA_BLOCK, data_of, decoded_findings
from tests.test_reports_html import result as result_fixture

# Characters the block must escape, whatever chunk they fall in: script terminators, line
# separators, DEL and C1 controls (the page's finalize hook turns those into \u escapes).
AWKWARD = "</script>&\u2028\u2029\x7f\x85\x9f\ue000"


class Recording:
    def __init__(self) -> None:
        self.pieces: list[str] = []

    def write(self, text: str, /) -> int:
        self.pieces.append(text)
        return len(text)


def many(n: int) -> ScanResult:
    base = result_fixture.__wrapped__()  # type: ignore[attr-defined]
    findings = []
    for i in range(n):
        f = base.findings[i % len(base.findings)]
        name = f"t{i}{AWKWARD}" if i % 7 == 0 else f"t{i}"
        findings.append(dataclasses.replace(f, resource=dataclasses.replace(
            f.resource, id=f"id-{i}", name=name)))
    return dataclasses.replace(base, findings=tuple(findings))


def canonical_block(block: str) -> str:
    """What the block would be if the whole document were serialised and escaped at once."""
    text = json.dumps(json.loads(block), ensure_ascii=False, separators=(",", ":"))
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def test_written_in_pieces_that_make_the_rendered_page() -> None:
    result = many(3 * CHUNK + 5)
    sink = Recording()
    write(result, sink)
    page = "".join(sink.pieces)
    assert page == render(result)
    block = DATA_BLOCK.search(page).group(1)  # type: ignore[union-attr]
    # No piece holds the findings whole: the rows arrive a few at a time.
    assert max(len(p) for p in sink.pieces) < len(block) / 2
    assert len(sink.pieces) >= 4


def test_the_block_is_the_whole_document_escaped_once_across_chunks() -> None:
    result = many(2 * CHUNK + 1)
    page = render(result)
    block = DATA_BLOCK.search(page).group(1)  # type: ignore[union-attr]
    assert block == canonical_block(block)
    for raw in ("</", "\u2028", "\u2029", "\x7f", "\x85", "\x9f"):
        assert raw not in block
    names = [d["resource"]["name"] for d in decoded_findings(data_of(page))]
    assert names == [f.resource.name for f in result.findings]


def test_scan_publishes_the_streamed_page() -> None:
    result = many(CHUNK + 1)
    sink = Recording()
    FORMATS["html"].content(result)(sink)  # type: ignore[operator]
    assert len(sink.pieces) > 1 and "".join(sink.pieces) == render(result)
