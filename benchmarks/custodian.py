"""The optional peer: Cloud Custodian (c7n-org) on the same estate, through the same proxy.

Install it in a virtual environment of its own (its pinned boto3 must not meet ours):

    python -m venv /opt/c7n && /opt/c7n/bin/pip install c7n c7n-org
    python benchmarks/run.py --size medium --latency-ms 20 --c7n /opt/c7n
    # or PREFLIGHT_BENCH_C7N=/opt/c7n

The six founding preconditions as Custodian policies (custodian_policies.yml), as close as
Custodian's filters allow: PITR with the continuous-backup filter, versioning on the s3
resource's Versioning, MFA on user-pool, */* throttling on rest-stage, the timeout on
lambda. Custodian has no filter for DynamoDB autoscaling, so that policy reads the billing
mode only (one DescribeTable per table, as Preflight's does), and no HTTP API stage
resource: both make Custodian's call count lower than an exact equivalent would be.

c7n-org runs one process per account-region (C7N_ORG_PARALLEL, set to the same number as
Preflight's --max-workers), with its resource cache off (--cache-period 0) so the measured
run reads AWS rather than the warm-up's cache file. Peak RSS is the c7n-org parent's own;
its worker processes hold their own memory on top.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

POLICIES = Path(__file__).resolve().parent / "custodian_policies.yml"


def compare(venv: Path, spec, proxy, work: Path, workers: int, latency_ms: float, run_process):
    c7n_org = venv / "bin" / "c7n-org"
    python = venv / "bin" / "python"
    if not c7n_org.exists():
        print(f"c7n-org not found in {venv}: skipping the Custodian comparison")
        return None
    accounts = []
    for account_id, name, environment in spec.accounts:
        # c7n-org needs a role (or a profile) for every account, the management one included:
        # one AssumeRole more than Preflight, which reads that account with the caller's.
        accounts.append({"account_id": account_id, "name": name, "regions": list(spec.regions),
                         "tags": [f"env:{environment}"],
                         "role": f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"})
    config = work / "c7n-accounts.yml"
    config.write_text(yaml.safe_dump({"accounts": accounts}, sort_keys=False))
    home = work / "c7n-home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_ENDPOINT_URL": proxy.endpoint, "HOME": str(home),
        "C7N_ORG_PARALLEL": str(workers), "PYTHONPATH": "",
    })

    def argv(out: str) -> list[str]:
        regions = [x for region in spec.regions for x in ("-r", region)]
        return [str(python), str(c7n_org), "run", "-c", str(config), "-u", str(POLICIES),
                "-s", str(work / out), "--cache-period", "0", *regions]

    proxy.latency_ms = 0.0
    warm = run_process("c7n warm-up", argv("c7n-warm"), env, proxy)
    if warm.exit_code != 0:
        print(warm.extra["output"][-3000:])
        print(f"c7n-org warm-up failed (exit {warm.exit_code}): skipping the comparison")
        return None
    proxy.latency_ms = latency_ms
    run = run_process("c7n-org", argv("c7n-run"), env, proxy)
    found = {}
    for path in (work / "c7n-run").rglob("resources.json"):
        import json

        found[path.parent.name] = found.get(path.parent.name, 0) + len(json.loads(path.read_text()))
    shutil.rmtree(home, ignore_errors=True)
    total = sum(run.calls.values())
    width = max(len(k) for k in run.calls)
    print("\ncalls by operation (c7n-org):")
    for key in sorted(run.calls):
        print(f"  {key:{width}}  {run.calls[key]:7d}")
    print(f"c7n-org flagged (non-compliant) resources by policy: {dict(sorted(found.items()))}")
    return {"calls": total, "wall": round(run.wall, 2), "rss_mb": round(run.rss_mb),
            "exit_code": run.exit_code, "by_operation": dict(sorted(run.calls.items())),
            "flagged": found}
