"""How big, and how slow to render, is report.html for a large estate?

Builds a synthetic ScanResult (default 50,000 findings over 40 accounts and 4 regions,
with the built-in policies' titles, descriptions and runbook sections, realistic ARNs,
messages, evidence with per-resource values, and filled-in remediation commands), renders
it with reports.html.render and prints the size and the render time.

    python benchmarks/html_size.py [--findings 50000] [--out report.html]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from preflight_scanner.models import (  # noqa: E402
    Account,
    CollectionError,
    Finding,
    PolicySummary,
    ResourceRef,
    RunbookExcerpt,
    ScanResult,
    Status,
)

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
ENVIRONMENTS = ("prod", "staging", "dev", "sandbox")
SERVICES = ("orders", "checkout", "payments", "inventory", "search", "catalog", "billing",
            "identity", "notifications", "shipping", "reviews", "pricing", "ledger", "returns")


def _policies() -> tuple[tuple[PolicySummary, ...], tuple[RunbookExcerpt, ...]]:
    """The built-in pack's summaries and runbook sections (what a real report carries)."""
    from preflight_scanner.policy import load_policies
    from preflight_scanner.runbooks import RunbookLibrary
    from preflight_scanner.scan import _excerpts, _summary

    policies = load_policies([ROOT / "policies"])
    return tuple(_summary(p) for p in policies), _excerpts(policies, RunbookLibrary())


def _shape(policy: PolicySummary, rng: random.Random, name: str, region: str, account: str,
           status: Status) -> tuple[str, dict, tuple[str, ...]]:
    """A message, evidence and remediation in the style of the real evaluator."""
    quoted = f"'{name}'" if rng.random() < 0.2 else name
    if policy.resource.startswith("aws.dynamodb"):
        read, write = rng.choice((5, 10, 25, 50, 100, 400)), rng.choice((5, 10, 25, 50))
        evidence = {"pitr.status": "ENABLED" if status is Status.PASS else "DISABLED",
                    "billing_mode": rng.choice(("PROVISIONED", "PAY_PER_REQUEST")),
                    "provisioned_throughput.read_capacity_units": read,
                    "provisioned_throughput.write_capacity_units": write}
        message = f"pitr.status is '{evidence['pitr.status']}'" + (
            "" if status is Status.PASS else ", expected = 'ENABLED'")
        commands = (f"aws dynamodb update-continuous-backups --region {region} --table-name {quoted} "
                    "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",)
    elif policy.resource.startswith("aws.lambda"):
        timeout = rng.choice((3, 15, 30, 60, 120, 300, 600, 900))
        evidence = {"timeout": timeout, "length(api_integrations)": rng.choice((0, 1, 2)),
                    "reserved_concurrency": rng.choice((None, 10, 50))}
        message = f"timeout is {timeout}" + ("" if status is Status.PASS else ", expected <= 300")
        commands = (f"aws lambda update-function-configuration --region {region} --function-name "
                    f"{quoted} --timeout 300",
                    f"aws lambda wait function-updated --region {region} --function-name {quoted}")
    elif policy.resource.startswith("aws.apigateway"):
        rate = rng.choice((None, 50, 100, 500, 1000))
        evidence = {"throttling.rate_limit": rate, "throttling.burst_limit": rate and rate * 2,
                    "logging_level": rng.choice(("OFF", "ERROR", "INFO"))}
        message = f"throttling.rate_limit is {rate}" + (
            "" if status is Status.PASS else ", expected exists = true")
        api_id = f"{rng.randrange(36 ** 10):010x}"
        commands = (f"aws apigateway update-stage --region {region} --rest-api-id {api_id} "
                    f"--stage-name prod --patch-operations "
                    "op=replace,path=/*/*/throttling/rateLimit,value=1000 "
                    "op=replace,path=/*/*/throttling/burstLimit,value=2000",)
    elif policy.resource.startswith("aws.s3"):
        evidence = {"versioning": "Enabled" if status is Status.PASS else rng.choice(("Suspended", None))}
        message = f"versioning is {evidence['versioning']!r}" + (
            "" if status is Status.PASS else ", expected = 'Enabled'")
        commands = (f"aws s3api put-bucket-versioning --bucket {quoted} "
                    "--versioning-configuration Status=Enabled",)
    else:
        evidence = {"mfa_configuration": "ON" if status is Status.PASS else "OPTIONAL",
                    "deletion_protection": rng.choice(("ACTIVE", "INACTIVE"))}
        message = f"mfa_configuration is '{evidence['mfa_configuration']}'" + (
            "" if status is Status.PASS else ", expected = 'ON'")
        commands = (f"aws cognito-idp set-user-pool-mfa-config --region {region} --user-pool-id "
                    f"{region}_{name[-9:]} --software-token-mfa-configuration Enabled=true "
                    "--mfa-configuration ON",)
    return message, evidence, (commands if status is Status.FAIL else ())


