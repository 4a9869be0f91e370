"""Peak memory of evaluation and every report format for N synthetic resources, no AWS.

    python benchmarks/memory.py --resources 100000
    python benchmarks/run.py --memory 100000          # the same

Builds Resource objects directly (the six founding policies' types, with a mix of passing
and failing attributes over 40 accounts x 4 regions), runs the real evaluate() and then
every registered renderer (reports.FORMATS: json, html, sarif, junit, md) one after the
other, as `preflight scan --format ...` does, and prints the process's peak RSS after
each stage (VmHWM: the peak so far, so each line bounds everything before it).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIX = ("dynamodb-pitr-enabled", "dynamodb-autoscaling-registered", "s3-versioning-enabled",
       "cognito-mfa-on-in-prod", "apigateway-stage-throttling", "lambda-timeout-bounds")
REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")


def peak_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would include a parent's image)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resources(n: int):
    from preflight_scanner.models import Account, Resource

    accounts = [Account(f"{200000000000 + i * 7919:012d}", f"acct-{i:02d}",
                        ("prod", "staging", "dev", "shared")[i % 4]) for i in range(40)]
    kinds = ("table", "bucket", "function", "stage", "pool")
    out = []
    for i in range(n):
        account = accounts[i % 40]
        region = REGIONS[(i // 40) % 4]
        kind = kinds[i % 5]
        name = f"{kind}-{i:06d}"
        if kind == "table":
            data = {"pitr": {"status": "ENABLED" if i % 3 else "DISABLED",
                             "earliest_restorable_time": None, "latest_restorable_time": None},
                    "billing_mode": "PROVISIONED" if i % 2 else "PAY_PER_REQUEST",
                    "autoscaling": {"read": None, "write": None}}
            out.append(Resource("aws.dynamodb.table", name, name,
                                f"arn:aws:dynamodb:{region}:{account.id}:table/{name}",
                                account, region, data))
        elif kind == "bucket":
            out.append(Resource("aws.s3.bucket", name, name, f"arn:aws:s3:::{name}", account,
                                region, {"versioning": ("Enabled", "Suspended", "Disabled")[i % 3],
                                         "mfa_delete": "Disabled"}))
        elif kind == "function":
            out.append(Resource("aws.lambda.function", name, name,
                                f"arn:aws:lambda:{region}:{account.id}:function:{name}",
                                account, region,
                                {"timeout": (3, 30, 120, 900)[i % 4], "memory_size": 128,
                                 "runtime": "python3.12", "package_type": "Zip",
                                 "architectures": ["x86_64"],
                                 "api_integrations": [] if i % 2 else [
                                     {"api_type": "REST", "api_id": "a1", "path": "/x",
                                      "method": "GET", "timeout_ms": 29000,
                                      "timeout_seconds": 29.0}]}))
        elif kind == "stage":
            limited = i % 2 == 0
            out.append(Resource("aws.apigateway.stage", f"api{i}/prod", f"api-{i}/prod",
                                f"arn:aws:apigateway:{region}::/restapis/api{i}/stages/prod",
                                account, region,
                                {"api_id": f"api{i}", "api_name": f"api-{i}", "stage_name": "prod",
                                 "throttling": {"rate_limit": 100.0 if limited else None,
                                                "burst_limit": 200 if limited else None},
                                 "tags": {}}))
        else:
            out.append(Resource("aws.cognito.user_pool", f"{region}_{i:09d}", name,
                                f"arn:aws:cognito-idp:{region}:{account.id}:userpool/{i}",
                                account, region,
                                {"mfa_configuration": ("ON", "OFF", "OPTIONAL")[i % 3],
                                 "deletion_protection": "INACTIVE",
                                 "tags": {"Environment": "prod"} if i % 4 == 0 else {}}))
    return accounts, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/preflight-memory"))
    args = parser.parse_args(argv)

    from preflight_scanner import __version__
    from preflight_scanner.config import load_config
    from preflight_scanner.evaluate import TAGS, EvaluationContext, evaluate
    from preflight_scanner.models import ScanResult
    from preflight_scanner.output import publish
    from preflight_scanner.policy import load_policies
    from preflight_scanner.reports import FORMATS
    from preflight_scanner.scan import _excerpts, _summary, plan_attributes

    print(f"imports: peak RSS {peak_mb():.0f} MB")
    config = load_config(None)
    policies = [p for p in load_policies([str(ROOT / "policies")]) if p.id in SIX]
    started = time.perf_counter()
    accounts, found = resources(args.resources)
    print(f"{len(found):,} resources built in {time.perf_counter() - started:.1f} s: "
          f"peak RSS {peak_mb():.0f} MB")
    needs = plan_attributes(policies, config)
    ctx = EvaluationContext(config.environment_tag, config.parameters_for,
                            "2026-01-05T09:00:00+00:00")
    started = time.perf_counter()
    findings = evaluate(policies, found, [], ctx, {t: TAGS in a for t, a in needs.items()}).findings
    evaluated = time.perf_counter() - started
    del found
    gc.collect()
    print(f"{len(findings):,} findings evaluated in {evaluated:.1f} s: peak RSS {peak_mb():.0f} MB")
    result = ScanResult(
        tool_version=__version__, started_at="2026-01-05T09:00:00+00:00",
        finished_at="2026-01-05T09:14:31+00:00", accounts=tuple(accounts), regions=REGIONS,
        policies=tuple(_summary(p) for p in policies), findings=tuple(findings), errors=(),
        api_calls=123_456, runbooks=_excerpts(policies, config.runbooks()))
    del findings
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, fmt in FORMATS.items():
        started = time.perf_counter()
        # As `scan` writes them: rendered (streamed, where the format can) while published.
        publish(args.out, {fmt.filename: fmt.content(result)})
        took = time.perf_counter() - started
        size = (args.out / fmt.filename).stat().st_size
        gc.collect()
        rows.append((name, size, took, peak_mb()))
        print(f"{name:6} {size / 1e6:8.1f} MB written in {took:5.1f} s: peak RSS "
              f"{peak_mb():.0f} MB")
    print(f"peak RSS overall: {peak_mb():.0f} MB for {len(result.findings):,} findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
