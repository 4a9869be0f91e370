"""The drill checklist: every runbook step with its commands filled in for the real
resources, ready to paste, and the sign-off block.

Names, regions and ARNs come from AWS: every one is shell-quoted (shlex.quote), and a value
that cannot sit safely inside a here-document is left out with a note instead. Placeholders
Preflight cannot know (the recovery Amplify app, the recovery target of a CNAME) stay
``${LIKE_THIS}``, as in the runbook.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from shlex import quote
from typing import Any

from .readiness import ZONE, StepStatus
from .recovery import worst_case_text
from .steps import Step

RESTORED = "-restored"
BACKUP_RESTORED = "-backup-restored"
_HEREDOC_SAFE = re.compile(r"^[A-Za-z0-9*_.-]+$")


def restore_targets(table: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(method, target table name) for each restore the table allows: point in time to
    NAME-restored; from the latest backup to NAME-restored too, or NAME-backup-restored when
    both are possible (a drill rehearses both, and a target name is single-use)."""
    name = table["resource"]["name"]
    pitr = table["pitr"]["status"] == "ENABLED" and table["pitr"]["latest_restorable_time"]
    backup = (table.get("latest_backup") or {}).get("arn")
    targets = []
    if pitr:
        targets.append(("pitr", name + RESTORED))
    if backup:
        targets.append(("backup", name + (BACKUP_RESTORED if pitr else RESTORED)))
    return targets


def _cmd(label: str, command: str) -> dict[str, str]:
    return {"label": label, "command": command}


def _group(resource: Mapping[str, Any] | None, status: str | None,
           commands: list[dict[str, str]], note: str | None = None) -> dict[str, Any]:
    heading = "" if resource is None else (
        f"{resource['name']} ({resource['account_id']}, {resource['region']}, "
        f"{resource['environment']})")
    return {"resource": None if resource is None else dict(resource), "heading": heading,
            "status": status, "commands": commands, "note": note}


def _fixes(step_resource: Mapping[str, Any] | None) -> list[dict[str, str]]:
    if not step_resource:
        return []
    seen: dict[str, dict[str, str]] = {}
    for blocker in step_resource["blocking"]:
        for command in blocker["remediation"]:
            seen.setdefault(command, _cmd(f"Fix first ({blocker['policy_id']})", command))
    return list(seen.values())


def _restore_tables(ctx: _Context) -> list[dict[str, Any]]:
    groups = []
    for table in ctx.tables:
        r = table["resource"]
        region, name = quote(r["region"]), quote(r["name"])
        entry = ctx.entry("restore-tables", r)
        status = entry["status"] if entry else None
        commands = [_cmd("Find the restorable window",
                         f"aws dynamodb describe-continuous-backups --region {region} "
                         f"--table-name {name} --query "
                         "'ContinuousBackupsDescription.PointInTimeRecoveryDescription'")]
        for method, target in restore_targets(table):
            if method == "pitr":
                window = (f"{table['pitr']['earliest_restorable_time']} to "
                          f"{table['pitr']['latest_restorable_time']}")
                commands.append(_cmd(
                    f"Point-in-time restore to the latest restorable time (window at scan "
                    f"time: {window})",
                    f"aws dynamodb restore-table-to-point-in-time --region {region} "
                    f"--source-table-name {name} --target-table-name {quote(target)} "
                    "--use-latest-restorable-time"))
            else:
                backup = table["latest_backup"]
                commands.append(_cmd(
                    f"Restore from the latest on-demand backup (made {backup['created_at']})",
                    f"aws dynamodb restore-table-from-backup --region {region} "
                    f"--target-table-name {quote(target)} --backup-arn {quote(backup['arn'])}"))
            commands.append(_cmd(f"Wait until {target} exists",
                                 f"aws dynamodb wait table-exists --region {region} "
                                 f"--table-name {quote(target)}"))
        note = None
        if not restore_targets(table):
            note = ("No restore point: neither point-in-time recovery nor an on-demand backup. "
                    "This table cannot be restored; fix it before the drill."
                    if table["restorable"] is False else
                    "Preflight could not read this table's restore points; check them by hand.")
            commands.extend(_fixes(entry))
        elif status in (StepStatus.NOT_READY, StepStatus.UNKNOWN):
            note = "A precondition of this step is not met; see the readiness section."
        groups.append(_group(r, status, commands, note))
    return groups


