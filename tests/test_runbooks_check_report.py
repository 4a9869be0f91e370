"""The renderers of `preflight runbooks check`: runbooks.html in a real Chromium (no script
runs, nothing is requested, hostile runbook text and AWS names stay text) and runbooks.md
(inert in GitHub's Markdown engine, within the step-summary limit)."""

from __future__ import annotations

import json
from pathlib import Path

import cmarkgfm
import jsonschema
from preflight_scanner.models import Account
from preflight_scanner.reports import runbooks_html, runbooks_json, runbooks_markdown
from preflight_scanner.runbookcheck.model import (
    CheckResult,
    Outcome,
    Place,
    Readiness,
    Reason,
    RunbookReport,
    SectionReport,
    StepReport,
    Target,
)

HOSTILE = '"><img src=x onerror="window.__pwned=1">'
SCRIPT = "</script><script>window.__pwned=2</script>"


def result() -> CheckResult:
    prod = Account("111111111111", "prod", "prod")
    dev = Account("222222222222", f"dev{HOSTILE}", "dev")
    places = [Place.of(prod, "us-east-1"), Place.of(dev, "us-east-1")]
    ready = Target((("TABLE_NAME", "orders"),), Readiness.READY,
                   verified=("DynamoDB table orders exists",))
    broken = Target((("TABLE_NAME", f"t{SCRIPT}"),), Readiness.NOT_READY, (Reason(
        Readiness.NOT_READY, f"policy dynamodb-pitr-enabled fails: {HOSTILE}",
        "aws dynamodb update-continuous-backups", "dynamodb-pitr-enabled"),))
    restore = StepReport("orders#restore/step-1", 9, 1,
                         "aws dynamodb restore-table-to-point-in-time \\\n  --source-table-name "
                         "${TABLE_NAME}", "dynamodb restore-table-to-point-in-time",
                         (Outcome(places[0], Readiness.READY, (ready,)),
                          Outcome(places[1], Readiness.NOT_READY, (broken,))))
    unbound = StepReport("orders#restore/step-2", 12, 1, f"aws logs tail /ecs/${{SVC}} {SCRIPT}",
                         "logs tail", tuple(Outcome(p, Readiness.UNKNOWN, reasons=(Reason(
                             Readiness.UNKNOWN, "unbound placeholder SVC", "bind it"),))
                             for p in places))
    section = SectionReport("restore", f"Restore {SCRIPT}", 7,
                            f"## Restore\n\nText with [a link](javascript:alert(1)) and {HOSTILE}",
                            (restore, unbound))
    return CheckResult("0.1.0", "2026-12-03T13:00:00+00:00", "2026-12-03T13:00:05+00:00",
                       (prod, dev), ("us-east-1",),
                       (RunbookReport("orders", "runbooks/orders.md", "Orders", (section,)),),
                       api_calls=9, listings=6)


def test_json_follows_its_schema_and_lists_ready_steps_too():
    doc = json.loads(runbooks_json.render(result()))
    jsonschema.validate(doc, runbooks_json.schema())
    assert doc["summary"] == {"ready": 1, "not-ready": 1, "unknown": 2, "waived": 0}
    assert doc["status"] == "not-ready"


def test_markdown_is_inert_and_names_every_failing_place():
    text = runbooks_markdown.render(result())
    html = cmarkgfm.github_flavored_markdown_to_html(text)
    assert "<script" not in html and "<img" not in html
    assert "1 ready, 1 not ready, 2 cannot tell, 0 waived" in text
    rows = [line for line in text.splitlines() if line.startswith("| `orders#")]
    assert len(rows) == 3  # not ready in dev; cannot tell in prod and dev
    small = runbooks_markdown.render(result(), max_bytes=900)
    assert len(small.encode()) <= 900 and "more row(s) in runbooks.json" in small


def test_html_in_chromium_shows_the_runbook_beside_its_steps_and_runs_nothing(tmp_path: Path):
    from tests.test_html_browser import Browser, _require_browser

    _require_browser()
    page = tmp_path / "runbooks.html"
    page.write_text(runbooks_html.render(result()), encoding="utf-8")
    (tmp_path / "profile").mkdir()
    browser = Browser(tmp_path / "profile")
    try:
        browser.call("Page.navigate", {"url": page.as_uri()})
        browser.wait_for(f"location.href === {page.as_uri()!r} && "
                         "document.readyState === 'complete'")
        seen = browser.js("""({
            pwned: window.__pwned === undefined ? null : window.__pwned,
            scripts: document.scripts.length,
            images: document.images.length,
            steps: [...document.querySelectorAll('.rb-step')].map(s => s.id),
            text: document.querySelector('.rb-text').innerText,
            title: document.querySelector('.step-head h3').textContent,
            verdict: document.querySelector('#verdict').textContent,
            cells: [...document.querySelectorAll('.rb-step tbody tr')].map(r => r.innerText),
            ready: [...document.querySelectorAll('details.rb-ready')].map(d => d.textContent
                .replace(/\\s+/g, ' ').trim()),
            sideBySide: (() => {
                const t = document.querySelector('.rb-text').getBoundingClientRect();
                const s = document.querySelector('.rb-steps').getBoundingClientRect();
                return t.right <= s.left && t.top === s.top; })(),
            links: [...document.querySelectorAll('a')].map(a => a.getAttribute('href')),
        })""")
        problems = browser.problems()
        requests = browser.requests()
    finally:
        browser.close()
    assert seen["pwned"] is None and seen["scripts"] == 0 and seen["images"] == 0
    assert seen["steps"] == ["orders#restore/step-1", "orders#restore/step-2"]
    assert seen["title"] == f"Restore {SCRIPT}"
    assert HOSTILE in seen["text"]
    assert seen["verdict"] == "1 not ready, 2 cannot tell"
    assert seen["sideBySide"]
    assert not any(h and h.lower().startswith("javascript:") for h in seen["links"])
    dev_row = next(c for c in seen["cells"] if "222222222222" in c)
    assert "not ready" in dev_row.lower() and f"policy dynamodb-pitr-enabled fails: {HOSTILE}" in dev_row
    assert "fix: aws dynamodb update-continuous-backups" in dev_row
    # Ready places fold away under one line per step, with what was found.
    assert seen["ready"] == ["ready in 1 place(s) prod 111111111111 us-east-1: TABLE_NAME=orders: "
                             "DynamoDB table orders exists"]
    assert not problems
    assert all(url.startswith("file://") for url in requests)
