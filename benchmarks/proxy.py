"""The benchmark's own HTTP proxy between a scanner and moto: counts, delays, caches.

Every request is classified into ``service:Operation`` with botocore's own service models
(X-Amz-Target, the query Action, the smithy-rpc-v2-cbor path, or the REST method and URI
template), so the counts name operations exactly as the scanner's CallLog and IAM do.

- ``latency_ms`` sleeps that long before answering each request (the handler threads are
  independent, so concurrent requests wait concurrently, as against AWS).
- ``cache``: moto is one CPU-bound process (3-8 ms a call). The estate does not change
  during a scan, so a repeated identical read is answered from memory: the key is the
  account (learned from AssumeRole answers), region, method, path, query and body, never a
  signature or date header. After one warm-up run, a measured run costs the scanner's own
  CPU plus the injected latency, not moto's speed. STS is never cached.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_ACCOUNT = "123456789012"
_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")

# Services whose requests the classifier knows; any other request is still forwarded and
# counted under its signing name and path.
# The services whose requests are named: every service a registered resource type calls (so a
# new type is counted by its operation names without touching this file), and the ones the
# scanner and the estate's seeding call besides.
_BESIDES_TYPES = ("sts", "organizations", "iam", "resourcegroupstaggingapi", "ec2", "kms", "sns")


def services() -> tuple[str, ...]:
    from preflight_scanner.resources import REGISTRY

    named = dict.fromkeys(_BESIDES_TYPES)
    for rtype in REGISTRY.values():
        named.update(dict.fromkeys(call.service for call in rtype.calls()))
    return tuple(named)


@dataclass
class _Route:
    service: str
    operation: str
    method: str
    pattern: re.Pattern[str]
    literal: int  # characters of literal path: the most specific template wins


class Classifier:
    """``service:Operation`` from a signed request, using botocore's service models."""

    def __init__(self) -> None:
        import botocore.session

        session = botocore.session.get_session()
        available = set(session.get_available_services())
        self.by_target: dict[str, str] = {}  # target prefix -> service
        self.by_signing: dict[str, list[str]] = {}
        self.routes: dict[str, list[_Route]] = {}  # signing name -> REST routes
        for name in services():
            if name not in available:
                continue
            model = session.get_service_model(name)
            meta = model.metadata
            signing = meta.get("signingName") or meta.get("endpointPrefix") or name
            self.by_signing.setdefault(signing, []).append(name)
            if meta.get("targetPrefix"):
                self.by_target[meta["targetPrefix"]] = name
            if meta.get("protocol", "").startswith("rest"):
                for op_name in model.operation_names:
                    http = model.operation_model(op_name).http
                    uri = http["requestUri"].split("?")[0]
                    regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(uri).replace(
                        r"\+\}", r"\}")).rstrip("/") + "/?$"
                    regex = regex.replace(r"[^/]+\+", ".+")
                    literal = len(re.sub(r"\{[^}]+\}", "", uri))
                    self.routes.setdefault(signing, []).append(
                        _Route(name, op_name, http["method"], re.compile(regex), literal))
        for routes in self.routes.values():
            routes.sort(key=lambda r: -r.literal)

    def classify(self, method: str, path: str, query: str, headers: dict[str, str],
                 body: bytes, signing: str) -> str:
        target = headers.get("x-amz-target")
        if target:
            prefix, _, op = target.rpartition(".")
            return f"{self.by_target.get(prefix, signing)}:{op}"
        cbor = _CBOR_PATH.match(path)
        if cbor:
            return f"{self.by_target.get(cbor.group(1), signing)}:{cbor.group(2)}"
        params = parse_qs(query)
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qs(body.decode("utf-8", "replace")))
        if "Action" in params:
            names = self.by_signing.get(signing) or [signing]
            return f"{names[0]}:{params['Action'][0]}"
        decoded = unquote(path)
        candidates = [r for r in self.routes.get(signing, ()) if r.method == method
                      and r.pattern.match(decoded)]
        if signing == "s3" and candidates:
            # S3 operations share paths and differ by a sub-resource in the query.
            keys = set(params) | {k for k in query.split("&") if k and "=" not in k}
            for route in self.routes["s3"]:
                if route.method != method or not route.pattern.match(decoded):
                    continue
                uri_query = _S3_SUBRESOURCE.get(route.operation)
                if uri_query and uri_query in keys:
                    return f"s3:{route.operation}"
            bare = [r for r in candidates if r.operation not in _S3_SUBRESOURCE]
            if bare:
                return f"s3:{bare[0].operation}"
        if candidates:
            return f"{candidates[0].service}:{candidates[0].operation}"
        return f"{signing}:{method} {path}"