def _restore_objects(ctx: _Context) -> list[dict[str, Any]]:
    groups = []
    for bucket in ctx.buckets:
        r = bucket["resource"]
        region, name = quote(r["region"]), quote(r["name"])
        entry = ctx.entry("restore-objects", r)
        commands = [
            _cmd("Check that versioning is on",
                 f"aws s3api get-bucket-versioning --region {region} --bucket {name}"),
            _cmd("List object versions and delete markers (add --prefix for the affected keys)",
                 f"aws s3api list-object-versions --region {region} --bucket {name} "
                 "--max-items 50 --query '{Versions:Versions[].[Key,VersionId,LastModified,"
                 "IsLatest],DeleteMarkers:DeleteMarkers[].[Key,VersionId,LastModified]}'"),
            _cmd("Bring back an earlier version of one object",
                 f"aws s3api copy-object --region {region} --bucket {name} "
                 f"--key \"${{OBJECT_KEY}}\" --copy-source "
                 f"{quote(r['name'] + '/')}\"${{OBJECT_KEY}}?versionId=${{VERSION_ID}}\""),
        ]
        note = None
        if bucket["versioned"] is False:
            note = (f"Versioning is {bucket['versioning']}: there are no earlier versions to "
                    "restore. Fix it before the drill.")
            commands.extend(_fixes(entry))
        groups.append(_group(r, entry["status"] if entry else None, commands, note))
    return groups


def _redeploy(ctx: _Context) -> list[dict[str, Any]]:
    commands = [
        _cmd("Find the recovery app", "aws amplify list-apps --region ${RECOVERY_REGION} "
             "--query 'apps[].[appId,name,repository]' --output table"),
        _cmd("Check it has the branch", "aws amplify list-branches --region ${RECOVERY_REGION} "
             "--app-id ${RECOVERY_AMPLIFY_APP_ID} --query 'branches[].[branchName,stage]' "
             "--output table"),
        _cmd("Build the branch in the recovery app",
             "aws amplify start-job --region ${RECOVERY_REGION} --app-id "
             "${RECOVERY_AMPLIFY_APP_ID} --branch-name ${BRANCH_NAME} --job-type RELEASE"),
        _cmd("Follow the job", "aws amplify list-jobs --region ${RECOVERY_REGION} --app-id "
             "${RECOVERY_AMPLIFY_APP_ID} --branch-name ${BRANCH_NAME} --max-results 1 "
             "--query 'jobSummaries[0].[jobId,status]' --output text"),
    ]
    return [_group(None, None, commands,
                   "Not observable by Preflight: verify by hand. Fill in the ${...} "
                   "placeholders; check that the recovery branch's environment variables "
                   "point at the recovery backend before starting the job.")]


