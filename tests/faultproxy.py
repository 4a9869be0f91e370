"""A fault-injecting HTTP proxy in front of moto, for tests.

The scanner talks to the proxy exactly as it would to AWS (AWS_ENDPOINT_URL), so the
real botocore path runs: signing, retries, error parsing. Each request is classified by
service and region (from the SigV4 credential scope), operation (X-Amz-Target, Action,
the smithy-rpc-v2-cbor path, or for REST APIs the method and URI template of botocore's
own service model) and account (learned from AssumeRole answers), and a matching rule
answers with an AWS-shaped error instead of forwarding, drops the connection, or answers
late.

- ``probability``: a rule fires on that share of the requests it matches, drawn from the
  proxy's seeded RNG (``FaultProxy.seed``; ``reset()`` re-seeds), so "30% of calls
  throttled" is one rule.
- ``delay``: seconds to wait before answering; with ``status=None`` the request is then
  forwarded (a slow answer, or one past the client's read timeout), otherwise the error.
- ``status=0`` closes the connection without an answer (a reset).
- ``where``: any predicate over the classified Request, e.g. "not an action this IAM
  policy allows".
- ``issued``: every credential set AssumeRole handed out, so a test can look for them.
- ``message`` may hold ``{access_key}`` (the caller's key id) and ``{body}`` (the request):
  an endpoint that echoes credentials or the external id back in an error.
"""

from __future__ import annotations

import dataclasses
import functools
import http.client
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

DEFAULT_ACCOUNT = "123456789012"
_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")


@dataclass
class Fault:
    """Answer matching requests with an error. Unset fields match anything."""

    service: str | None = None  # SigV4 signing name: dynamodb, s3, lambda, apigateway, sts...
    operation: str | None = None  # API operation name, e.g. DescribeContinuousBackups, GetStages
    path: str | None = None  # regex on the URL path, for REST services
    body: str | None = None  # regex on the request body, e.g. a pagination token
    account: str | None = None
    region: str | None = None
    status: int = 403
    code: str = "AccessDeniedException"
    message: str = "User is not authorized to perform this action (injected)"
    times: int | None = None  # how many requests to fail; None: all
    probability: float = 1.0  # share of matching requests that fail (seeded RNG)
    delay: float = 0.0  # seconds before answering
    where: Callable[[Request], bool] | None = None  # any further condition
    hits: int = 0

    def matches(self, req: Request) -> bool:
        return (
            (self.times is None or self.hits < self.times)
            and self.service in (None, req.service)
            and self.operation in (None, req.operation)
            and self.account in (None, req.account)
            and self.region in (None, req.region)
            and (self.path is None or re.search(self.path, req.path) is not None)
            and (self.body is None or re.search(self.body, req.body) is not None)
            and (self.where is None or bool(self.where(req)))
        )


