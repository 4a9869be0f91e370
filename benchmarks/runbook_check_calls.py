"""API calls of `preflight runbooks check`: a runbook of ~200 AWS CLI commands over many moto
accounts, against the number of distinct (listing, account, region) it needs.

    python benchmarks/runbook_check_calls.py                  # 50 accounts, 1 region
    python benchmarks/runbook_check_calls.py --accounts 20 --regions 2 --commands 400

The naive cost of checking each step on its own is one or more calls per command per
account-region (10,000 for 200 commands over 50 accounts). Preflight reads each listing once
per account-region and judges every step from it: the calls grow with accounts x regions x
listings (plus the per-resource details its reused policies read), not with the commands.
Runs moto in this process (scanner/demo/server.py) and counts the calls the guarded clients
make (Sessions.call_log). Results: benchmarks/RESULTS.md, "Runbook check: API calls".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = ("us-east-1", "eu-west-1", "us-west-2")
# One of each kind of step the checker judges differently; the runbook repeats them.
STEPS = (
    "aws dynamodb describe-table --region ${{AWS_REGION}} --table-name ${{TABLE_NAME}}",
    "aws dynamodb restore-table-to-point-in-time --source-table-name ${{TABLE_NAME}} "
    "--target-table-name ${{TABLE_NAME}}-r{i} --use-latest-restorable-time",
    "aws logs filter-log-events --log-group-name /aws/lambda/${{FUNCTION_NAME}} "
    "--filter-pattern ERROR{i}",
    "aws cloudwatch get-metric-statistics --namespace AWS/Lambda --metric-name Errors "
    "--dimensions Name=FunctionName,Value=${{FUNCTION_NAME}} --start-time 2026-01-01T00:00:00Z "
    "--end-time 2026-01-01T01:00:00Z --period {period} --statistics Sum",
    "aws cloudwatch get-metric-statistics --namespace AWS/DynamoDB --metric-name "
    "ConsumedReadCapacityUnits --dimensions Name=TableName,Value=${{TABLE_NAME}} "
    "--start-time 2026-01-01T00:00:00Z --end-time 2026-01-01T01:00:00Z --period {period} "
    "--statistics Sum",
    "aws lambda update-alias --function-name ${{FUNCTION_NAME}} --name live "
    "--function-version <previous-version-{i}>",
    "aws cloudwatch get-dashboard --dashboard-name shop-${{ENVIRONMENT}}",
    "aws s3api list-object-versions --bucket shop-${{ENVIRONMENT}}-{i} --max-items 10",
)


def runbook(commands: int) -> str:
    lines = ["# Generated runbook", ""]
    for i in range(commands):
        template = STEPS[i % len(STEPS)]
        lines += [f"## Step {i + 1}", "", "```bash",
                  template.format(i=i, period=60 * (i + 1)), "```", ""]
    return "\n".join(lines)


def seed(accounts: int, regions: tuple[str, ...]) -> dict[str, object]:
    from preflight_scanner.demo import estate

    ids = estate.create_organization([f"team-{n:02d}" for n in range(accounts)])

    def one(account_id: str) -> None:
        session = estate.account_session(account_id)
        for region in regions:
            estate.create_table(session, region, "orders", pitr=True)
            estate.create_table(session, region, "carts")
            estate.create_function(session, region, "checkout")
            estate.publish_versions(session, region, "checkout", 2, alias="live")
            estate.put_durations(session, region, "checkout", [120.0])
            estate.put_metric(session, region, "AWS/DynamoDB", "ConsumedReadCapacityUnits",
                              {"TableName": "orders"})
        estate.create_dashboard(session, regions[0], "shop-prod")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, ids.values()))
    return {"role_name": estate.MEMBER_ROLE, "regions": list(regions), "max_workers": 16,
            "accounts": [{"id": i, "name": name, "environment": "prod"}
                         for name, i in ids.items()]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=1, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args()

    from preflight_scanner.aws import Sessions
    from preflight_scanner.config import load_config
    from preflight_scanner.demo.server import moto_server, pointed_at
    from preflight_scanner.runbookcheck import check_runbooks

    regions = REGIONS[:args.regions]
    with moto_server() as endpoint, pointed_at(endpoint), \
            tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        config_doc = seed(args.accounts, regions)
        seeded = time.monotonic() - started
        path = Path(tmp) / "generated.md"
        path.write_text(runbook(args.commands), encoding="utf-8")
        config_path = Path(tmp) / "preflight.yml"
        config_path.write_text(yaml.safe_dump(config_doc), encoding="utf-8")
        config = load_config(config_path)
        sessions = Sessions(max_workers=config.max_workers)
        started = time.monotonic()
        result = check_runbooks([str(path)], config, sessions=sessions)
        elapsed = time.monotonic() - started
    counts: Counter[str] = sessions.call_log.counts
    places = len(result.accounts) * len(result.regions)
    steps = sum(len(r.steps) for r in result.runbooks)
    statuses = result.counts()
    print(f"seeded {args.accounts} accounts x {len(regions)} region(s) in {seeded:.0f}s")
    print(f"runbook: {steps} AWS CLI steps; places: {places}; steps x places: "
          f"{steps * places}")
    print(f"verdicts: {statuses}")
    print(f"API calls: {sessions.call_log.total} for {result.listings} distinct "
          f"(listing, account, region); {sessions.call_log.total / places:.1f} per "
          f"account-region; {elapsed:.1f}s")
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:6d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
