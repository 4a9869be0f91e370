"""What a client costs: creating it, and each call (serialise, sign, send, parse).

    python benchmarks/client_cost.py [--accounts 20] [--calls 2000]

Creating: ``--accounts`` accounts x the six founding policies' seven services, in a fresh
process per way of building clients, after one client per service has loaded the models:

- ``boto3``: a boto3 Session per account and a client from it (what a plain script does;
  the yardstick, benchmarks/yardstick.py);
- ``shared``: every client from one boto3 Session, default configuration (the floor for
  clients that do not reload the models per account);
- ``preflight``: ``preflight_scanner.aws.Sessions.client`` (every client from one base
  session, adaptive retries, the read-only guard, the user agent): what it costs above
  ``shared`` is what Preflight adds.

Each prints CPU milliseconds (time.process_time) and RSS growth (KiB) per client.

Calling: DescribeTable ``--calls`` times against a canned answer served by a child process
(so the server's CPU is not the client's), through a plain boto3 client and through a
Preflight client; CPU per call in this process, and where it goes (cProfile: serialising,
signing, sending, parsing). Not a test: CPU times vary with the machine's load, which is
printed; compare the rows of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVICES = ("dynamodb", "application-autoscaling", "s3", "cognito-idp", "lambda", "apigateway",
            "apigatewayv2")
REGIONS = ("us-east-1", "eu-west-1")
WAYS = ("boto3", "shared", "preflight")
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
       "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
TABLE = json.dumps({"Table": {
    "TableName": "orders", "TableStatus": "ACTIVE", "ItemCount": 0, "TableSizeBytes": 0,
    "CreationDateTime": 1767000000.0,
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}}).encode()


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _factory(way: str):
    """``make(account_index, service, region) -> client`` for one way of building them."""
    if way == "boto3":
        import boto3

        sessions: dict[int, object] = {}

        def make_boto3(account: int, service: str, region: str):
            session = sessions.get(account)
            if session is None:
                session = sessions[account] = boto3.Session(
                    aws_access_key_id=f"AKIA{account:016d}", aws_secret_access_key="secret",
                    aws_session_token="token")
            return session.client(service, region_name=region)  # type: ignore[attr-defined]

        return make_boto3
    if way == "shared":
        import boto3

        base = boto3.Session()

        def make_shared(account: int, service: str, region: str):
            return base.client(service, region_name=region,
                               aws_access_key_id=f"AKIA{account:016d}",
                               aws_secret_access_key="secret", aws_session_token="token")

        return make_shared
    from preflight_scanner.aws import Sessions
    from preflight_scanner.models import Account

    scan = Sessions()

    def make_preflight(account: int, service: str, region: str):
        # As after AssumeRole: the account's own keys (set here instead of calling STS).
        scan._credentials.setdefault(f"{account:012d}", {
            "aws_access_key_id": f"AKIA{account:016d}", "aws_secret_access_key": "secret",
            "aws_session_token": "token"})
        return scan.client(Account(f"{account:012d}", "a", "prod", role_arn="arn:role"),
                           service, region)

    return make_preflight


def creation(way: str, accounts: int) -> dict[str, float]:
    """In this (fresh) process: build accounts x services x regions clients."""
    make = _factory(way)
    for service in SERVICES:  # load the models once: not what a further account costs
        make(-1, service, REGIONS[0])
    import gc

    gc.collect()
    rss, cpu = _rss_kib(), time.process_time()
    kept = [make(a, s, r) for a in range(accounts) for r in REGIONS for s in SERVICES]
    cpu = time.process_time() - cpu
    gc.collect()
    n = len(kept)
    return {"clients": n, "cpu_ms": 1000 * cpu / n, "kib": (_rss_kib() - rss) / n}


class _Canned(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(TABLE)))
        self.end_headers()
        self.wfile.write(TABLE)

    def log_message(self, *args: object) -> None:
        pass


def serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Canned).serve_forever()


def calling(way: str, calls: int, endpoint: str) -> dict[str, float]:
    """CPU per DescribeTable call in this process, and its split by stage."""
    import cProfile
    import pstats

    os.environ["AWS_ENDPOINT_URL"] = endpoint
    client = _factory(way)(0, "dynamodb", "us-east-1")
    for _ in range(20):
        client.describe_table(TableName="orders")
    cpu = time.process_time()
    for _ in range(calls):
        client.describe_table(TableName="orders")
    per_call = 1000 * (time.process_time() - cpu) / calls
    profile = cProfile.Profile(time.process_time)  # CPU, not the wait for the answer
    profile.runcall(lambda: [client.describe_table(TableName="orders") for _ in range(calls)])
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = max(v[3] for v in stats.values())

    def share(function: str) -> float:
        return sum(v[3] for k, v in stats.items() if k[2] == function) / total

    return {"cpu_ms": per_call, "serialise": share("_convert_to_request_dict"),
            "sign": share("sign"), "send": share("_send"), "parse": share("parse")}


def _child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         check=True, env={**os.environ, **ENV, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--create", choices=WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--call", choices=WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    if args.create:
        print(json.dumps(creation(args.create, args.accounts)))
        return 0
    if args.call:
        print(json.dumps(calling(args.call, args.calls, args.endpoint)))
        return 0

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| clients built by | clients | CPU per client | RSS per client |")
    print("| --- | ---: | ---: | ---: |")
    for way in WAYS:
        row = _child("--create", way, "--accounts", str(args.accounts))
        print(f"| {way} | {row['clients']:.0f} | {row['cpu_ms']:.2f} ms | {row['kib']:.0f} KiB |")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        time.sleep(1.0)
        print("\n| DescribeTable through | CPU per call | serialise | sign | send | parse |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for way in WAYS:
            row = _child("--call", way, "--calls", str(args.calls),
                         "--endpoint", f"http://127.0.0.1:{port}")
            print(f"| {way} | {row['cpu_ms']:.2f} ms | {row['serialise']:.0%} | "
                  f"{row['sign']:.0%} | {row['send']:.0%} | {row['parse']:.0%} |")
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
