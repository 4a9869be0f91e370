"""Terraform plans (``terraform show -json plan.out``) -> planned resources.

Each ``resource_changes[]`` entry that will exist after the apply (not a pure delete) is read
from ``change.after``; a value marked in ``change.after_unknown`` is "known after apply":
``Unknown``. Related resources are joined by value (``table/<name>``, the bucket's name) or,
when the value is unknown, by the references the plan's ``configuration`` section records.

Lines: the plan JSON has neither lines of the .tf files nor comments, so the .tf files are
searched (``--source DIR``; default the plan's own directory) for ``resource "TYPE" "NAME"``
blocks: findings point at the block (or the offending argument inside it) and
``# preflight:waive POLICY reason`` comments on or right above the block's first line are
waivers. Without the .tf files, findings point at the resource's entry in the plan file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from .model import COGNITO, DYNAMODB, HTTP_STAGE, LAMBDA, REST_STAGE, S3, InlineWaiver, Planned
from .values import Unknown

_WAIVE = re.compile(r"(?:#|//)\s*preflight:waive\s+([A-Za-z0-9_-]+)\s*(.*)$")


@dataclass
class Change:
    address: str
    type: str
    name: str
    after: dict[str, Any]
    unknown: dict[str, Any]
    references: dict[str, set[str]] = field(default_factory=dict)  # argument -> addresses

    def get(self, *path: str | int, default: Any = None) -> Any:
        value: Any = self.after
        unknown: Any = self.unknown
        for part in path:
            if unknown is True:
                return Unknown(f"{self.address}: {'.'.join(map(str, path))} is known after apply")
            if isinstance(value, list) and isinstance(part, int):
                value = value[part] if part < len(value) else None
                unknown = unknown[part] if isinstance(unknown, list) and part < len(unknown) \
                    else None
            elif isinstance(value, dict):
                value = value.get(part)
                unknown = unknown.get(part) if isinstance(unknown, dict) else None
            else:
                value = None
            if value is None and unknown is not True:
                return default
        if unknown is True:
            return Unknown(f"{self.address}: {'.'.join(map(str, path))} is known after apply")
        return value

    def block(self, name: str) -> Change:
        """The first nested block (Terraform writes blocks as one-element lists)."""
        value = self.get(name, 0)
        unknown = self.unknown.get(name) if isinstance(self.unknown, dict) else None
        first_unknown = unknown[0] if isinstance(unknown, list) and unknown else {}
        return Change(self.address, self.type, self.name,
                      value if isinstance(value, dict) else {},
                      first_unknown if isinstance(first_unknown, dict) else {})

    def refers_to(self, argument: str, address: str) -> bool:
        return any(r == address or r.startswith(address + ".")
                   for r in self.references.get(argument, ()))


def _configuration(module: dict[str, Any], prefix: str, out: dict[str, dict[str, set[str]]]
                   ) -> None:
    for resource in module.get("resources") or []:
        refs: dict[str, set[str]] = {}
        for argument, expression in (resource.get("expressions") or {}).items():
            refs[argument] = set(_references(expression))
        out[prefix + resource.get("address", "")] = refs
    for name, call in (module.get("module_calls") or {}).items():
        _configuration(call.get("module") or {}, f"{prefix}module.{name}.", out)


def _references(expression: Any) -> list[str]:
    found = []
    if isinstance(expression, dict):
        found.extend(str(r) for r in expression.get("references") or [])
        for value in expression.values():
            if isinstance(value, (dict, list)):
                found.extend(_references(value))
    elif isinstance(expression, list):
        for item in expression:
            found.extend(_references(item))
    return found


def _module_less(address: str) -> str:
    """module.app.aws_x.y[0] -> aws_x.y (the configuration's relative form)."""
    parts = address.split(".")
    while len(parts) > 2 and parts[0] == "module":
        parts = parts[2:]
    return re.sub(r"\[[^\]]*\]$", "", ".".join(parts))


def _module_prefix(address: str) -> str:
    parts = address.split(".")
    prefix = []
    while len(parts) > 2 and parts[0] == "module":
        prefix += parts[:2]
        parts = parts[2:]
    return ".".join(prefix) + "." if prefix else ""


@dataclass
class Block:
    path: str
    line: int
    lines: list[tuple[int, str]]  # the block's lines
    waivers: list[InlineWaiver]


def find_blocks(source_dirs: list[Path], relative: Callable[[Path], str]
                ) -> dict[tuple[str, str], Block]:
    blocks: dict[tuple[str, str], Block] = {}
    start = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"')
    for directory in source_dirs:
        for tf in sorted(directory.rglob("*.tf")):
            if ".terraform" in tf.parts:
                continue
            text = tf.read_text(encoding="utf-8").splitlines()
            for index, line in enumerate(text):
                match = start.match(line)
                if not match or (match.group(1), match.group(2)) in blocks:
                    continue
                rel = relative(tf)
                waivers = []
                comments = [index]
                above = index - 1
                while above >= 0 and text[above].strip().startswith(("#", "//")):
                    comments.append(above)
                    above -= 1
                for n in sorted(comments):
                    waive = _WAIVE.search(text[n])
                    if waive:
                        waivers.append(InlineWaiver(waive.group(1), waive.group(2).strip()
                                                    or "(no reason given)",
                                                    SourceLocation(rel, n + 1)))
                depth, body = 0, []
                for n in range(index, len(text)):
                    body.append((n + 1, text[n]))
                    depth += text[n].count("{") - text[n].count("}")
                    if depth <= 0 and n > index - 1 and "{" in "".join(t for _, t in body):
                        break
                blocks[(match.group(1), match.group(2))] = Block(rel, index + 1, body, waivers)
    return blocks


# attribute -> the Terraform argument or block it comes from, per Terraform type
_ARGUMENTS = {
    "aws_dynamodb_table": {"billing_mode": "billing_mode", "pitr": "point_in_time_recovery",
                           "deletion_protection": "deletion_protection_enabled", "tags": "tags",
                           "provisioned_throughput": "read_capacity"},
    "aws_s3_bucket": {"versioning": "versioning", "tags": "tags"},
    "aws_cognito_user_pool": {"mfa_configuration": "mfa_configuration",
                              "deletion_protection": "deletion_protection", "tags": "tags"},
    "aws_api_gateway_stage": {"tracing_enabled": "xray_tracing_enabled", "tags": "tags",
                              "access_log_destination": "access_log_settings"},
    "aws_apigatewayv2_stage": {"throttling": "default_route_settings", "tags": "tags",
                               "access_log_destination": "access_log_settings"},
    "aws_lambda_function": {"timeout": "timeout", "memory_size": "memory_size",
                            "runtime": "runtime", "tags": "tags",
                            "reserved_concurrency": "reserved_concurrent_executions"},
}


def load(path: Path, relative: Callable[[Path], str], source_dirs: list[str]) -> list[Planned]:
    text = path.read_text(encoding="utf-8")
    try:
        plan = json.loads(text)
    except ValueError as exc:
        raise InputError([Problem(str(path), None, None, f"not a Terraform plan: {exc}")]) \
            from None
    config: dict[str, dict[str, set[str]]] = {}
    _configuration((plan.get("configuration") or {}).get("root_module") or {}, "", config)
    changes: list[Change] = []
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        if rc.get("mode", "managed") != "managed" or change.get("actions") == ["delete"]:
            continue
        address = rc["address"]
        refs = config.get(_module_prefix(address) + _module_less(address), {})
        changes.append(Change(address, rc["type"], rc["name"], change.get("after") or {},
                              change.get("after_unknown") or {}, refs))
    dirs = [Path(d) for d in source_dirs] or [path.parent]
    blocks = find_blocks(dirs, relative)
    rel = relative(path)
    marker = text.find('"resource_changes"')
    return _Mapper(changes, blocks, rel, text, max(marker, 0)).run()


class _Mapper:
    def __init__(self, changes: list[Change], blocks: dict[tuple[str, str], Block], rel: str,
                 text: str, offset: int) -> None:
        self.changes = changes
        self.blocks = blocks
        self.rel = rel
        self.text = text
        self.offset = offset

    def of_type(self, type_name: str) -> list[Change]:
        return [c for c in self.changes if c.type == type_name]

    def location(self, c: Change) -> tuple[SourceLocation, dict[str, SourceLocation],
                                           list[InlineWaiver]]:
        block = self.blocks.get((c.type, c.name))
        if block is None:
            at = self.text.find(f'"address": "{c.address}"', self.offset)
            line = self.text.count("\n", 0, at) + 1 if at >= 0 else 1
            return SourceLocation(self.rel, line, line), {}, []
        locations = {}
        for attribute, argument in _ARGUMENTS.get(c.type, {}).items():
            pattern = re.compile(rf"^\s*{re.escape(argument)}\s*(=|\{{)")
            for number, line in block.lines:
                if pattern.match(line):
                    locations[attribute] = SourceLocation(block.path, number, block.line, argument)
                    break
        return SourceLocation(block.path, block.line, block.line), locations, block.waivers

    def planned(self, c: Change, type_name: str, name: Any, data: dict[str, Any],
                extra: dict[str, SourceLocation] | None = None) -> Planned:
        location, locations, waivers = self.location(c)
        locations.update(extra or {})
        display = name if isinstance(name, str) and name else c.address
        return Planned(type_name, f"{self.rel}#{c.address}", display, None, data, location,
                       locations, waivers)

    def run(self) -> list[Planned]:
        out = []
        for c in self.changes:
            build = {"aws_dynamodb_table": self.table, "aws_s3_bucket": self.bucket,
                     "aws_cognito_user_pool": self.user_pool,
                     "aws_api_gateway_stage": self.rest_stage,
                     "aws_apigatewayv2_stage": self.http_stage,
                     "aws_lambda_function": self.function}.get(c.type)
            if build is not None:
                out.append(build(c))
        return out

    def table(self, c: Change) -> Planned:
        name = c.get("name")
        pitr = c.block("point_in_time_recovery").get("enabled", default=False)
        billing = c.get("billing_mode", default="PROVISIONED")
        data = {
            "billing_mode": billing,
            "provisioned_throughput": {"read": c.get("read_capacity"),
                                       "write": c.get("write_capacity")},
            "deletion_protection": bool(c.get("deletion_protection_enabled", default=False))
            if not isinstance(c.get("deletion_protection_enabled"), Unknown)
            else c.get("deletion_protection_enabled"),
            "pitr": pitr if isinstance(pitr, Unknown) else {
                "status": "ENABLED" if pitr else "DISABLED",
                "earliest_restorable_time": None, "latest_restorable_time": None},
            "autoscaling": self.autoscaling(c, name),
            "tags": _tags(c),
        }
        return self.planned(c, DYNAMODB, name, data)

    def autoscaling(self, table: Change, name: Any) -> dict[str, Any]:
        scaling: dict[str, Any] = {"read": None, "write": None}
        for target in self.of_type("aws_appautoscaling_target"):
            resource_id = target.get("resource_id")
            by_name = isinstance(name, str) and resource_id == f"table/{name}"
            if not (by_name or (isinstance(resource_id, Unknown)
                                and target.refers_to("resource_id", _module_less(table.address)))):
                continue
            dimension = str(target.get("scalable_dimension", default=""))
            direction = {"ReadCapacityUnits": "read", "WriteCapacityUnits": "write"}.get(
                dimension.rsplit(":", 1)[-1])
            if direction is None:
                continue
            policies = [
                {"name": p.get("name", default=p.name), "type": p.get("policy_type", default="")}
                for p in self.of_type("aws_appautoscaling_policy")
                if (p.get("resource_id") == resource_id and not isinstance(resource_id, Unknown)
                    and p.get("scalable_dimension") == dimension)
                or p.refers_to("resource_id", _module_less(target.address))
                or p.refers_to("scalable_dimension", _module_less(target.address))
            ]
            scaling[direction] = {"min_capacity": target.get("min_capacity"),
                                  "max_capacity": target.get("max_capacity"),
                                  "policies": policies}
        return scaling

    def bucket(self, c: Change) -> Planned:
        name = c.get("bucket")
        versioning: Any = "Disabled"
        legacy = c.block("versioning").get("enabled")
        if legacy is not None:
            versioning = legacy if isinstance(legacy, Unknown) else \
                ("Enabled" if legacy else "Disabled")
        extra = {}
        for v in self.of_type("aws_s3_bucket_versioning"):
            bucket = v.get("bucket")
            if (bucket == name and not isinstance(name, Unknown)) or (
                    isinstance(bucket, Unknown)
                    and v.refers_to("bucket", _module_less(c.address))):
                status = v.block("versioning_configuration").get("status", default="Disabled")
                versioning = status
                location, _locations, _ = self.location(v)
                extra["versioning"] = location
        data = {"versioning": versioning, "mfa_delete": "Disabled", "tags": _tags(c)}
        return self.planned(c, S3, name, data, extra)

    def user_pool(self, c: Change) -> Planned:
        data = {
            "mfa_configuration": c.get("mfa_configuration", default="OFF"),
            "deletion_protection": c.get("deletion_protection", default="INACTIVE"),
            "tags": _tags(c),
        }
        return self.planned(c, COGNITO, c.get("name"), data)

    def _api_name(self, c: Change, argument: str, api_type: str) -> Any:
        for api in self.of_type(api_type):
            if c.refers_to(argument, _module_less(api.address)) or (
                    c.get(argument) == api.get("id") and not isinstance(c.get(argument), Unknown)):
                return api.get("name", default=api.name), api
        return c.get(argument), None

    def rest_stage(self, c: Change) -> Planned:
        stage_name = c.get("stage_name")
        api_name, _ = self._api_name(c, "rest_api_id", "aws_api_gateway_rest_api")
        method_settings: dict[str, Any] = {}
        extra = {}
        for ms in self.of_type("aws_api_gateway_method_settings"):
            same_stage = ms.refers_to("stage_name", _module_less(c.address)) or (
                ms.get("stage_name") == stage_name and (
                    (ms.get("rest_api_id") == c.get("rest_api_id")
                    and not isinstance(c.get("rest_api_id"), Unknown))
                    or any(ms.refers_to("rest_api_id", r.split(".")[0] + "." + r.split(".")[1])
                           for r in c.references.get("rest_api_id", ()) if r.count(".") >= 1)))
            if not same_stage:
                continue
            s = ms.block("settings")
            method_settings[str(ms.get("method_path", default="*/*"))] = {
                "rate_limit": _unset(s.get("throttling_rate_limit")),
                "burst_limit": _unset(s.get("throttling_burst_limit")),
                "logging_level": s.get("logging_level", default="OFF") or "OFF",
                "metrics_enabled": s.get("metrics_enabled", default=False),
            }
            location, _, _ = self.location(ms)
            for attr in ("throttling", "logging_level", "metrics_enabled", "method_settings"):
                extra[attr] = location
        default = method_settings.get("*/*", {})
        data = {
            "api_id": c.get("rest_api_id"), "api_name": api_name, "stage_name": stage_name,
            "throttling": {"rate_limit": default.get("rate_limit"),
                           "burst_limit": default.get("burst_limit")},
            "logging_level": default.get("logging_level", "OFF"),
            "metrics_enabled": bool(default.get("metrics_enabled", False)),
            "method_settings": {k: {"rate_limit": v["rate_limit"], "burst_limit": v["burst_limit"],
                                    "logging_level": v["logging_level"]}
                                for k, v in method_settings.items()},
            "tracing_enabled": bool(c.get("xray_tracing_enabled", default=False)),
            "web_acl_arn": _known(c.get("web_acl_arn")) or self._waf(c),
            "access_log_destination": c.block("access_log_settings").get("destination_arn"),
            "tags": _tags(c),
        }
        return self.planned(c, REST_STAGE, f"{api_name}/{stage_name}", data, extra)

    def _waf(self, stage: Change) -> Any:
        for association in self.of_type("aws_wafv2_web_acl_association"):
            if association.refers_to("resource_arn", _module_less(stage.address)):
                return association.get("web_acl_arn")
        return None

    def http_stage(self, c: Change) -> Planned:
        stage_name = c.get("name")
        api_name, api = self._api_name(c, "api_id", "aws_apigatewayv2_api")
        route = c.block("default_route_settings")
        data = {
            "api_id": c.get("api_id"), "api_name": api_name, "stage_name": stage_name,
            "protocol_type": api.get("protocol_type") if api is not None else None,
            "throttling": {"rate_limit": _unset(route.get("throttling_rate_limit")),
                           "burst_limit": _unset(route.get("throttling_burst_limit"))},
            "access_log_destination": c.block("access_log_settings").get("destination_arn"),
            "tags": _tags(c),
        }
        return self.planned(c, HTTP_STAGE, f"{api_name}/{stage_name}", data)

    def function(self, c: Change) -> Planned:
        reserved = c.get("reserved_concurrent_executions")
        integrations = []
        for i in self.of_type("aws_api_gateway_integration"):
            if i.refers_to("uri", _module_less(c.address)):
                timeout = i.get("timeout_milliseconds", default=29000)
                integrations.append({
                    "api_type": "REST", "api_id": i.get("rest_api_id"), "path": None,
                    "method": i.get("http_method"), "timeout_ms": timeout,
                    "timeout_seconds": timeout / 1000 if isinstance(timeout, (int, float))
                    else timeout})
        for i in self.of_type("aws_apigatewayv2_integration"):
            if i.refers_to("integration_uri", _module_less(c.address)):
                timeout = i.get("timeout_milliseconds", default=30000)
                integrations.append({
                    "api_type": "HTTP", "api_id": i.get("api_id"), "path": None, "method": None,
                    "timeout_ms": timeout,
                    "timeout_seconds": timeout / 1000 if isinstance(timeout, (int, float))
                    else timeout})
        data = {
            "timeout": c.get("timeout", default=3),
            "memory_size": c.get("memory_size", default=128),
            "runtime": c.get("runtime"),
            "package_type": c.get("package_type", default="Zip"),
            "architectures": c.get("architectures", default=["x86_64"]),
            "reserved_concurrency": _unset(reserved),
            "tags": _tags(c),
            "api_integrations": integrations,
        }
        return self.planned(c, LAMBDA, c.get("function_name"), data)


def _tags(c: Change) -> Any:
    tags = c.get("tags_all")
    if tags is None or (isinstance(tags, dict) and not tags):
        tags = c.get("tags", default={})
    return tags if isinstance(tags, Unknown) else dict(tags or {})


def _unset(value: Any) -> Any:
    """The AWS provider writes -1 for "not set" (throttling limits, reserved concurrency)."""
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 \
        else value


def _known(value: Any) -> Any:
    return None if isinstance(value, Unknown) or value in ("", None) else value
