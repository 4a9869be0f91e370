"""Waivers: accepted risks that expire.

A waivers file (YAML, validated by ``reports/schemas/waivers.schema.json`` with file:line
errors, like policies and the config) lists waivers. Each names policy ids or globs and
narrows by accounts (ids or names), regions, resources (ARN, id or name globs) and tags;
each must say why (``reason``), who answers for it (``owner``) and until when
(``expires``, a date no further ahead of the scan than ``max_days``).

Matching, per finding, in file order; the first unexpired waiver that matches wins:

- a ``fail`` finding is waived; an ``error`` finding only by a waiver that says
  ``include_errors: true`` (an unreadable resource is never accepted silently); a pass is
  never waived, but a waiver whose findings all pass now is *unused*;
- a waiver applies through the end of its ``expires`` day (UTC) as judged by the scan's
  clock. After it, it no longer applies: the finding fails again, and the report lists
  the waiver as expired with the findings it would have covered;
- a waiver that narrows by tags matches only a resource whose tags were read (the scan
  reads them for the policies such a waiver names); unreadable tags never match.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from preflight_scanner.reports import packaged_schema

from .errors import InputError, Problem
from .models import AppliedWaiver, Finding, Status, WaiverHit, WaiverOutcome, WaiverReport
from .suggest import did_you_mean
from .yamlfile import Pointer, YamlDocument, load_yaml, stray_key_problem

DEFAULT_MAX_DAYS = 90
HINT = "see docs/ci.md#waivers (`reports/schemas/waivers.schema.json` is the schema)"


def waivers_schema() -> dict[str, Any]:
    return packaged_schema("waivers.schema.json")


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(waivers_schema())


def _names(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)



class WaiverState(StrEnum):
    """What a waiver did in one scan (WaiverOutcome.state); the report's JSON groups by it."""

    APPLIED = "applied"  # it accepted at least one finding
    EXPIRED = "expired"  # past its date: the findings it named count again
    UNUSED = "unused"  # it matched nothing: remove it, or correct the policy it names

@dataclass(frozen=True)
class Waiver:
    id: str
    policies: tuple[str, ...]
    reason: str
    owner: str
    expires: date
    accounts: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    include_errors: bool = False
    source: str = ""  # file:line
    # (file, line) of a waiver written outside the waivers file (next to a resource in a
    # template), where its problems are reported.
    written_at: tuple[str, int | None] | None = None

    def names_policy(self, policy_id: str) -> bool:
        return any(fnmatchcase(policy_id, p) for p in self.policies)

    def covers(self, finding: Finding, account_name: str, tags: Mapping[str, Any] | None) -> bool:
        """Whether this waiver's patterns match the finding (expiry and status aside)."""
        r = finding.resource
        if not self.names_policy(finding.policy_id):
            return False
        if self.accounts is not None and not any(
                fnmatchcase(r.account_id, p) or fnmatchcase(account_name, p) for p in self.accounts):
            return False
        if self.regions is not None and not any(fnmatchcase(r.region, p) for p in self.regions):
            return False
        if self.resources is not None:
            names = [r.id, r.name] + ([r.arn] if r.arn else [])
            if not any(fnmatchcase(n, p) for p in self.resources for n in names):
                return False
        if self.tags:
            if not isinstance(tags, Mapping):
                return False  # tags unknown: never waive on a guess
            for key, allowed in self.tags.items():
                if key not in tags or ("*" not in allowed and str(tags[key]) not in allowed):
                    return False
        return True

    def applies_to_status(self, status: Status) -> bool:
        return status is Status.FAIL or (status is Status.ERROR and self.include_errors)

    def expired(self, today: date) -> bool:
        return today > self.expires

    def applied(self, status: Status) -> AppliedWaiver:
        return AppliedWaiver(self.id, self.reason, self.owner, self.expires.isoformat(), status,
                             self.source)


