"""Reports to and from S3: `scan --out s3://bucket/prefix` and `merge s3://bucket/prefix/`.

Shards running on different machines (Kubernetes, AWS Batch) meet in a bucket instead of a
shared disk. This writes to the *report's destination*, with the caller's own credentials
and a client of its own: the scanner's clients, and their read-only guard, are not involved.
The IAM statement it needs is documented in the README ("Large organisations").

A shard's files are uploaded with report.json last: a report.json under a prefix means the
set beside it is complete, which is what `merge` looks for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PreflightError
from .redact import redact

SCHEME = "s3://"
REPORT = "report.json"
# Bucket naming rules (3-63 characters, lower case, digits, dots, hyphens).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class S3DestinationError(PreflightError):
    """The bucket cannot be used (exit 2 before the scan)."""


class S3WriteError(PreflightError):
    """The reports could not be uploaded after the scan (exit 3: the run is incomplete)."""

    exit_code = 3


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # no leading or trailing slash; may be empty

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def uri(self, name: str = "") -> str:
        return f"{SCHEME}{self.bucket}/{self.key(name)}" if name else f"{SCHEME}{self.bucket}/{self.prefix}"

    def __str__(self) -> str:
        return self.uri()


def is_s3(text: str) -> bool:
    return text.startswith(SCHEME)


def parse_s3(text: str) -> S3Location:
    bucket, _, prefix = text[len(SCHEME):].partition("/")
    if not _BUCKET.match(bucket):
        raise S3DestinationError(f"{text!r}: {bucket!r} is not an S3 bucket name. Fix: write "
                                 "s3://BUCKET/PREFIX, e.g. s3://reports-bucket/run-42/shard-3")
    return S3Location(bucket, prefix.strip("/"))


def _client() -> Any:
    import botocore.config

    from .awsconfig import checked_session

    config = botocore.config.Config(retries={"mode": "adaptive", "max_attempts": 8})
    return checked_session().client("s3", config=config)


def check_destination(location: S3Location) -> None:
    """Before the scan: the bucket exists and these credentials may see it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _client().head_bucket(Bucket=location.bucket)
    except (ClientError, BotoCoreError) as exc:
        raise S3DestinationError(
            f"--out {location}: the bucket cannot be used ({redact(str(exc))}). Fix: create it, "
            "or grant s3:ListBucket and s3:PutObject on it; nothing was scanned") from None


def publish(location: S3Location, files: Mapping[str, str]) -> list[str]:
    """Upload a run's files under the prefix, report.json last; their s3:// URIs."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client()
    names = sorted(files, key=lambda name: name == REPORT)  # report.json last: the set is done
    try:
        for name in names:
            client.put_object(Bucket=location.bucket, Key=location.key(name),
                              Body=files[name].encode("utf-8"), ContentType=_content_type(name))
    except (ClientError, BotoCoreError) as exc:
        raise S3WriteError(f"could not upload the reports to {location}: "
                           f"{redact(str(exc))}") from None
    return [location.uri(name) for name in names]


def download_reports(location: S3Location, into: Path) -> list[tuple[str, Path]]:
    """Every report.json under the prefix (one per shard), as (s3 URI, local copy)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client()
    prefix = f"{location.prefix}/" if location.prefix else ""
    found: list[tuple[str, Path]] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=location.bucket,
                                                                     Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key == REPORT or key.endswith("/" + REPORT):
                    local = into / f"{len(found):05d}-{REPORT}"
                    client.download_file(location.bucket, key, str(local))
                    found.append((f"{SCHEME}{location.bucket}/{key}", local))
    except (ClientError, BotoCoreError) as exc:
        raise S3DestinationError(f"cannot read the shard reports under {location}: "
                                 f"{redact(str(exc))}") from None
    if not found:
        raise S3DestinationError(f"no {REPORT} under {location}. Fix: give the prefix the "
                                 "shards wrote to with --out s3://...")
    return found


def _content_type(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1]
    return {"json": "application/json", "html": "text/html; charset=utf-8",
            "md": "text/markdown; charset=utf-8", "xml": "application/xml",
            "sarif": "application/sarif+json"}.get(suffix, "text/plain; charset=utf-8")
