"""`preflight notify slack|teams|webhook`: tell a channel what failed, most severe first.

The message: counts by status, the failures (only the new ones with ``--only-new``), capped
and most severe first, each with its account, resource, one-line reason and runbook link,
and a link to the run. Payloads: Slack Block Kit, a Teams Adaptive Card, or plain JSON.

- The webhook URL is a secret: it comes from an environment variable (``--url-env``) and is
  never printed, logged or put in an error message. It must be https (plain http only to a
  loopback address, for tests and local relays).
- Text from AWS is inert: control characters escaped; in Slack it goes in ``plain_text``
  objects (no mention, link or formatting can form); in Teams, whose TextBlocks read a
  Markdown subset, ``](`` is broken so no link can form and ``*``/``_`` are escaped.
- A 429 or 5xx is retried, waiting ``Retry-After`` (at most ``MAX_WAIT`` seconds) at most
  ``ATTEMPTS`` times in all.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from preflight_scanner.reports.text import inert

from ..errors import PreflightError
from ..models import Change, Finding, ScanResult, Status

ATTEMPTS, MAX_WAIT, TIMEOUT = 4, 30.0, 10.0
DEFAULT_LIMIT = 10
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class NotifyError(PreflightError):
    """No URL, or a URL that is not https (exit code 2)."""


class DeliveryError(PreflightError):
    """The endpoint did not accept the message after the retries (exit code 3)."""

    exit_code = 3


@dataclass(frozen=True)
class Item:
    severity: str
    title: str
    account: str
    resource: str
    reason: str
    runbook: str


@dataclass(frozen=True)
class Message:
    counts: dict[str, int]
    items: tuple[Item, ...]
    more: int  # failures beyond the cap
    only_new: bool
    run_url: str


def run_url(env: Mapping[str, str], given: str | None = None) -> str:
    if given:
        return given
    parts = [env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def _line(text: str, limit: int = 200) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return inert(first if len(first) <= limit else first[: limit - 1] + "\u2026")


def build(result: ScanResult, only_new: bool, limit: int, url: str) -> Message:
    accounts = {a.id: a.name for a in result.accounts}
    titles = {p.id: p.title for p in result.policies}
    links = {e.ref: e.link for e in result.runbooks}
    failures = [f for f in result.findings if f.status is Status.FAIL
                and not (only_new and f.change is Change.UNCHANGED)]
    failures.sort(key=lambda f: -f.severity.rank)  # stable: the report's order within a severity

    def item(f: Finding) -> Item:
        r = f.resource
        name = accounts.get(r.account_id, "")
        return Item(f.severity.value, _line(titles.get(f.policy_id, f.policy_id)),
                    _line(f"{name} ({r.account_id})" if name and name != r.account_id
                          else r.account_id),
                    _line((r.arn or f"{r.type} {r.id}") + (f" ({r.name})" if r.name != r.id
                                                             else "")), _line(f.message),
                    _line(links.get(f.runbook) or f.runbook, 500))

    counts = {s.value: result.count(s) for s in Status}
    if result.baseline is not None:
        counts["new"] = sum(1 for f in result.findings if f.change is Change.NEW
                            and f.status is Status.FAIL)
    return Message(counts, tuple(item(f) for f in failures[:limit]),
                   max(len(failures) - limit, 0), only_new, url)


def _headline(m: Message) -> str:
    what = "new failing check(s)" if m.only_new else "failing check(s)"
    shown = len(m.items) + m.more
    return (f"Preflight: {shown} {what}, {m.counts['error']} not checked, "
            f"{m.counts['waived']} waived, {m.counts['pass']} passing")


def slack(m: Message) -> dict[str, Any]:
    def plain(text: str) -> dict[str, Any]:
        return {"type": "plain_text", "text": text[:3000], "emoji": False}

    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(_headline(m)[:150])}]
    for i in m.items:
        blocks.append({"type": "section", "text": plain(
            f"[{i.severity.upper()}] {i.title}\n{i.resource}\nAccount: {i.account}\n"
            f"{i.reason}\nRunbook: {i.runbook}")})
    if m.more:
        blocks.append({"type": "context", "elements": [plain(f"... and {m.more} more")]})
    if m.run_url:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": plain("Open the run"), "url": m.run_url}]})
    return {"text": _headline(m), "blocks": blocks[:50]}


def _teams_text(text: str) -> str:
    return text.replace("](", "] (").replace("*", "\\*").replace("_", "\\_")


def teams(m: Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": _teams_text(_headline(m)),
                                   "weight": "Bolder", "size": "Medium", "wrap": True}]
    for i in m.items:
        body.append({"type": "Container", "separator": True, "items": [
            {"type": "TextBlock", "text": _teams_text(f"{i.severity.upper()}: {i.title}"),
             "weight": "Bolder", "wrap": True},
            {"type": "FactSet", "facts": [{"title": k, "value": _teams_text(v)} for k, v in (
                ("Resource", i.resource), ("Account", i.account), ("Reason", i.reason),
                ("Runbook", i.runbook))]}]})
    if m.more:
        body.append({"type": "TextBlock", "text": f"... and {m.more} more", "wrap": True})
    card: dict[str, Any] = {"type": "AdaptiveCard", "version": "1.4", "body": body,
                            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json"}
    if m.run_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the run", "url": m.run_url}]
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def webhook(m: Message) -> dict[str, Any]:
    return {"summary": _headline(m), "counts": m.counts, "only_new": m.only_new,
            "failures": [vars(i) for i in m.items], "more": m.more, "run_url": m.run_url or None}


PAYLOADS: dict[str, Callable[[Message], dict[str, Any]]] = {
    "slack": slack, "teams": teams, "webhook": webhook}


def check_url(url: str, variable: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return
    raise NotifyError(f"the URL in ${variable} must be https:// (plain http only to a loopback "
                      "address); it is not shown here because it is a secret")


def send(url: str, payload: dict[str, Any], sleep: Callable[[float], None] | None = None) -> int:
    """POST the payload; retry 429 and 5xx; return the final status. Never shows the URL."""
    data = json.dumps(payload).encode("utf-8")
    for attempt in range(ATTEMPTS):
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # scheme checked (check_url)
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            status, wait = exc.code, _retry_after(exc.headers.get("Retry-After"), attempt)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"the webhook could not be reached: {type(reason).__name__}"
                                ) from None
        if (status != 429 and status < 500) or attempt == ATTEMPTS - 1:
            raise DeliveryError(f"the webhook answered HTTP {status}")
        (sleep or time.sleep)(wait)  # looked up now, so a test can replace time.sleep
    raise DeliveryError("the webhook did not accept the message")  # not reached


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        wait = float(value) if value is not None else 2.0 ** attempt
    except ValueError:  # an HTTP date or garbage: back off instead
        wait = 2.0 ** attempt
    return min(max(wait, 0.0), MAX_WAIT)
