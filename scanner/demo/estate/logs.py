"""CloudWatch Logs log groups."""

from __future__ import annotations

import time

import boto3


def create_log_group(session: boto3.Session, region: str, name: str, *,
                     events: tuple[str, ...] = ()) -> None:
    """A log group; ``events`` are written to one stream, so it has stored something."""
    logs = session.client("logs", region_name=region)
    logs.create_log_group(logGroupName=name)
    if events:
        logs.create_log_stream(logGroupName=name, logStreamName="seed")
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName=name, logStreamName="seed",
                            logEvents=[{"timestamp": now, "message": m} for m in events])


def set_log_retention(session: boto3.Session, region: str, name: str, days: int) -> None:
    """Keep a log group's events for ``days`` (a group is created without, never expiring)."""
    session.client("logs", region_name=region).put_retention_policy(
        logGroupName=name, retentionInDays=days)
