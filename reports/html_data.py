"""The findings data block of report.html, written a chunk of rows at a time.

The block is one compact JSON object (its shape is described in ``reports/html.py``) whose
tables (strings, details, commands, waivers) come *before* the findings that index them. The
tables are only known once every finding has been encoded, so the rows cannot go straight to
the file. Instead each run of ``CHUNK`` rows is serialised as soon as it is encoded, and only
that text is kept: about 80 bytes a finding, instead of a list of Python objects per finding
plus the whole document as one string and its escaped copies (78 MB at 105,000 findings).
The bytes are those ``json.dumps(document, separators=(",", ":"))`` gives, escaped for the
``<script>`` element and the page's ``finalize`` hook, so the page does not change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from preflight_scanner.models import Change, Finding, PolicySummary, Status

from .templates_env import visible

if TYPE_CHECKING:
    from preflight_scanner.models import ScanResult
    from preflight_scanner.output import Sink

MARK = "\ue000"
STATUS_CODE = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2, Status.WAIVED: 3}
CHANGE_CODE = {Change.NEW: 1, Change.UNCHANGED: 2}
# Rows serialised together: big enough that a chunk's string overhead is nothing, small
# enough that the list being encoded stays a few hundred KB.
CHUNK = 1000


def script_json(text: str) -> str:
    """JSON text that cannot end or confuse the <script> element it sits in, with raw
    control characters escaped as the page's ``finalize`` hook escapes them. Every rule is
    one character to one escape, so pieces of a document escape to the whole's escape."""
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return str(visible(Markup(text)))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class _Table:
    """Values interned by first appearance: value -> index."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[Any] = []

    def add(self, value: Any) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


def templatize(text: str, fields: dict[str, str]) -> str:
    """``text`` with the finding's own name, id, region and account id replaced by tokens.

    The caller checks the result expands back to ``text`` (a value overlapping a token
    could make it wrong, and then the text is stored as is)."""
    template = text.replace(MARK, MARK + MARK)
    for key, value in sorted(fields.items(), key=lambda kv: -len(kv[1])):
        if len(value) >= 3 and MARK not in value:
            template = template.replace(value, MARK + key)
    return template


TOKEN = re.compile(MARK + "(.)", re.DOTALL)


def _expand(template: str, fields: dict[str, str]) -> str:
    return TOKEN.sub(lambda m: MARK if m.group(1) == MARK else fields.get(m.group(1), ""), template)


@dataclass
class Encoder:
    """Encodes a result's findings against interned tables; the caller gives the policies in
    page order, the accounts (``{"id", "name"}`` dicts) and the environments."""

    result: ScanResult
    policies: list[PolicySummary]
    accounts: list[dict[str, str]]
    environments: list[str]
    strings: _Table = field(default_factory=_Table)
    details: _Table = field(default_factory=_Table)
    commands: _Table = field(default_factory=_Table)
    waivers: _Table = field(default_factory=_Table)
    regions: _Table = field(default_factory=_Table)
    envs: _Table = field(default_factory=_Table)
    types: _Table = field(default_factory=_Table)

    def write(self, sink: Sink) -> None:
        """The whole data block, escaped, to ``sink``: tables first, then the rows."""
        chunks = list(self._row_chunks())  # fills the tables
        head = _dumps(self._tables())
        sink.write(script_json(head[:-1] + ',"findings":['))
        for i, chunk in enumerate(chunks):
            sink.write("," + chunk if i else chunk)
        sink.write("]}")

    def _row_chunks(self) -> Iterator[str]:
        """The rows as escaped JSON text (without brackets), CHUNK rows a string."""
        for region in self.result.regions:
            self.regions.add(region)
        for env in self.environments:
            self.envs.add(env)
        self.commands.add(())
        policy_index = {p.id: i for i, p in enumerate(self.policies)}
        account_index = {a["id"]: i for i, a in enumerate(self.accounts)}
        chunk: list[list[Any]] = []
        for f in self.result.findings:
            chunk.append(self._row(f, policy_index, account_index))
            if len(chunk) == CHUNK:
                yield _chunk_text(chunk)
                chunk = []
        if chunk:
            yield _chunk_text(chunk)

    def _tables(self) -> dict[str, Any]:
        return {
            "policies": [p.id for p in self.policies],
            "severities": [p.severity.value for p in self.policies],
            "accounts": [[a["id"], a["name"]] for a in self.accounts],
            "regions": self.regions.values,
            "environments": self.envs.values,
            "types": self.types.values,
            "strings": self.strings.values,
            "details": [list(d) for d in self.details.values],
            "commands": [list(c) for c in self.commands.values],
            "waivers": [list(w) for w in self.waivers.values],
        }

    def _row(self, f: Finding, policy_index: dict[str, int],
             account_index: dict[str, int]) -> list[Any]:
        r = f.resource
        fields = {"n": r.name, "i": r.id, "r": r.region, "a": r.account_id}
        return [
            policy_index[f.policy_id],
            STATUS_CODE[f.status],
            account_index[r.account_id],
            self.regions.add(r.region),
            self.envs.add(r.environment),
            self.types.add(r.type),
            r.id,
            0 if r.name == r.id else r.name,
            -1 if r.arn is None else self._string(r.arn, fields),
            self._detail(f, fields),
            self.commands.add(tuple(self._string(c, fields) for c in f.remediation)),
            *self._optional(f),
        ]

    def _optional(self, f: Finding) -> list[Any]:
        """The row's optional tail: waiver, change, then location and property, each
        present when it or a later field is set."""
        waiver = -1 if f.waiver is None else self.waivers.add((
            f.waiver.id, f.waiver.reason, f.waiver.owner, f.waiver.expires,
            f.waiver.status.value, f.waiver.source))
        change = CHANGE_CODE.get(f.change, 0) if f.change is not None else 0
        if f.location is not None:
            prop = [f.location.property] if f.location.property else []
            return [waiver, change, f.location.describe(), *prop]
        if change:
            return [waiver, change]
        return [waiver] if waiver >= 0 else []

    def _string(self, text: str, fields: dict[str, str]) -> int:
        template = templatize(text, fields)
        if _expand(template, fields) != text:  # pragma: no cover - defensive
            template = text.replace(MARK, MARK + MARK)
        return self.strings.add(template)

    def _detail(self, finding: Finding, fields: dict[str, str]) -> int:
        evidence = finding.evidence or {}
        pairs = _dumps([[k, v] for k, v in evidence.items()])
        decisive = tuple(self.strings.add(k) for k in finding.decisive_keys if k in evidence)
        return self.details.add((self._string(finding.message, fields),
                                 self._string(pairs, fields), decisive))


def _chunk_text(rows: Iterable[list[Any]]) -> str:
    # A list's compact JSON is its items' compact JSON joined by ","; the brackets are
    # written once around all the chunks.
    return script_json(_dumps(list(rows))[1:-1])
