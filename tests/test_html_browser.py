"""report.html in a real browser: headless Chromium driven over the DevTools protocol.

Nothing is downloaded: the system's Chromium (Debian's ``chromium`` package) is started
with ``--remote-debugging-port=0``; the port it picked is read from the DevToolsActivePort
file in its profile directory, and the test talks to it with ``websocket-client``.

The page is loaded from file://; the test filters it (through the page's controls, with
real mouse clicks and typing, and by loading a URL fragment), counts the rendered rows and
compares them with the ScanResult, checks that hostile resource names stay text, that the
page logs no error and requests nothing but its own file, and saves a screenshot to
test-artifacts/report.png.

Skipped only when Chromium is missing and CI is not set; in CI a missing browser fails.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from preflight_scanner.demo import estate
from preflight_scanner.demo.run import seed_demo_estate
from preflight_scanner.models import ScanResult, Status
from preflight_scanner.reports.html import render

# Its module fixtures are built once: its tests stay on one xdist worker (pyproject addopts).
pytestmark = pytest.mark.xdist_group("test_html_browser")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = (os.environ.get("PREFLIGHT_CHROMIUM") or shutil.which("chromium")
            or shutil.which("google-chrome") or "/usr/bin/chromium")
HOSTILE_IMG = '"><img src=x onerror="window.__pwned=1">'
HOSTILE_SCRIPT = "</script><script>window.__pwned=2</script>"
CI_HINT = "install it with: apt-get update && apt-get install -y chromium"


def _require_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must run the browser test ({CI_HINT})")
        pytest.skip(f"Chromium not found at {CHROMIUM} ({CI_HINT})")
    try:
        import websocket  # noqa: F401
    except ImportError:  # a declared test dependency: never skip for it
        pytest.fail("websocket-client is not installed: pip install '.[test]'")


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium and one page in it, over the DevTools protocol."""

    def __init__(self, profile: Path):
        import websocket

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions",
             "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1400,2000",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)  # its own process group: close() stops every helper process
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.process.poll() is not None:
                raise RuntimeError("Chromium exited: " + self.process.stderr.read().decode()[-2000:])
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        # Chromium refuses DevTools websockets that send an Origin it was not told to allow.
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1400, "height": 2000, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 60) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)
        raise CDPError(f"{method}: no reply in {timeout}s")

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60
             ) -> dict[str, Any]:
        return self.send(method, params, self.session, timeout)

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise CDPError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def open(self, url: str) -> None:
        """Load ``url`` as a new document (a fragment-only change would not reload)."""
        self.call("Page.navigate", {"url": "about:blank"})
        self.wait_for("location.href === 'about:blank' && document.readyState === 'complete'")
        self.call("Page.navigate", {"url": url})
        self.wait_for("!!document.documentElement && "
                      "document.documentElement.getAttribute('data-ready') === 'yes'", timeout=60)

    def open_static(self, url: str) -> None:
        """Load a page that has no script (the drill report): wait for the load to finish."""
        self.call("Page.navigate", {"url": "about:blank"})
        self.wait_for("location.href === 'about:blank' && document.readyState === 'complete'")
        self.call("Page.navigate", {"url": url})
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'",
                      timeout=60)

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        box = self.js(f"""(() => {{
            const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: 'center'}});
            const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];
        }})()""")
        assert box, f"nothing matches {selector}"
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def type_text(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", {"text": text})

    def select(self, name: str, value: str) -> None:
        """Choose an option of a filter the way a user's choice reaches the page: a change event."""
        assert self.js(f"""(() => {{
            const s = document.querySelector('#filters select[name={name}]');
            if (![...s.options].some(o => o.value === {json.dumps(value)})) return false;
            s.focus();
            s.value = {json.dumps(value)};
            s.dispatchEvent(new Event('input', {{bubbles: true}}));
            s.dispatchEvent(new Event('change', {{bubbles: true}}));
            return true;
        }})()"""), f"no option {value!r} in the {name} filter"

    def screenshot(self, path: Path, full_page: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000),
                "scale": 1})
        data = self.call("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        return found

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        # Chromium's helper processes outlive the main one and keep writing to the profile;
        # stop the whole group, so the profile can be removed.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require_browser()
    with tempfile.TemporaryDirectory(prefix="preflight-chromium-",
                                     ignore_cleanup_errors=True) as profile:
        instance = Browser(Path(profile))
        try:
            yield instance
        finally:
            instance.close()


# -- page queries ---------------------------------------------------------------------------

VISIBLE_ROWS = """[...document.querySelectorAll('section.policy:not([hidden])')].flatMap(s =>
    [...s.querySelectorAll('[data-issues] tbody.finding')].map(b => [
        s.getAttribute('data-policy-id'), b.querySelector('.res-name').textContent,
        b.querySelector('.status').textContent]))"""


def visible_rows(browser: Browser) -> Counter[tuple[str, str, str]]:
    return Counter(tuple(row) for row in browser.js(VISIBLE_ROWS))


def expected_rows(result: ScanResult, **where: str) -> Counter[tuple[str, str, str]]:
    """What the page should list: failing and error findings matching the filters."""
    statuses = {where["status"]} if "status" in where else {"fail", "error"}
    return Counter(
        (f.policy_id, f.resource.name, f.status.value) for f in result.findings
        if f.status.value in statuses
        and where.get("env", f.resource.environment) == f.resource.environment
        and where.get("account", f.resource.account_id) == f.resource.account_id
        and where.get("q", "").lower()
        in f"{f.resource.id}\n{f.resource.name}\n{f.resource.arn or ''}".lower()
    )


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# -- the demo estate, scanned for real ------------------------------------------------------

def test_demo_report_filters_escaping_and_console(browser: Browser, scan, tmp_path: Path,
                                                  artifacts: Path) -> None:
    config = seed_demo_estate()
    prod = next(a["id"] for a in config["accounts"] if a["environment"] == "prod")
    session = estate.account_session(prod)
    # API names are free text in API Gateway: the stages' resource names carry them.
    estate.create_rest_api(session, "us-east-1", HOSTILE_IMG, [estate.Stage("prod")])
    estate.create_rest_api(session, "us-east-1", HOSTILE_SCRIPT, [estate.Stage("prod")])
    result = scan(config)
    hostile = [f for f in result.findings if HOSTILE_IMG in f.resource.name and f.status is Status.FAIL]
    assert hostile, "the hostile API's stage should fail some policy"
    page = tmp_path / "report.html"
    page.write_text(render(result), encoding="utf-8")
    url = page.as_uri()

    # Unfiltered: every failing and error finding is listed (the demo is under a page per policy).
    browser.open(url)
    assert visible_rows(browser) == expected_rows(result)
    assert browser.js("document.querySelectorAll('section.policy:not([hidden])').length") == len(
        {f.policy_id for f in result.findings})
    browser.screenshot(artifacts / "report.png")

    # Links between the built-in runbooks lead to sections this page shows, or to the web;
    # the rest are text: nothing points at a file beside the report.
    hrefs = browser.js("[...document.querySelectorAll('.md a')].map(a => a.getAttribute('href'))")
    in_page = [h for h in hrefs if h.startswith("#")]
    assert in_page and all(h.startswith(("#", "https://", "http://", "mailto:")) for h in hrefs)
    assert browser.js(f"{json.dumps(in_page)}.every(h => document.getElementById(h.slice(1)))")
    # A link to a section the page does not show is inert text, never a link (the demo's
    # runbooks now all resolve in the page; test_markdown_render covers the inert case).
    assert browser.js("[...document.querySelectorAll('.md .md-inert')].every(e => !e.closest('a'))")

    # Hostile names are text: no element was injected and nothing ran.
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.querySelectorAll('script').length") == 2
    names = browser.js("[...document.querySelectorAll('.res-name')].map(e => e.textContent)")
    assert any(HOSTILE_IMG in name for name in names)
    assert any(HOSTILE_SCRIPT in name for name in names)
    commands = browser.js("[...document.querySelectorAll('.fix-box code')].map(e => e.textContent)")
    assert any(HOSTILE_IMG in c for c in commands), "remediation commands carry the name as text"

    # Filter by the page's own controls: status (a real click on the "failing" tile), then env.
    browser.click("a.tile-fail")
    browser.wait_for("location.hash === '#status=fail'")
    assert visible_rows(browser) == expected_rows(result, status="fail")
    browser.select("env", "prod")
    browser.wait_for("location.hash === '#status=fail&env=prod'")
    prod_fails = expected_rows(result, status="fail", env="prod")
    assert 0 < sum(prod_fails.values()) < sum(expected_rows(result, status="fail").values())
    assert visible_rows(browser) == prod_fails
    summary = browser.js("document.getElementById('match-summary').textContent")
    assert summary.startswith(f"{sum(prod_fails.values())} of {len(result.findings)} findings")

    # Typing in the search box narrows to resource names and ids.
    browser.type_text("#filters input[name=q]", "orders")
    browser.wait_for("location.hash === '#status=fail&env=prod&q=orders'")
    orders = expected_rows(result, status="fail", env="prod", q="orders")
    assert 0 < sum(orders.values()) < sum(prod_fails.values())
    assert visible_rows(browser) == orders
    browser.screenshot(artifacts / "report-filtered.png")

    # Loading a shared link applies its fragment, controls included.
    browser.open(url + "#status=fail&env=staging")
    assert browser.js("document.querySelector('#filters select[name=env]').value") == "staging"
    assert browser.js("document.querySelector('#filters select[name=status]').value") == "fail"
    staging = expected_rows(result, status="fail", env="staging")
    assert sum(staging.values()) > 0
    assert visible_rows(browser) == staging

    # A value may list alternatives; an account may be given by name.
    browser.open(url + "#status=fail,error&account=shop-prod")
    assert browser.js("document.querySelector('#filters select[name=status]').value") == "fail,error"
    assert browser.js("document.querySelector('#filters select[name=account]').value") == prod
    in_prod_account = expected_rows(result, account=prod)
    assert in_prod_account != expected_rows(result, env="prod")  # a staging resource is tagged prod
    assert visible_rows(browser) == in_prod_account

    # Editing the fragment of an open page applies it too.
    browser.js("location.hash = '#status=pass'")
    browser.wait_for("document.querySelector('#filters select[name=status]').value === 'pass'")
    assert visible_rows(browser) == Counter()
    passing = browser.js("""[...document.querySelectorAll('section.policy:not([hidden])')]
        .map(s => s.querySelectorAll('[data-pass-rows] tbody tr').length)
        .reduce((a, b) => a + b, 0)""")
    assert passing == result.count(Status.PASS)

    # The evidence the message names is highlighted; the fix commands are there to copy.
    browser.open(url + "#policy=dynamodb-pitr-enabled&status=fail")
    decisive = browser.js("""[...document.querySelectorAll(
        'section.policy:not([hidden]) tr.decisive th span:first-child')].map(e => e.textContent)""")
    pitr_fails = [f for f in result.findings
                  if f.policy_id == "dynamodb-pitr-enabled" and f.status is Status.FAIL]
    assert decisive == ["pitr.status"] * len(pitr_fails)
    copy_buttons = browser.js(
        "document.querySelectorAll('section.policy:not([hidden]) .fix-box button.copy').length")
    assert copy_buttons == sum(len(f.remediation) for f in pitr_fails) > 0
    # Copying puts the exact command (or, for "copy all", every command) on the clipboard.
    browser.js("""(() => {
        const record = t => { window.__copied = t; return Promise.resolve(); };
        if (navigator.clipboard) navigator.clipboard.writeText = record;
        else document.execCommand = () => { window.__copied = document.activeElement.value; return true; };
    })()""")
    browser.click("section.policy:not([hidden]) .fix-box button.copy")
    browser.wait_for("window.__copied !== undefined")
    shown_first = browser.js(
        "document.querySelector('section.policy:not([hidden]) .res-name').textContent")
    first = next(f for f in pitr_fails if f.resource.name == shown_first)
    assert browser.js("window.__copied") == first.remediation[0]
    browser.wait_for("document.querySelector('.fix-box button.copy').textContent === 'Copied'")
    browser.js("window.__copied = undefined")
    browser.click("section.policy:not([hidden]) .issues-bar button.copy")
    browser.wait_for("window.__copied !== undefined")
    copied_all = browser.js("window.__copied")
    assert all(command in copied_all for f in pitr_fails for command in f.remediation)
    assert copied_all.count("\n# ") + copied_all.startswith("# ") == len(pitr_fails)

    # The print stylesheet hides the controls.
    browser.call("Emulation.setEmulatedMedia", {"media": "print"})
    assert browser.js("getComputedStyle(document.getElementById('filters')).display") == "none"
    # ... and shows the (closed) runbook sections of the policies that need fixing.
    runbook_height = """document.querySelector(
        'section.policy:not([hidden]) details.runbook:not([open])').offsetHeight"""
    assert browser.js(runbook_height) > 150
    browser.call("Emulation.setEmulatedMedia", {"media": "screen"})
    assert browser.js(runbook_height) < 60
    browser.call("Emulation.setEmulatedMedia", {"media": ""})

    assert browser.problems() == []
    foreign = [u for u in browser.requests() if not u.startswith(("file:", "data:", "about:"))]
    assert foreign == []
    assert browser.js("typeof window.__pwned") == "undefined"


# -- a pre-deploy scan: each resource's file and line -----------------------------------------

def test_locations_show_under_the_resource_and_are_searchable(browser: Browser, tmp_path: Path,
                                                              artifacts: Path) -> None:
    from tests.test_reports_golden import sample_result
    from tests.test_reports_html import with_locations

    located = with_locations(sample_result(), hostile_id="evil")
    hostile_path = f"infra/{HOSTILE_IMG}\n{HOSTILE_SCRIPT} | *x* `y`.yaml"
    result = dataclasses.replace(located, findings=tuple(
        dataclasses.replace(f, location=dataclasses.replace(f.location, path=hostile_path))
        if f.resource.id == "evil" else f for f in located.findings))
    page = tmp_path / "located.html"
    page.write_text(render(result), encoding="utf-8")
    browser.open(page.as_uri())

    shown = browser.js("""[...document.querySelectorAll('[data-issues] tbody.finding')].map(b => [
        b.querySelector('.res-name').textContent, b.querySelector('.res-loc code').textContent,
        (b.querySelector('.res-loc .res-prop') || {}).textContent || ''])""")
    issues = [f for f in result.findings if f.status is not Status.PASS]
    assert sorted(shown) == sorted([f.resource.name, f.location.describe(), f.location.property or ""]
                                   for f in issues)
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.querySelectorAll('script').length") == 2
    browser.screenshot(artifacts / "report-located.png")

    # The search covers the location: a file:line finds that one resource.
    carts = next(f for f in result.findings if f.resource.id == "carts")
    browser.type_text("#filters input[name=q]", carts.location.describe())
    browser.wait_for("location.hash.indexOf('q=') >= 0")
    assert visible_rows(browser) == Counter({(carts.policy_id, "carts", "fail"): 1})
    assert browser.problems() == []


# -- a large report: paged, not all in the DOM ------------------------------------------------

def test_large_report_is_paged(browser: Browser, tmp_path: Path) -> None:
    from benchmarks.html_size import synthetic_result

    result = synthetic_result(20_000)
    page = tmp_path / "large.html"
    page.write_text(render(result), encoding="utf-8")
    started = time.monotonic()
    browser.open(page.as_uri())
    assert time.monotonic() - started < 20
    sections = browser.js("""[...document.querySelectorAll('section.policy:not([hidden])')].map(s =>
        [s.getAttribute('data-policy-id'), s.querySelectorAll('[data-issues] tbody.finding').length])""")
    issues = Counter(f.policy_id for f in result.findings if f.status is not Status.PASS)
    assert {pid for pid, _ in sections} == {f.policy_id for f in result.findings}
    for pid, shown in sections:
        assert shown == min(issues[pid], 100), pid
    rendered = browser.js("document.querySelectorAll('tbody.finding').length")
    assert rendered == sum(min(n, 100) for n in issues.values()) < sum(issues.values())

    # The next page of the first policy shows the next rows.
    first = browser.js("document.querySelector('section.policy:not([hidden]) .res-name').textContent")
    info = browser.js("document.querySelector('.pager-info').textContent")
    assert info.startswith("Rows 1\u2013100 of ")
    browser.click("section.policy:not([hidden]) .pager button:last-child")
    browser.wait_for("document.querySelector('.pager-info').textContent.startsWith('Rows 101')")
    assert browser.js(
        "document.querySelector('section.policy:not([hidden]) .res-name').textContent") != first

    # A search over 20,000 findings answers with just the matching resource.
    target = next(f for f in result.findings if f.status is Status.FAIL)
    browser.type_text("#filters input[name=q]", target.resource.name)
    browser.wait_for(f"location.hash.endsWith({json.dumps('q=' + target.resource.name)})")
    assert visible_rows(browser) == Counter({(target.policy_id, target.resource.name, "fail"): 1})
    assert browser.problems() == []


# -- links between runbooks, and from every finding to its runbook ----------------------------

def _linked_runbooks(result: ScanResult) -> ScanResult:
    """The sample scan with runbook text that links to other embedded sections, to one
    the report does not carry, and a subsection."""
    texts = {
        "authentication#mfa-configuration": (
            "## MFA configuration\n\nTurn MFA on. After a takeover, [restore the table]"
            "(disaster-recovery.md#restore-a-dynamodb-table), then [roll objects back]"
            "(./disaster-recovery.md#from-a-version), or read [the cost runbook]"
            "(cost-spike.md#alarms).\n"),
        "disaster-recovery#restore-s3-object-versions": (
            "## Restore S3 object versions\n\nCopy the earlier version back.\n\n"
            "### From a version\n\nList the versions first.\n"),
    }
    return dataclasses.replace(result, runbooks=tuple(
        dataclasses.replace(r, markdown=texts.get(r.ref, r.markdown)) for r in result.runbooks))


def _in_view(browser: Browser, element_id: str) -> bool:
    return browser.js(f"""(() => {{
        const r = document.getElementById({json.dumps(element_id)}).getBoundingClientRect();
        return r.height > 0 && r.top >= -1 && r.top < innerHeight; }})()""")


def test_runbook_links_stay_in_the_report(browser: Browser, tmp_path: Path) -> None:
    from tests.test_reports_golden import MFA, PITR, S3, sample_result

    result = _linked_runbooks(sample_result())
    page = tmp_path / "linked.html"
    page.write_text(render(result), encoding="utf-8")
    browser.open(page.as_uri() + f"#policy={MFA}")
    panel = dict(browser.js("[...document.querySelectorAll('section.policy')].map(s => "
                            "[s.getAttribute('data-policy-id'), s.querySelector('details.runbook').id])"))
    pitr_panel, s3_panel, mfa = panel[PITR], panel[S3], f"#{panel[MFA]}"
    links = browser.js(f"""[...document.querySelectorAll('{mfa} .md a, {mfa} .md .md-inert')]
        .map(a => [a.tagName, a.getAttribute('href'), a.textContent])""")
    assert links == [["A", f"#{pitr_panel}", "restore the table"],
                     ["A", f"#{s3_panel}-from-a-version", "roll objects back"],
                     ["SPAN", None, "the cost runbook (cost-spike.md#alarms)"]]
    # The target's policy is filtered out and its panel closed: following the link shows both.
    assert browser.js(f"document.getElementById('{pitr_panel}').closest('section').hidden")
    browser.click(f"{mfa} > summary")  # open the panel the link sits in
    browser.wait_for(f"document.querySelector('{mfa}').open")
    browser.click(f"{mfa} .md a")
    browser.wait_for(f"location.hash === '#{pitr_panel}'")
    assert browser.js(f"document.getElementById('{pitr_panel}').open")
    assert not browser.js(f"document.getElementById('{pitr_panel}').closest('section').hidden")
    assert _in_view(browser, pitr_panel)
    # A subsection: its heading carries the id, inside the other policy's panel.
    browser.click(f"{mfa} .md a[href$='-from-a-version']")
    browser.wait_for(f"location.hash === '#{s3_panel}-from-a-version'")
    assert browser.js(f"document.getElementById('{s3_panel}').open")
    assert _in_view(browser, f"{s3_panel}-from-a-version")

    # Every failing or error finding links to its own policy's runbook panel.
    browser.open(page.as_uri() + "#status=fail,error")
    rows = browser.js("""[...document.querySelectorAll('tbody.finding')].map(b => [
        b.closest('section.policy').querySelector('details.runbook').id,
        (b.querySelector('a.runbook-link') || {}).hash || ''])""")
    issues = [f for f in result.findings if f.status in (Status.FAIL, Status.ERROR)]
    assert len(rows) == len(issues) and all(link == f"#{own}" for own, link in rows), rows
    browser.click("section.policy:not([hidden]) tbody.finding a.runbook-link")
    first = rows[0][0]
    browser.wait_for(f"location.hash === '#{first}'")
    assert browser.js(f"document.getElementById('{first}').open") and _in_view(browser, first)
    assert browser.problems() == []


def test_drill_runbook_links_stay_in_the_report(browser: Browser, tmp_path: Path) -> None:
    from preflight_scanner.reports import drill_html

    from tests.test_drill_document import hostile_document

    doc = hostile_document()
    objects = next(s for s in doc["steps"] if s["id"] == "restore-objects")
    tables = next(s for s in doc["steps"] if s["id"] == "restore-tables")
    doc["runbooks"][objects["ref"]]["markdown"] = (
        "## Restore S3 object versions\n\nFirst [restore the tables]"
        f"(disaster-recovery.md#{tables['ref'].partition('#')[2]}); [nowhere](cost-spike.md#x).\n")
    page = tmp_path / "drill.html"
    page.write_text(drill_html.render(doc), encoding="utf-8")
    browser.open_static(page.as_uri())
    target = "step-restore-tables-runbook"
    assert browser.js("document.querySelector('#step-restore-objects-runbook a').hash"
                      ) == f"#{target}"
    assert browser.js("document.querySelector('#step-restore-objects-runbook .md-inert')"
                      ".textContent") == "nowhere (cost-spike.md#x)"
    # Each step's runbook chip leads to its panel.
    assert browser.js("document.querySelector('#step-restore-tables .policy-meta a.chip').hash"
                      ) == f"#{target}"
    panel = "document.getElementById('%s').closest('details')"
    browser.click("#step-restore-objects .runbook > summary")
    browser.wait_for(f"{panel % 'step-restore-objects-runbook'}.open")
    assert not browser.js(f"{panel % target}.open")
    browser.click("#step-restore-objects-runbook a")
    browser.wait_for(f"location.hash === '#{target}'")
    # No script in the drill report: the browser opens the <details> a fragment points into.
    browser.wait_for(f"{panel % target}.open")
    assert _in_view(browser, target)
    assert browser.problems() == []


# -- any screen: phone to desktop, and paper ---------------------------------------------------

WIDTHS = (390, 768, 1400, 1920)
# Elements that stick out of the viewport, or out of their card, without being inside a box
# that scrolls sideways: what a reader would have to pan the page to see, or would never see.
OUT_OF_BOX = """(() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    let card = null, scrolls = false;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') { scrolls = true; break; }
      if (!card && a.matches('.card, .policy')) card = a;
    }
    const limit = card ? card.getBoundingClientRect().right : width;
    if (!scrolls && r.right > limit + 1) out.push(`${e.tagName}.${e.className} ${r.right} > ${limit}`);
  }
  return out.slice(0, 5);
})()"""


def _viewport(browser: Browser, width: int) -> None:
    # A phone is emulated as one: a page wider than the screen would make Chromium zoom out
    # (innerWidth grows) rather than scroll, so both widths are checked below.
    browser.call("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 844 if width < 500 else 1000, "deviceScaleFactor": 1,
        "mobile": width < 500})


