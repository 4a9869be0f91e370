"""A fault-injecting HTTP proxy in front of moto, for tests.

The scanner talks to the proxy exactly as it would to AWS (AWS_ENDPOINT_URL), so the
real botocore path runs: signing, retries, error parsing. Each request is classified by
service and region (from the SigV4 credential scope), operation (X-Amz-Target, Action,
or a path pattern for REST APIs) and account (learned from AssumeRole answers), and a
matching rule answers with an AWS-shaped error instead of forwarding.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_ACCOUNT = "123456789012"
_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass
class Fault:
    """Answer matching requests with an error. Unset fields match anything."""

    service: str | None = None  # SigV4 signing name: dynamodb, s3, lambda, apigateway, sts...
    operation: str | None = None  # X-Amz-Target / Action name, e.g. DescribeContinuousBackups
    path: str | None = None  # regex on the URL path, for REST services
    body: str | None = None  # regex on the request body, e.g. a pagination token
    account: str | None = None
    region: str | None = None
    status: int = 403
    code: str = "AccessDeniedException"
    message: str = "User is not authorized to perform this action (injected)"
    times: int | None = None  # how many requests to fail; None: all
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
        )


@dataclass
class Request:
    method: str
    path: str
    service: str
    region: str
    account: str
    operation: str | None
    protocol: str
    body: str = ""


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    _keys: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

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

    # --- request handling -----------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        req = self._classify(h, body)
        with self._lock:
            self.seen[f"{req.service}:{req.operation or req.method + ' ' + req.path}"] += 1
            fault = next((f for f in self.faults if f.matches(req)), None)
            if fault:
                fault.hits += 1
        if fault:
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

    def _classify(self, h: BaseHTTPRequestHandler, body: bytes) -> Request:
        scope = _SCOPE.search(h.headers.get("Authorization", ""))
        key, region, service = scope.groups() if scope else ("", "", "")
        target = h.headers.get("X-Amz-Target")
        url = urlsplit(h.path)
        operation = None
        protocol = "rest"
        if target:
            operation, protocol = target.rsplit(".", 1)[-1], "json"
        else:
            params = parse_qs(url.query)
            if h.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                params.update(parse_qs(body.decode("utf-8", "replace")))
            if "Action" in params:
                operation, protocol = params["Action"][0], "query"
        with self._lock:
            account = self._keys.get(key, DEFAULT_ACCOUNT)
        return Request(h.command, url.path, service, region, account, operation, protocol,
                       body.decode("utf-8", "replace"))

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
        key = re.search(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>", payload)
        account = re.search(r"arn:aws[a-z-]*:iam::(\d{12}):", role)
        if key and account:
            with self._lock:
                self._keys[key.group(1).decode()] = account.group(1)

    def _error(self, h: BaseHTTPRequestHandler, req: Request, fault: Fault) -> None:
        if fault.status == 0:  # a dropped connection
            h.close_connection = True
            h.connection.close()
            return
        if req.protocol == "json":
            payload = json.dumps({"__type": fault.code, "message": fault.message}).encode()
            content_type = "application/x-amz-json-1.0"
        elif req.protocol == "query" or req.service == "s3":
            inner = f"<Code>{fault.code}</Code><Message>{fault.message}</Message>"
            payload = (f"<ErrorResponse><Error><Type>Sender</Type>{inner}</Error></ErrorResponse>"
                       if req.protocol == "query" else f"<Error>{inner}</Error>").encode()
            content_type = "text/xml"
        else:  # rest-json: lambda, apigateway, cognito via REST...
            payload = json.dumps({"message": fault.message}).encode()
            content_type = "application/json"
        h.send_response(fault.status)
        h.send_header("Content-Type", content_type)
        h.send_header("x-amzn-ErrorType", fault.code)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)
