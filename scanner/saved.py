"""Reading saved results back: a report.json (or every shard's under an S3 prefix) as a
ScanResult, for `report`, `merge`, `--baseline` and the exporters.

A saved file is input like any other: it is bounded (size, depth, numbers), checked against
the report schema, and every problem is an InputError naming the file, never a traceback.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from .errors import InputError, Problem
from .models import ScanResult
from .s3dest import S3Location, download_reports
from .yamlfile import parse_json

HINT = "pass a report.json written by `preflight scan` (`preflight schema report` prints its schema)"
MAX_PROBLEMS = 20
# A report of a very large estate is tens of MB; past this, reading it is the problem.
MAX_REPORT_BYTES = 256 << 20


def load_saved_report(path: Path, document: object = None) -> ScanResult:
    """A report.json read back into a ScanResult: checked against the report schema first.
    ``document``: the file's JSON when the caller has parsed it already."""
    from jsonschema import Draft202012Validator
    from preflight_scanner.reports.json_report import READABLE_VERSIONS, from_document, schema

    if document is None:
        document = read_saved_json(path, HINT)
    version = document.get("schema_version") if isinstance(document, dict) else None
    if version is not None and version not in READABLE_VERSIONS:
        raise _failure(path, f"schema_version {version!r} is not one this Preflight reads "
                             f"({', '.join(map(repr, READABLE_VERSIONS))}); re-render it with "
                             "the Preflight that wrote it")
    errors = sorted(Draft202012Validator(schema()).iter_errors(document),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        problems = [Problem(str(path), None, None,
                            f"{_pointer(e.absolute_path)}: {_clip(e.message)}")
                    for e in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:
            problems.append(Problem(str(path), None, None,
                                    f"... and {len(errors) - MAX_PROBLEMS} more schema violations"))
        problems[-1] = Problem(problems[-1].path, None, None,
                               problems[-1].message + " (not a Preflight report.json?)", HINT)
        raise InputError(problems)
    try:  # the schema has just proved it is an object
        return from_document(cast(dict[str, Any], document))
    except (KeyError, TypeError, ValueError) as exc:
        raise _failure(path, f"cannot rebuild the scan result: {exc!r}", HINT) from None


def read_saved_json(path: Path, hint: str) -> object:
    """A saved report's JSON (bounded: size, depth, numbers); InputError naming the file."""

    def fail(message: str, with_hint: bool = True) -> InputError:
        return _failure(path, message, hint if with_hint else "")

    return parse_json(str(path), _read_report_text(path, fail))


def load_results(paths: Sequence[Path]) -> list[tuple[Path, ScanResult]]:
    """Saved reports, each with the file it came from (for `merge`'s messages)."""
    return [(path, load_saved_report(path)) for path in paths]


def load_s3_results(location: S3Location) -> list[tuple[str, ScanResult]]:
    """Every shard's report.json under an S3 prefix, problems named by their s3:// URI
    rather than the temporary copy's path."""
    with tempfile.TemporaryDirectory(prefix="preflight-merge-") as tmp:
        reports = download_reports(location, Path(tmp))
        names = {str(local): uri for uri, local in reports}
        try:
            loaded = load_results([local for _, local in reports])
        except InputError as exc:
            raise InputError([replace(p, path=names.get(p.path, p.path))
                              for p in exc.problems]) from None
        return [(names[str(path)], result) for path, result in loaded]


def _failure(path: Path, message: str, hint: str = "") -> InputError:
    return InputError([Problem(str(path), None, None, message, hint)])


def _read_report_text(path: Path, fail: Callable[..., InputError]) -> str:
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise fail(f"is larger than {MAX_REPORT_BYTES >> 20} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail("no such file", with_hint=False) from None
    except IsADirectoryError:
        raise fail("is a directory, not a report.json") from None
    except OSError as exc:  # a name too long (ENAMETOOLONG), a permission, a device
        raise fail(f"cannot read it: {exc.strerror or exc}", with_hint=False) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _pointer(path: Iterable[object]) -> str:
    parts = [str(p) for p in path]
    return "/" + "/".join(parts) if parts else "(the document)"


def _clip(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