def test_reports_fit_a_phone_and_a_desktop(browser: Browser, tmp_path: Path,
                                           artifacts: Path) -> None:
    from preflight_scanner.reports import drill_html, runbooks_html

    from tests.test_drill_document import hostile_document
    from tests.test_reports_golden import sample_result
    from tests.test_reports_html import with_locations
    from tests.test_runbooks_check_report import result as readiness_result

    pages = {
        "scan": (render(_linked_runbooks(sample_result())), "section.policy"),
        "iac": (render(with_locations(sample_result(), hostile_id="evil")), "section.policy"),
        "drill": (drill_html.render(hostile_document()), "section.step"),
        "runbooks": (runbooks_html.render(readiness_result()), ".rb-section"),
    }
    try:
        for name, (html, first) in pages.items():
            page = tmp_path / f"{name}.html"
            page.write_text(html, encoding="utf-8")
            for width in WIDTHS:
                _viewport(browser, width)
                if name in ("drill", "runbooks"):  # pages without a script
                    browser.open_static(page.as_uri())
                else:
                    browser.open(page.as_uri() + "#status=fail,error")
                # Everything laid out: runbook panels (their Markdown tables and code),
                # passing resources.
                browser.js("document.querySelectorAll('details').forEach(d => d.open = true)")
                sizes = browser.js("[innerWidth, document.documentElement.scrollWidth]")
                assert sizes == [width, width], (name, width, sizes, browser.js(OUT_OF_BOX))
                assert browser.js(OUT_OF_BOX) == [], (name, width)
                if width in (390, 1400):
                    browser.screenshot(artifacts / f"{name}-{width}.png")
                    browser.js(f"document.querySelector('{first}').scrollIntoView()")
                    browser.screenshot(artifacts / f"{name}-{width}-detail.png")
                    if name == "scan":
                        browser.js("document.querySelector('.runbook-body .md').scrollIntoView()")
                        browser.screenshot(artifacts / f"runbook-{width}.png")
    finally:
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": 1400, "height": 2000, "deviceScaleFactor": 1, "mobile": False})
    assert browser.problems() == []


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_the_printed_drill_fills_its_pages_breaks_no_word_and_numbers_pages(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    import html as html_text
    import re

    from preflight_scanner.reports import drill_html

    from tests.test_drill_document import hostile_document

    page = tmp_path / "drill.html"
    page.write_text(drill_html.render(hostile_document()), encoding="utf-8")
    browser.open_static(page.as_uri())
    # The page size and margins come from the report's @page rule, page numbers from its
    # margin boxes: the same as "Save as PDF" in the print dialog.
    pdf = artifacts / "drill.pdf"
    pdf.write_bytes(base64.b64decode(browser.call("Page.printToPDF", {
        "printBackground": True, "preferCSSPageSize": True})["data"]))
    browser.call("Emulation.setEmulatedMedia", {"media": "print"})
    printed_words = set(re.findall(r"[a-z]{4,}", browser.js("document.body.innerText").lower()))
    browser.call("Emulation.setEmulatedMedia", {"media": ""})

    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boxes, re.S)
    assert len(pages) >= 4
    for number, (_, height, body) in enumerate(pages, 1):
        words = [(float(y), html_text.unescape(w)) for y, w in
                 re.findall(r'<word [^>]*yMax="([\d.]+)">([^<]*)</word>', body)]
        text = " ".join(w for _, w in words)
        assert f"Page {number} of {len(pages)}" in text
        if number < len(pages):  # no mostly blank page: the content reaches past half of it
            content = [y for y, w in words if w not in ("Page", "of") and not w.isdigit()]
            assert max(content) > float(height) * 0.5, f"page {number} is mostly blank"
    # A word broken across lines (or cut at the paper's edge) leaves a fragment that is no
    # word of the page: "preconditio", "tabl".
    fragments = {w for w in re.findall(r"[a-z]{4,}", html_text.unescape(
        " ".join(re.findall(r">([^<]*)</word>", boxes))).lower())} - printed_words - {"page"}
    assert fragments == set()

    # The scan report numbers its printed pages the same way.
    from tests.test_reports_golden import sample_result

    scan = tmp_path / "report.html"
    scan.write_text(render(sample_result()), encoding="utf-8")
    browser.open(scan.as_uri())
    scan_pdf = tmp_path / "report.pdf"
    scan_pdf.write_bytes(base64.b64decode(browser.call("Page.printToPDF", {
        "printBackground": True, "preferCSSPageSize": True})["data"]))
    text = subprocess.run(["pdftotext", str(scan_pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages_text = [p for p in text.split("\f") if p.strip()]
    assert all(f"Page {n} of {len(pages_text)}" in p for n, p in enumerate(pages_text, 1))