# The query sub-resource that selects an S3 operation on a bucket path (the ones scanners use).
_S3_SUBRESOURCE = {
    "GetBucketVersioning": "versioning", "GetBucketTagging": "tagging",
    "GetBucketLocation": "location", "GetBucketPolicy": "policy", "GetBucketAcl": "acl",
    "GetBucketEncryption": "encryption", "GetBucketLogging": "logging",
    "GetBucketLifecycleConfiguration": "lifecycle", "GetBucketReplication": "replication",
    "GetBucketNotificationConfiguration": "notification", "GetBucketWebsite": "website",
    "GetBucketCors": "cors", "GetPublicAccessBlock": "publicAccessBlock",
    "GetBucketPolicyStatus": "policyStatus", "GetBucketOwnershipControls": "ownershipControls",
    "GetObjectLockConfiguration": "object-lock", "GetBucketAccelerateConfiguration": "accelerate",
    "GetBucketRequestPayment": "requestPayment", "ListObjectVersions": "versions",
    "ListMultipartUploads": "uploads", "GetBucketAnalyticsConfiguration": "analytics",
    "GetBucketInventoryConfiguration": "inventory", "GetBucketMetricsConfiguration": "metrics",
    "ListObjectsV2": "list-type", "PutBucketVersioning": "versioning",
    "PutBucketTagging": "tagging",
}


@dataclass
class CountingProxy:
    upstream: str
    latency_ms: float = 0.0
    cache: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    hits: int = 0
    first_request: float | None = None
    last_response: float | None = None
    _store: dict[tuple, tuple[int, list[tuple[str, str]], bytes]] = field(default_factory=dict)
    _keys: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def start(self) -> str:
        self.classifier = Classifier()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.hits = 0
            self.first_request = self.last_response = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    # --- requests -----------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        started = time.perf_counter()
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        url = urlsplit(h.path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        scope = _SCOPE.search(headers.get("authorization", ""))
        key_id, region, signing = scope.groups() if scope else ("", "", "")
        name = self.classifier.classify(h.command, url.path, url.query, headers, body, signing)
        with self._lock:
            self.counts[name] += 1
            if self.first_request is None:
                self.first_request = started
            account = self._keys.get(key_id, DEFAULT_ACCOUNT)
        cacheable = self.cache and signing != "sts" and h.command in ("GET", "POST", "HEAD")
        cache_key = (account, region, signing, h.command, url.path, url.query, body,
                     headers.get("x-amz-target", "")) if cacheable else None
        answer = self._store.get(cache_key) if cache_key else None
        if answer is None:
            answer = self._forward(h, body)
            if cache_key and answer[0] < 400:
                self._store[cache_key] = answer
        else:
            with self._lock:
                self.hits += 1
        status, response_headers, payload = answer
        if name == "sts:AssumeRole":
            self._learn_account(body, payload)
        if self.latency_ms:
            remaining = self.latency_ms / 1000 - (time.perf_counter() - started)
            if remaining > 0:
                time.sleep(remaining)
        h.send_response(status)
        for key, value in response_headers:
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "date",
                                   "server"):
                h.send_header(key, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(payload)
        with self._lock:
            self.last_response = time.perf_counter()

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes):
        conn = getattr(self._local, "conn", None)
        target = urlsplit(self.upstream)
        headers = {k: v for k, v in h.headers.items() if k.lower() != "host"}
        headers["Host"] = h.headers.get("Host", target.netloc)
        for attempt in (1, 2):
            if conn is None:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                self._local.conn = conn
            try:
                conn.request(h.command, h.path, body=body or None, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    self._local.conn = None
                return response.status, response.getheaders(), payload
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _learn_account(self, request_body: bytes, payload: bytes) -> None:
        role = parse_qs(request_body.decode()).get("RoleArn", [""])[0]
        key = re.search(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>", payload)
        account = re.search(r"arn:aws[a-z-]*:iam::(\d{12}):", role)
        if key and account:
            with self._lock:
                self._keys[key.group(1).decode()] = account.group(1)