def _dns(ctx: _Context) -> list[dict[str, Any]]:
    groups = []
    for zone, entry, evidence in ctx.zones:
        zone_id = quote(zone["id"])
        failover = [n for n in evidence.get("failover[].name") or [] if isinstance(n, str)]
        cnames = [n for n in evidence.get("records[?type == 'CNAME'].name") or []
                  if isinstance(n, str) and not n.startswith("_")]
        commands: list[dict[str, str]] = []
        note = None
        for name in dict.fromkeys(failover):
            fqdn = quote(name + ".")
            query = f"ResourceRecordSets[?Name == '{name}.' && Failover == 'PRIMARY'].HealthCheckId"
            if not _HEREDOC_SAFE.match(name):
                continue
            commands += [
                _cmd(f"Show the failover records of {name}",
                     f"aws route53 list-resource-record-sets --hosted-zone-id {zone_id} "
                     f"--query \"ResourceRecordSets[?Name == '{name}.']\""),
                _cmd(f"Fail {name} over: invert the PRIMARY's health check, so Route 53 answers "
                     "with the SECONDARY",
                     f"for id in $(aws route53 list-resource-record-sets --hosted-zone-id "
                     f"{zone_id} --query \"{query}\" --output text); do "
                     "aws route53 update-health-check --health-check-id \"$id\" --inverted; done"),
                _cmd(f"Watch {name} resolve to the recovery target", f"dig +short {fqdn}"),
            ]
        if not failover:
            for name in dict.fromkeys(cnames):
                if not _HEREDOC_SAFE.match(name):
                    continue
                batch = json.dumps({"Comment": "DR drill failover", "Changes": [{
                    "Action": "UPSERT", "ResourceRecordSet": {
                        "Name": name, "Type": "CNAME", "TTL": 60,
                        "ResourceRecords": [{"Value": "RECOVERY_TARGET"}]}}]})
                batch = batch.replace("RECOVERY_TARGET", "${RECOVERY_TARGET}")
                commands += [
                    _cmd(f"Point {name} at the recovery target (fill in RECOVERY_TARGET, e.g. "
                         "BRANCH.APPID.amplifyapp.com)",
                         f"cat > dns-changes.json <<JSON\n{batch}\nJSON\n"
                         f"CHANGE_ID=$(aws route53 change-resource-record-sets --hosted-zone-id "
                         f"{zone_id} --change-batch file://dns-changes.json --query ChangeInfo.Id "
                         "--output text)\n"
                         "aws route53 wait resource-record-sets-changed --id \"$CHANGE_ID\""),
                    _cmd(f"Check that {name} resolves to it", f"dig +short {quote(name + '.')}"),
                ]
        if not commands:
            note = ("No failover record and no CNAME record to switch in this zone."
                    if not failover else "Record names Preflight cannot paste safely; see the "
                    "runbook section.")
            commands = _fixes(entry)
        elif entry and entry["status"] in (StepStatus.NOT_READY, StepStatus.UNKNOWN):
            note = "A precondition of this step is not met; see the readiness section."
            commands = commands + _fixes(entry)
        groups.append(_group(zone, entry["status"] if entry else None, commands, note))
    return groups


def _verify(ctx: _Context) -> list[dict[str, Any]]:
    groups = []
    for table in ctx.tables:
        r = table["resource"]
        region = quote(r["region"])
        commands = []
        for _, target in restore_targets(table):
            commands += [
                _cmd(f"{target} is ACTIVE and holds data (counts lag up to six hours)",
                     f"aws dynamodb describe-table --region {region} --table-name "
                     f"{quote(target)} --query 'Table.[TableStatus,ItemCount,TableSizeBytes]'"),
                _cmd(f"Enable point-in-time recovery on {target} (not carried over)",
                     f"aws dynamodb update-continuous-backups --region {region} --table-name "
                     f"{quote(target)} --point-in-time-recovery-specification "
                     "PointInTimeRecoveryEnabled=true"),
            ]
        if commands:
            commands.append(_cmd("The source's auto scaling, to re-create on the restored table",
                                 f"aws application-autoscaling describe-scalable-targets "
                                 f"--region {region} --service-namespace dynamodb "
                                 f"--resource-ids {quote('table/' + r['name'])}"))
            entry = ctx.entry("verify", r)
            groups.append(_group(r, entry["status"] if entry else None, commands))
    for bucket in ctx.buckets:
        if bucket["versioned"]:
            r = bucket["resource"]
            groups.append(_group(r, None, [_cmd(
                "Restored objects are the latest version",
                f"aws s3api list-object-versions --region {quote(r['region'])} --bucket "
                f"{quote(r['name'])} --max-items 20 --query "
                "'Versions[?IsLatest].[Key,VersionId,LastModified]'")]))
    return groups


