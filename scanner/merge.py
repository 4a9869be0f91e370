"""`preflight merge shard-*/report.json`: the shards of one scan as one result.

Results merge only when they are parts of the same scan: the same Preflight version, the
same policy set (``scan.policy_set``: the policies' content, overrides and parameters),
the same waivers file, and either every one a distinct shard of the same N with none
missing, or no shards at all and no account scanned twice. Anything else is an input
error (exit 2) that names the files, never a silently mixed report.

Waiver outcomes add up: a waiver is applied when it applied in any shard (its counts
summed), expired when any shard judged it expired, and unused only when it matched
nothing anywhere. Baseline sections of the inputs are dropped: compare the merged result
with `merge --baseline`, since a shard cannot know which failures another shard fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .errors import InputError, Problem
from .models import ScanResult, WaiverOutcome, WaiverReport
from .waivers import WaiverState

HINT = "merge the report.json files of one run's shards (same version, policies and waivers)"


def _fail(path: Path | str, message: str, hint: str = HINT) -> InputError:
    return InputError([Problem(str(path), None, None, message, hint)])


# Each input is named by where it came from: a file, or an s3:// URI (saved.load_s3_results).
Source = Path | str


def merge_results(inputs: Sequence[tuple[Source, ScanResult]]) -> ScanResult:
    if not inputs:
        raise InputError([Problem("(no input)", None, None, "no report.json to merge", HINT)])
    first_path, first = inputs[0]
    for path, result in inputs[1:]:
        if result.tool_version != first.tool_version:
            raise _fail(path, f"written by Preflight {result.tool_version}, but {first_path} by "
                              f"{first.tool_version}: results of different versions do not merge")
        same_policies = (result.policy_set == first.policy_set) if result.policy_set and \
            first.policy_set else result.policies == first.policies
        if not same_policies or [p.id for p in result.policies] != [p.id for p in first.policies]:
            raise _fail(path, f"scanned with a different policy set than {first_path} "
                              f"({result.policy_set or 'no digest'} vs "
                              f"{first.policy_set or 'no digest'}): results of different policies, "
                              "overrides or parameters do not merge")
        if _waiver_digest(result) != _waiver_digest(first):
            raise _fail(path, f"used a different waivers file than {first_path}")
    _check_shards(inputs)
    owner: dict[str, Source] = {}
    for path, result in inputs:
        for account in result.accounts:
            if account.id in owner:
                raise _fail(path, f"account {account.id} is also in {owner[account.id]}: a merged "
                                  "report must not count an account twice")
            owner[account.id] = path
    seen: dict[tuple[str, ...], Source] = {}
    for path, result in inputs:
        for finding in result.findings:
            if finding.key in seen:
                raise _fail(path, f"finding {'/'.join(finding.key)} is also in {seen[finding.key]}")
            seen[finding.key] = path
    results = [r for _, r in inputs]
    regions: list[str] = []
    for r in results:
        regions.extend(x for x in r.regions if x not in regions)
    runbooks = {e.ref: e for r in results for e in r.runbooks}
    findings = sorted((replace(f, change=None) for r in results for f in r.findings),
                      key=lambda f: f.sort_key)
    errors = sorted((e for r in results for e in r.errors), key=lambda e: (
        e.account_id, e.region or "", e.resource_type or "", e.resource_id or "", e.operation))
    return ScanResult(
        tool_version=first.tool_version,
        started_at=min(r.started_at for r in results),
        finished_at=max(r.finished_at for r in results),
        accounts=tuple(sorted((a for r in results for a in r.accounts), key=lambda a: a.id)),
        regions=tuple(regions),
        policies=first.policies,
        findings=tuple(findings),
        errors=tuple(errors),
        api_calls=sum(r.api_calls for r in results),
        runbooks=tuple(runbooks[k] for k in sorted(runbooks)),
        waivers=_merge_waivers([r.waivers for r in results]),
        baseline=None,
        shard=None,
        policy_set=first.policy_set,
    )


def _waiver_digest(result: ScanResult) -> str | None:
    return result.waivers.digest if result.waivers is not None else None


def _check_shards(inputs: Sequence[tuple[Source, ScanResult]]) -> None:
    sharded = [(p, r.shard) for p, r in inputs if r.shard is not None]
    if not sharded:
        return
    if len(sharded) != len(inputs):
        path = next(p for p, r in inputs if r.shard is None)
        raise _fail(path, "is not a shard's result, but others are (scan --shard K/N)")
    counts = {shard[1] for _, shard in sharded}
    if len(counts) > 1:
        raise _fail(sharded[0][0], f"shards of different splits: N is {sorted(counts)} across "
                                   "the inputs")
    count = counts.pop()
    where: dict[int, Source] = {}
    for path, (index, _) in sharded:
        if index in where:
            raise _fail(path, f"shard {index}/{count} is also {where[index]}")
        where[index] = path
    missing = [k for k in range(1, count + 1) if k not in where]
    if missing:
        raise _fail(sharded[0][0], f"shard{'s' if len(missing) > 1 else ''} "
                                   f"{', '.join(f'{k}/{count}' for k in missing)} missing: a merged "
                                   "report without them would silently leave accounts out",
                    "pass every shard's report.json (did a shard job fail?)")


def _merge_waivers(reports: list[WaiverReport | None]) -> WaiverReport | None:
    present = [r for r in reports if r is not None]
    if not present:
        return None
    first = present[0]
    merged: list[WaiverOutcome] = []
    for base in first.waivers:
        parts = [w for r in present for w in r.waivers if w.id == base.id]
        if any(p.state == WaiverState.EXPIRED for p in parts):
            state = WaiverState.EXPIRED
            matched = sum(p.matched for p in parts if p.state == WaiverState.EXPIRED)
        else:
            matched = sum(p.matched for p in parts if p.state == WaiverState.APPLIED)
            state = WaiverState.APPLIED if matched else WaiverState.UNUSED
        merged.append(replace(base, state=state, matched=matched))
    return replace(first, waivers=tuple(merged))