def _arn(resource_type: str, region: str, account: str, name: str) -> str:
    service = resource_type.split(".")[1]
    if service == "s3":
        return f"arn:aws:s3:::{name}"
    if service == "dynamodb":
        return f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    if service == "lambda":
        return f"arn:aws:lambda:{region}:{account}:function:{name}"
    if service.startswith("apigateway"):
        return f"arn:aws:apigateway:{region}::/restapis/{name}/stages/prod"
    return f"arn:aws:{service}:{region}:{account}:{name}"


def synthetic_result(findings: int = 50_000, seed: int = 7) -> ScanResult:
    rng = random.Random(seed)
    policies, runbooks = _policies()
    accounts = tuple(
        Account(f"{100000000000 + i * 7919:012d}", f"shop-{ENVIRONMENTS[i % 4]}-{i:02d}",
                ENVIRONMENTS[i % 4])
        for i in range(40)
    )
    out: list[Finding] = []
    i = 0
    while len(out) < findings:
        policy = policies[i % len(policies)]
        account = accounts[(i // len(policies)) % len(accounts)]
        region = REGIONS[(i // (len(policies) * len(accounts))) % len(REGIONS)]
        resource_type = policy.resource.split(",")[0]
        name = f"{rng.choice(SERVICES)}-{rng.choice(('api', 'worker', 'table', 'store', 'events'))}-{i:06d}"
        roll = rng.random()
        status = Status.ERROR if roll < 0.04 else Status.FAIL if roll < 0.42 else Status.PASS
        ref = ResourceRef(resource_type, name, name, _arn(resource_type, region, account.id, name),
                          account.id, region, account.environment)
        if status is Status.ERROR:
            message = (f"GetItem failed (AccessDenied) for {account.id} {region} {resource_type} {name}: "
                       "User is not authorized to perform this action")
            out.append(Finding(policy.id, status, policy.severity, ref, message, {}, policy.runbook))
        else:
            message, evidence, commands = _shape(policy, rng, name, region, account.id, status)
            out.append(Finding(policy.id, status, policy.severity, ref, message, evidence,
                               policy.runbook, commands))
        i += 1
    errors = tuple(
        CollectionError(accounts[k].id, REGIONS[k % 4], "aws.lambda.function", "ListFunctions",
                        "AccessDenied", "User is not authorized to perform: lambda:ListFunctions")
        for k in range(0, 40, 8)
    )
    out.sort(key=lambda f: f.sort_key)
    return ScanResult("0.1.0", "2026-01-05T09:00:00+00:00", "2026-01-05T09:14:31+00:00", accounts,
                      REGIONS, policies, tuple(out), errors, api_calls=61_234, runbooks=runbooks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--out", type=Path, help="also write the page here")
    args = parser.parse_args(argv)

    from preflight_scanner.reports.html import render

    started = time.perf_counter()
    result = synthetic_result(args.findings)
    built = time.perf_counter() - started
    started = time.perf_counter()
    page = render(result)
    rendered = time.perf_counter() - started
    size = len(page.encode("utf-8"))
    counts = {s.value: result.count(s) for s in Status}
    print(f"findings: {len(result.findings):,} ({counts['fail']:,} fail, {counts['error']:,} error, "
          f"{counts['pass']:,} pass) in {len(result.policies)} policies, {len(result.accounts)} accounts")
    print(f"html size: {size / 1_000_000:.2f} MB ({size:,} bytes, {size / len(result.findings):.0f} "
          f"bytes per finding)")
    print(f"render time: {rendered:.2f} s (building the synthetic result: {built:.2f} s)")
    if args.out:
        args.out.write_text(page, encoding="utf-8")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