def _cleanup(ctx: _Context) -> list[dict[str, Any]]:
    groups = []
    for table in ctx.tables:
        r = table["resource"]
        commands = [_cmd(f"Delete the drill table {target}",
                         f"aws dynamodb delete-table --region {quote(r['region'])} "
                         f"--table-name {quote(target)}")
                    for _, target in restore_targets(table)]
        if commands:
            groups.append(_group(r, None, commands))
    for zone, _, evidence in ctx.zones:
        for name in dict.fromkeys(evidence.get("failover[].name") or []):
            if isinstance(name, str) and _HEREDOC_SAFE.match(name):
                query = (f"ResourceRecordSets[?Name == '{name}.' && Failover == 'PRIMARY']"
                         ".HealthCheckId")
                groups.append(_group(zone, None, [_cmd(
                    f"Fail {name} back: restore the PRIMARY's health check",
                    f"for id in $(aws route53 list-resource-record-sets --hosted-zone-id "
                    f"{quote(zone['id'])} --query \"{query}\" --output text); do "
                    "aws route53 update-health-check --health-check-id \"$id\" --no-inverted; "
                    "done")]))
    return groups


class _Context:
    def __init__(self, steps: Sequence[Mapping[str, Any]], points: Mapping[str, Any],
                 zone_evidence: Mapping[str, Mapping[str, Any]]):
        self._entries = {(s["id"], r["key"]): r for s in steps for r in s["resources"]}
        self.tables = points["tables"]
        self.buckets = points["buckets"]
        dns = next((s for s in steps if s["id"] == "fail-over-dns"), None)
        self.zones = [(r["resource"], r, zone_evidence.get(r["key"], {}))
                      for r in (dns["resources"] if dns else [])
                      if r["resource"]["type"] == ZONE and r["resource"]["id"] != "*"
                      and not zone_evidence.get(r["key"], {}).get("private")]

    def entry(self, step_id: str, resource: Mapping[str, Any]) -> dict[str, Any] | None:
        from .readiness import resource_key

        return self._entries.get((step_id, resource_key(resource)))


GENERATORS: dict[str, Callable[[_Context], list[dict[str, Any]]]] = {
    "restore-tables": _restore_tables,
    "restore-objects": _restore_objects,
    "redeploy": _redeploy,
    "fail-over-dns": _dns,
    "verify": _verify,
}


def checklist(steps: Sequence[Step], readiness: Sequence[Mapping[str, Any]],
              points: Mapping[str, Any], zone_evidence: Mapping[str, Mapping[str, Any]],
              cleanup: Mapping[str, str] | None, runbook: str) -> list[dict[str, Any]]:
    ctx = _Context(readiness, points, zone_evidence)
    by_id = {s["id"]: s for s in readiness}
    sections = []
    for step in steps:
        generate = GENERATORS.get(step.checklist or "")
        sections.append({
            "step_id": step.id, "title": step.title, "ref": step.ref,
            "status": by_id[step.id]["status"], "observable": step.observable,
            "groups": generate(ctx) if generate else [],
        })
    if cleanup:
        sections.append({"step_id": "cleanup", "title": cleanup["title"],
                         "ref": f"{runbook}#{cleanup['anchor']}", "status": None,
                         "observable": True, "groups": _cleanup(ctx)})
    return sections


def signoff(steps: Sequence[Step], settings: Mapping[str, Any], points: Mapping[str, Any]
            ) -> dict[str, Any]:
    worst = points["worst"]["overall"]
    return {
        "fields": ["Drill run by", "Date", "Accounts and environments drilled",
                   "Outage simulated at (UTC)", "Service restored at (UTC)",
                   "Restore point used (UTC)", "Observed RTO (minutes)",
                   "Observed RPO (minutes)", "Issues found and follow-ups", "Signed off by"],
        "rto_target_minutes": settings.get("rto_minutes"),
        "rpo_target_minutes": settings.get("rpo_minutes"),
        # A number only when every table and bucket has a restore point (recovery.py).
        "achievable_rpo_minutes": worst["worst_rpo_minutes"],
        "achievable_rpo": {"worst_case": worst["worst_case"],
                           "text": worst_case_text(worst),
                           "without_restore_point": {
                               "tables": worst["tables_without_restore_point"],
                               "buckets": worst["unversioned_buckets"]},
                           "unknown": {"tables": worst["tables_unknown"],
                                       "buckets": worst["buckets_unknown"]}},
        "steps": [{"step_id": s.id, "title": s.title} for s in steps],
    }