@dataclass
class Request:
    method: str
    path: str
    service: str  # SigV4 signing name
    region: str
    account: str
    operation: str | None
    protocol: str
    body: str = ""
    api: str = ""  # botocore service name (apigateway and apigatewayv2 share a signing name)
    access_key: str = ""


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    # botocore service:Operation of every request, REST ones included
    operations: Counter[str] = field(default_factory=Counter)
    # credentials handed out by AssumeRole: AccessKeyId, SecretAccessKey, SessionToken
    issued: list[dict[str, str]] = field(default_factory=list)
    seed: int = 20260101
    _keys: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def start(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()
            self.operations.clear()
            self.issued.clear()
            self.rng = random.Random(self.seed)

    # --- request handling -----------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        req = self._classify(h, body)
        with self._lock:
            label = req.operation if req.protocol != "rest" else None
            self.seen[f"{req.service}:{label or req.method + ' ' + req.path}"] += 1
            self.operations[f"{req.api}:{req.operation or req.method + ' ' + req.path}"] += 1
            fault = None
            for candidate in self.faults:
                if candidate.matches(req) and (candidate.probability >= 1.0
                                               or self.rng.random() < candidate.probability):
                    fault = candidate
                    break
            if fault:
                fault.hits += 1
            else:
                fault = _not_in_moto(req)
        try:
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.status is not None:
                self._error(h, req, fault)
                return
            status, headers, payload = self._forward(h, body)
            if req.operation == "AssumeRole":
                self._learn_account(body, payload)
            h.send_response(status)
            for key, value in headers:
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    h.send_header(key, value)
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(payload)
        except OSError:  # the client gave up (read timeout), or moto is gone (teardown)
            h.close_connection = True

    def _classify(self, h: BaseHTTPRequestHandler, body: bytes) -> Request:
        scope = _SCOPE.search(h.headers.get("Authorization", ""))
        key, region, service = scope.groups() if scope else ("", "", "")
        target = h.headers.get("X-Amz-Target")
        url = urlsplit(h.path)
        operation = None
        protocol = "rest"
        api = _services(service)[0] if service else ""
        cbor = _CBOR_PATH.match(url.path)
        if target:
            operation, protocol = target.rsplit(".", 1)[-1], "json"
        elif cbor:
            operation, protocol = cbor.group(2), "cbor"
        else:
            params = parse_qs(url.query, keep_blank_values=True)
            if h.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                params.update(parse_qs(body.decode("utf-8", "replace")))
            if "Action" in params:
                operation, protocol = params["Action"][0], "query"
            else:
                api, operation = _rest_operation(service, h.command, url.path, params)
        with self._lock:
            account = self._keys.get(key, DEFAULT_ACCOUNT)
        return Request(h.command, url.path, service, region, account, operation, protocol,
                       body.decode("utf-8", "replace"), api, key)

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes):
        target = urlsplit(self.upstream)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        headers = {k: v for k, v in h.headers.items() if k.lower() != "host"}
        headers["Host"] = h.headers.get("Host", target.netloc)
        conn.request(h.command, h.path, body=body or None, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        return response.status, response.getheaders(), payload

    def _learn_account(self, request_body: bytes, payload: bytes) -> None:
        role = parse_qs(request_body.decode()).get("RoleArn", [""])[0]
        key = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", payload)
        account = re.search(r"arn:aws[a-z-]*:iam::(\d{12}):", role)
        issued = {name: m.group(1).decode() for name in
                  ("AccessKeyId", "SecretAccessKey", "SessionToken")
                  if (m := re.search(rb"<" + name.encode() + rb">([^<]+)</", payload))}
        with self._lock:
            if issued:
                self.issued.append(issued)
            if key and account:
                self._keys[key.group(1).decode()] = account.group(1)

    def _error(self, h: BaseHTTPRequestHandler, req: Request, fault: Fault) -> None:
        if fault.status == 0:  # a dropped connection
            h.close_connection = True
            h.connection.close()
            return
        extra: dict[str, str] = {}
        # An endpoint that echoes the caller's key id or request back in its error message.
        fault = dataclasses.replace(fault, message=fault.message.replace(
            "{access_key}", req.access_key).replace("{body}", req.body[:500]))
        if req.protocol == "json":
            payload = json.dumps({"__type": fault.code, "message": fault.message}).encode()
            content_type = "application/x-amz-json-1.0"
        elif req.protocol == "cbor":
            payload = _cbor_map({"__type": fault.code, "message": fault.message})
            content_type = "application/cbor"
            extra["smithy-protocol"] = "rpc-v2-cbor"
        elif req.protocol == "query" or req.service == "s3":
            inner = f"<Code>{fault.code}</Code><Message>{xml_escape(fault.message)}</Message>"
            payload = (f"<ErrorResponse><Error><Type>Sender</Type>{inner}</Error></ErrorResponse>"
                       if req.protocol == "query" else f"<Error>{inner}</Error>").encode()
            content_type = "text/xml"
        else:  # rest-json: lambda, apigateway, cognito via REST...
            payload = json.dumps({"message": fault.message}).encode()
            content_type = "application/json"
        h.send_response(fault.status)
        h.send_header("Content-Type", content_type)
        h.send_header("x-amzn-ErrorType", fault.code)
        for key, value in extra.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


# --- REST operations from botocore's service models -------------------------------------

# Signing names shared by several services: API Gateway v1 and v2 both sign as apigateway.
# Signing names that differ from the botocore service name are listed here too.
_SHARED_SIGNING = {"apigateway": ("apigateway", "apigatewayv2"), "monitoring": ("cloudwatch",),
                   "execute-api": ("apigateway",), "tagging": ("resourcegroupstaggingapi",)}


def _services(signing: str) -> tuple[str, ...]:
    return _SHARED_SIGNING.get(signing, (signing,))


@dataclass(frozen=True)
class _Route:
    service: str
    operation: str
    method: str
    pattern: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]  # required query keys (and values)
    literal: int


@functools.cache
def _routes(signing: str) -> tuple[_Route, ...]:
    import botocore.session

    session = botocore.session.get_session()
    available = set(session.get_available_services())
    routes = []
    for name in _services(signing):
        if name not in available:
            continue
        model = session.get_service_model(name)
        if not model.metadata.get("protocol", "").startswith("rest"):
            continue
        for op_name in model.operation_names:
            http = model.operation_model(op_name).http
            uri, _, query = http["requestUri"].partition("?")
            regex = re.escape(uri)
            regex = re.sub(r"\\\{[^}]+?\\\+\\\}", ".+", regex)  # greedy labels {Key+}
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", regex)
            pattern = re.compile("^" + regex.rstrip("/") + "/?$")
            required = tuple((k, v if sep else None) for part in query.split("&") if part
                             for k, sep, v in [part.partition("=")])
            literal = len(re.sub(r"\{[^}]+\}", "", uri)) + 100 * len(required)
            routes.append(_Route(name, op_name, http["method"], pattern, required, literal))
    return tuple(sorted(routes, key=lambda r: -r.literal))


def _rest_operation(signing: str, method: str, path: str, params: dict[str, list[str]]
                    ) -> tuple[str, str | None]:
    """(botocore service, operation) of a REST request; the operation is None if unknown."""
    decoded = unquote(path)
    for route in _routes(signing):
        if route.method != method or not route.pattern.match(decoded):
            continue
        if all(key in params and (value is None or value in params[key])
               for key, value in route.query):
            return route.service, route.operation
    return (_services(signing)[0] if signing else ""), None


def _cbor_map(values: dict[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949), enough for a smithy-rpc-v2-cbor error body."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")

    out = bytearray(head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            data = text.encode()
            out += head(3, len(data)) + data
    return bytes(out)


# What moto does not implement at all answers 501 at once, as an endpoint without the API
# would: moto's own answer for an unknown service is a 500, which botocore retries eight times
# with backoff (about ten seconds a scan) before the scanner reports the same error finding.
# 501 is not a retryable status. (An operation moto lacks in a service it has, such as
# CloudFront's GetMonitoringSubscription, gets moto's 404 at once: left as it is.)
NOT_IN_MOTO = ("amplify",)


def _not_in_moto(req: Request) -> Fault | None:
    if req.api in NOT_IN_MOTO:
        return Fault(status=501, code="NotImplemented",
                     message=f"moto does not implement {req.api}:{req.operation}")
    return None