@dataclass(frozen=True)
class WaiverFile:
    path: str
    waivers: tuple[Waiver, ...]
    max_days: int | None
    digest: str
    document: YamlDocument | None = field(default=None, compare=False, repr=False)

    def matcher(self, today: date, max_days: int | None = None) -> WaiverMatcher:
        """Check every waiver's horizon against the scan's date and start matching.

        ``max_days`` is the limit the scan runs with (--max-waiver-days; default 90); the
        file's own ``max_days`` may only tighten it."""
        ceiling = max_days if max_days is not None else DEFAULT_MAX_DAYS
        problems: list[Problem] = []
        limit = ceiling
        if self.max_days is not None:
            if self.max_days > ceiling:
                problems.append(self._problem(("max_days",),
                                              f"max_days {self.max_days} exceeds the limit this "
                                              f"scan runs with ({ceiling} days)",
                                              "lower it, or raise --max-waiver-days where the "
                                              "pipeline runs the scan"))
            limit = min(self.max_days, ceiling)
        for i, waiver in enumerate(self.waivers):
            ahead = (waiver.expires - today).days
            if ahead > limit:
                problems.append(self._waiver_problem(
                    i, waiver,
                    f"waiver {waiver.id} expires {waiver.expires.isoformat()}, {ahead} days after "
                    f"the scan ({today.isoformat()}); a waiver may run at most {limit} days",
                    f"set expires to {date.fromordinal(today.toordinal() + limit).isoformat()} "
                    "or earlier, and renew it when it runs out"))
        if problems:
            raise InputError(problems)
        return WaiverMatcher(self, today, limit)

    def _waiver_problem(self, index: int, waiver: Waiver, message: str, hint: str,
                        key: str = "expires") -> Problem:
        if waiver.written_at is not None:
            return Problem(waiver.written_at[0], waiver.written_at[1], None, message, hint)
        return self._problem(("waivers", index, key), message, hint)

    def _problem(self, pointer: Pointer, message: str, hint: str = "") -> Problem:
        if self.document is None:
            return Problem(self.path, None, None, message, hint)
        return self.document.problem(pointer, message, hint)


@dataclass
class WaiverMatcher:
    """Applies a waiver file to one scan's findings and counts what each waiver did."""

    file: WaiverFile
    today: date
    max_days: int
    applied: Counter[str] = field(default_factory=Counter)
    expired_hits: Counter[str] = field(default_factory=Counter)

    def judge(self, finding: Finding, account_name: str, tags: Mapping[str, Any] | None
              ) -> tuple[Finding, tuple[WaiverHit, ...]]:
        """The finding as the waivers leave it, and which waivers matched it. Pure: the
        counts change only through ``record``, so evaluation has no side effects."""
        if finding.status not in (Status.FAIL, Status.ERROR):
            return finding, ()
        expired: list[Waiver] = []
        for waiver in self.file.waivers:
            if not waiver.applies_to_status(finding.status) or \
                    not waiver.covers(finding, account_name, tags):
                continue
            if waiver.expired(self.today):
                expired.append(waiver)
                continue
            return (replace(finding, status=Status.WAIVED, waiver=waiver.applied(finding.status)),
                    (WaiverHit(waiver.id),))
        # nothing current covers it: it counts again for each expired waiver that would have
        return finding, tuple(WaiverHit(w.id, expired=True) for w in expired)

    def record(self, hits: Iterable[WaiverHit]) -> None:
        for hit in hits:
            (self.expired_hits if hit.expired else self.applied)[hit.waiver_id] += 1

    def apply(self, finding: Finding, account_name: str,
              tags: Mapping[str, Any] | None) -> Finding:
        """``judge`` and ``record`` at once, for callers that match one finding at a time."""
        judged, hits = self.judge(finding, account_name, tags)
        self.record(hits)
        return judged

    def report(self) -> WaiverReport:
        outcomes = []
        for w in self.file.waivers:
            if w.expired(self.today):
                state, matched = WaiverState.EXPIRED, self.expired_hits[w.id]
            elif self.applied[w.id]:
                state, matched = WaiverState.APPLIED, self.applied[w.id]
            else:
                state, matched = WaiverState.UNUSED, 0
            outcomes.append(WaiverOutcome(w.id, w.reason, w.owner, w.expires.isoformat(),
                                          w.policies, w.source, state, matched))
        return WaiverReport(self.file.path, self.file.digest, self.max_days, tuple(outcomes))


