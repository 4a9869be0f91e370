"""`preflight notify`: payloads posted to a local HTTP server on 127.0.0.1 that records them;
Slack Block Kit and Teams Adaptive Card shapes, most severe first and capped, new failures
against a baseline, the run link, bounded retries on 429, and a URL that is never shown."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from preflight_scanner.cli import main
from preflight_scanner.export import notify
from preflight_scanner.models import Status
from preflight_scanner.reports import json_report

from tests.test_reports_golden import sample_result


class Recorder:
    """Answers each POST with the next scripted (status, headers), then 200; keeps bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                recorder.bodies.append(json.loads(self.rfile.read(length)))
                status, headers = recorder.script.pop(0) if recorder.script else (200, {})
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/SECRET-TOKEN"


@pytest.fixture
def hook(monkeypatch) -> Iterator[Recorder]:
    recorder = Recorder()
    thread = threading.Thread(target=recorder.server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HOOK", recorder.url)
    for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"):
        monkeypatch.delenv(key, raising=False)
    waits: list[float] = []
    monkeypatch.setattr(notify.time, "sleep", waits.append)
    recorder.waits = waits  # type: ignore[attr-defined]
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


def _report(tmp_path: Path, result=None, name: str = "report.json") -> str:
    path = tmp_path / name
    path.write_text(json_report.render(result or sample_result()), encoding="utf-8")
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_slack_gets_block_kit_most_severe_first_with_the_run_link(hook, tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/infra")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    code, output = run(capsys, "notify", "slack", _report(tmp_path), "--url-env", "HOOK")
    assert code == 0, output
    [body] = hook.bodies
    assert body["text"].startswith("Preflight: 4 failing check(s), 1 not checked")
    blocks = body["blocks"]
    assert blocks[0]["type"] == "header"
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert [s.split("]")[0] for s in sections] == ["[CRITICAL", "[HIGH", "[HIGH", "[LOW"]
    assert "Account: shop-prod (111111111111)" in sections[0]
    assert "https://wiki.example.com/runbooks/disaster-recovery" in sections[1]
    assert all(b["text"]["type"] == "plain_text" for b in blocks if "text" in b)  # AWS text inert
    assert any("<img src=x>" in s for s in sections)  # as plain text, in a plain_text object
    assert blocks[-1]["elements"][0]["url"] == "https://github.com/acme/infra/actions/runs/42"
    assert "SECRET-TOKEN" not in output and "127.0.0.1" not in output


def test_teams_gets_an_adaptive_card_capped_with_a_count_of_the_rest(hook, tmp_path, capsys):
    code, output = run(capsys, "notify", "teams", _report(tmp_path), "--url-env", "HOOK",
                       "--limit", "2", "--run-url", "https://ci.example.com/run/7")
    assert code == 0, output
    [body] = hook.bodies
    card = body["attachments"][0]["content"]
    assert body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard"
    containers = [b for b in card["body"] if b["type"] == "Container"]
    assert len(containers) == 2 and card["body"][-1]["text"] == "... and 2 more"
    assert card["actions"][0]["url"] == "https://ci.example.com/run/7"
    text = json.dumps(card)
    assert "](http://evil)" not in text  # no Markdown link can form from a resource name


def test_only_new_against_a_baseline_lists_new_failures_or_sends_nothing(hook, tmp_path, capsys):
    result = sample_result()
    baseline = _report(tmp_path, result, "old.json")
    carts = next(f for f in result.findings if f.resource.id == "carts")
    newer = dataclasses.replace(result, findings=(*result.findings, dataclasses.replace(
        carts, resource=dataclasses.replace(carts.resource, id="payments", name="payments",
                                            arn="arn:aws:dynamodb:us-east-1:1:payments"))))
    code, output = run(capsys, "notify", "webhook", _report(tmp_path, newer), "--url-env", "HOOK",
                       "--baseline", baseline, "--only-new")
    assert code == 0, output
    [body] = hook.bodies
    assert [f["resource"] for f in body["failures"]] == ["arn:aws:dynamodb:us-east-1:1:payments"]
    assert body["counts"]["new"] == 1 and body["only_new"] is True
    code, output = run(capsys, "notify", "webhook", baseline, "--url-env", "HOOK",
                       "--baseline", baseline, "--only-new")
    assert code == 0 and "nothing sent" in output and len(hook.bodies) == 1


def test_429_is_retried_after_retry_after_and_bounded(hook, tmp_path, capsys):
    hook.script = [(429, {"Retry-After": "3"}), (503, {}), (429, {"Retry-After": "9999"})]
    code, output = run(capsys, "notify", "slack", _report(tmp_path), "--url-env", "HOOK")
    assert code == 0, output
    assert len(hook.bodies) == 4 and hook.waits == [3.0, 2.0, notify.MAX_WAIT]
    hook.script = [(429, {"Retry-After": "1"})] * notify.ATTEMPTS
    code, output = run(capsys, "notify", "slack", _report(tmp_path), "--url-env", "HOOK")
    assert code == 3 and "answered HTTP 429" in output
    assert len(hook.bodies) == 4 + notify.ATTEMPTS
    assert "SECRET-TOKEN" not in output


def test_a_client_error_is_not_retried_and_the_url_is_never_shown(hook, tmp_path, capsys):
    hook.script = [(404, {})]
    code, output = run(capsys, "notify", "teams", _report(tmp_path), "--url-env", "HOOK")
    assert code == 3 and "HTTP 404" in output and len(hook.bodies) == 1
    assert "SECRET-TOKEN" not in output and "hooks" not in output


@pytest.mark.parametrize(("value", "message"), [
    ("", "$HOOK is empty or not set"),
    ("http://hooks.example.com/x/SECRET-TOKEN", "must be https://"),
    ("file:///etc/SECRET-TOKEN", "must be https://"),
])
def test_a_missing_or_unsafe_url_exits_2_without_showing_it(hook, tmp_path, capsys, monkeypatch,
                                                           value, message):
    monkeypatch.setenv("HOOK", value)
    code, output = run(capsys, "notify", "slack", _report(tmp_path), "--url-env", "HOOK")
    assert code == 2 and message in output and "SECRET-TOKEN" not in output
    assert hook.bodies == []


def test_an_unreachable_endpoint_is_a_delivery_error_without_the_url(tmp_path, capsys,
                                                                    monkeypatch):
    monkeypatch.setenv("HOOK", "http://127.0.0.1:9/SECRET-TOKEN")  # discard port: refused
    code, output = run(capsys, "notify", "webhook", _report(tmp_path), "--url-env", "HOOK")
    assert code == 3 and "could not be reached" in output and "SECRET-TOKEN" not in output


def test_hostile_text_stays_plain_in_every_payload():
    result = sample_result()
    evil = next(f for f in result.findings if f.resource.id == "evil")
    hostile = dataclasses.replace(evil, message="<!channel> *bold* [x](http://evil) \x1b[31m\nnext")
    message = notify.build(dataclasses.replace(result, findings=(hostile,)), False, 10, "")
    [item] = message.items
    assert item.reason == "<!channel> *bold* [x](http://evil) \\x1b[31m"  # first line, inert
    slack = json.dumps(notify.slack(message))
    assert '"type": "mrkdwn"' not in slack
    teams = json.dumps(notify.teams(message))
    assert "](http" not in teams and "\\\\*bold\\\\*" in teams
    assert Status.FAIL.value in json.dumps(notify.webhook(message)["counts"])