def load_waivers(path: Path | str) -> WaiverFile:
    """Parse and validate a waivers file; every problem is raised with its file:line."""
    doc = load_yaml(path)
    data = doc.data
    if data is None:
        data = {"waivers": []}
    if not isinstance(data, dict):
        raise InputError([doc.problem((), "the waivers file must be a YAML mapping with a "
                                          "'waivers' list", HINT)])
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise InputError([_explain(doc, e) for e in errors])
    problems: list[Problem] = []
    waivers: list[Waiver] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data.get("waivers") or []):
        line = doc.locate(("waivers", i))[0]
        waiver_id = raw.get("id") or f"#{i + 1}"
        if waiver_id in seen:
            problems.append(doc.problem(("waivers", i, "id"), f"waiver id {waiver_id!r} is also "
                                        f"used by waiver #{seen[waiver_id] + 1}",
                                        "give each waiver a unique id"))
        seen.setdefault(waiver_id, i)
        try:
            expires = date.fromisoformat(raw["expires"])
        except ValueError:
            problems.append(doc.problem(("waivers", i, "expires"),
                                        f"expires {raw['expires']!r} is not a calendar date",
                                        "write YYYY-MM-DD"))
            continue
        waivers.append(Waiver(
            id=waiver_id,
            policies=_names(raw["policies"]) or (),
            reason=raw["reason"].strip(),
            owner=raw["owner"].strip(),
            expires=expires,
            accounts=_names(raw.get("accounts")),
            regions=_names(raw.get("regions")),
            resources=_names(raw.get("resources")),
            tags={str(k): _names(v) or () for k, v in (raw.get("tags") or {}).items()},
            include_errors=bool(raw.get("include_errors", False)),
            source=f"{path}:{line}" if line else str(path),
        ))
    if problems:
        raise InputError(problems)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return WaiverFile(str(path), tuple(waivers), data.get("max_days"),
                      hashlib.sha256(canonical.encode("utf-8")).hexdigest(), doc)


MIN_REASON = 10  # as the schema's reason.minLength


def written_waiver(policy: str, reason: Any, owner: Any, expires: Any, *, resource: str,
                   path: str, line: int | None, include_errors: bool = False) -> Waiver:
    """A waiver written next to a resource (a template's Metadata, a Terraform comment) as
    the same record a waivers file makes, narrowed to that resource, under the same rules:
    a reason, an owner and an expiry date are required (the horizon is checked by
    ``WaiverFile.matcher`` like any other). Every missing field is one problem at
    path:line."""
    problems = []
    where = f"waiver of {policy}"
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        problems.append(Problem(path, line, None, f"{where}: say why the risk is accepted (a "
                                f"reason of at least {MIN_REASON} characters)",
                                "name the ticket or the compensating control"))
    if not isinstance(owner, str) or not owner.strip():
        problems.append(Problem(path, line, None, f"{where} needs an owner",
                                "name who answers for it: a team or an address"))
    day: date | None = None
    try:
        day = expires if isinstance(expires, date) else date.fromisoformat(str(expires))
    except ValueError:
        problems.append(Problem(path, line, None, f"{where} needs an expiry date, not "
                                f"{expires!r}" if expires else f"{where} needs an expiry date",
                                "add expires YYYY-MM-DD, at most the scan's --max-waiver-days "
                                "ahead, and renew it when it runs out"))
    if problems or day is None:
        raise InputError(problems)
    literal = resource.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
    return Waiver(id=f"{policy}@{path}:{line}", policies=(policy,), reason=str(reason).strip(),
                  owner=str(owner).strip(), expires=day, resources=(literal,),
                  include_errors=include_errors, source=f"{path}:{line}",
                  written_at=(path, line))


def with_written(file: WaiverFile | None, written: Sequence[Waiver]) -> WaiverFile | None:
    """The waivers file (if any) and the waivers written next to resources, matched and
    reported as one set."""
    if not written:
        return file
    if file is None:
        canonical = json.dumps([w.source for w in written])
        return WaiverFile("(waivers in the templates)", tuple(written), None,
                          hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    return replace(file, waivers=file.waivers + tuple(written))


def _explain(doc: YamlDocument, error: ValidationError) -> Problem:
    pointer: Pointer = tuple(error.absolute_path)
    where = "/".join(map(str, pointer)) or "waivers file"
    stray = stray_key_problem(doc, error, where)
    if stray is not None:
        return stray
    if error.validator == "required" and isinstance(error.instance, dict):
        return doc.problem(pointer, f"{where}: {error.message}",
                           "every waiver needs policies, a reason, an owner and an expires date")
    if error.validator in ("minLength", "pattern") and pointer and pointer[-1] == "reason":
        return doc.problem(pointer, f"{where}: say why the risk is accepted (at least 10 "
                                    "characters)", "name the ticket or the compensating control")
    return doc.problem(pointer, f"{where}: {error.message}", HINT)


def policies_needing_tags(file: WaiverFile | None, policy_ids: Sequence[str]) -> set[str]:
    """The loaded policies that a tag-narrowing waiver names: their resources' tags are read."""
    if file is None:
        return set()
    return {pid for pid in policy_ids for w in file.waivers if w.tags and w.names_policy(pid)}


def unknown_policy_names(names: Sequence[str], known: Collection[str]) -> list[str]:
    """Each policy id or glob of a waiver that no policy has, with the closest id: a typo
    reads as such, not as a waiver that merely "matched nothing"."""
    return [f"{name!r}{did_you_mean(name, known)}" for name in names
            if not any(fnmatchcase(k, name) for k in known)]
