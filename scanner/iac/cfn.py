"""CloudFormation templates (YAML with short tags, JSON, CDK output) -> planned resources.

Templates are decoded by cfn-lint (``cfnlint.decode.decode``), which understands the short
intrinsic tags (``!Ref``, ``!Sub``...) and keeps every node's line. Intrinsic functions are
resolved against the parameters supplied (or their defaults), the template's Mappings and
Conditions and the pseudo parameters; what cannot be known before deployment becomes
``Unknown`` (a parameter without a value, Fn::ImportValue) or ``Deferred`` (another
resource's Ref/GetAtt: it will exist, its text is not known now).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..models import SourceLocation
from .model import (
    COGNITO,
    DYNAMODB,
    HTTP_STAGE,
    LAMBDA,
    PLANNABLE,
    REST_STAGE,
    S3,
    InlineWaiver,
    Planned,
)
from .values import Deferred, Unknown, as_bool, as_number

NOVALUE = object()
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


def decode(path: Path) -> dict[str, Any]:
    """The template with line-carrying nodes; a template cfn-lint cannot parse is an input
    error naming file:line."""
    from cfnlint.decode import decode as cfn_decode

    template, matches = cfn_decode(str(path))
    if template is None or matches:
        problems = []
        for match in matches or []:
            line = getattr(match, "linenumber", None)
            message = getattr(match, "message", str(match))
            problems.append(Problem(str(path), line, getattr(match, "columnnumber", None),
                                    f"not a valid CloudFormation template: {message}"))
        raise InputError(problems or [Problem(str(path), None, None,
                                              "not a valid CloudFormation template")])
    return template


def line_of(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


@dataclass
class Context:
    """What intrinsic functions resolve against."""

    parameters: dict[str, Any]
    resources: Mapping[str, Any]
    conditions: Mapping[str, Any]
    mappings: Mapping[str, Any]
    region: str
    account_id: str
    _condition_cache: dict[str, Any] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": self.account_id,
                  "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return NOVALUE
        if name in ("AWS::StackName", "AWS::StackId", "AWS::NotificationARNs"):
            return Deferred("${" + name + "}")
        if name in self.resources:
            return Deferred("${" + name + "}")
        return Unknown(f"!Ref {name} names no parameter or resource of the template")

    def condition(self, name: str) -> Any:
        if name not in self._condition_cache:
            self._condition_cache[name] = Unknown(f"condition {name} refers to itself")
            raw = self.conditions.get(name)
            self._condition_cache[name] = (
                Unknown(f"no condition {name} in the template") if raw is None
                else self.test(raw))
        return self._condition_cache[name]

    def test(self, node: Any) -> Any:
        """A condition's value: True, False or Unknown."""
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict) or len(node) != 1:
            return Unknown(f"cannot evaluate condition {node!r}")
        (fn, arg), = node.items()
        if fn == "Condition":
            return self.condition(str(arg))
        if fn == "Fn::Equals":
            left, right = (self.resolve(a) for a in arg)
            for side in (left, right):
                if isinstance(side, Unknown):
                    return side
                if isinstance(side, Deferred):
                    return Unknown(f"Fn::Equals compares {side}, known only after deployment")
            return str(left) == str(right)
        parts = [self.test(a) for a in (arg if isinstance(arg, list) else [arg])]
        if fn == "Fn::Not":
            return parts[0] if isinstance(parts[0], Unknown) else not parts[0]
        if fn in ("Fn::And", "Fn::Or"):
            decisive = fn == "Fn::Or"  # True decides an Or, False an And
            if any(p is decisive for p in parts):
                return decisive
            unknown = next((p for p in parts if isinstance(p, Unknown)), None)
            return unknown if unknown is not None else not decisive
        return Unknown(f"unsupported condition function {fn}")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NOVALUE]
        if not isinstance(node, dict):
            return str(node) if isinstance(node, str) else node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key.startswith("Fn::"):
                return self._function(str(key), arg)
        out = {}
        for key, value in node.items():
            resolved = self.resolve(value)
            if resolved is not NOVALUE:
                out[str(key)] = resolved
        return out

    def _function(self, fn: str, arg: Any) -> Any:
        if fn == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else [str(a) for a in arg]
            if parts and parts[0] in self.resources:
                return Deferred("${" + ".".join(parts) + "}")
            return Unknown(f"!GetAtt {'.'.join(parts)} names no resource of the template")
        if fn == "Fn::Sub":
            return self._sub(arg)
        if fn == "Fn::If":
            condition, when_true, when_false = arg
            value = self.condition(str(condition))
            if isinstance(value, Unknown):
                return Unknown(f"!If {condition}: {value.reason}")
            return self.resolve(when_true if value else when_false)
        if fn == "Fn::Join":
            delimiter, items = arg
            items = self.resolve(items)
            if isinstance(items, Unknown):
                return items
            for item in items:
                if isinstance(item, Unknown):
                    return item
            text = str(delimiter).join(str(i) for i in items)
            return Deferred(text) if any(isinstance(i, Deferred) for i in items) else text
        if fn == "Fn::Select":
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            if isinstance(items, Unknown) or isinstance(index, Unknown):
                return items if isinstance(items, Unknown) else index
            if not isinstance(items, list):
                return Unknown(f"!Select from {items}, known only after deployment")
            return items[int(index)]
        if fn == "Fn::FindInMap":
            keys = [self.resolve(a) for a in arg[:3]]
            for key in keys:
                if isinstance(key, (Unknown, Deferred)):
                    return key if isinstance(key, Unknown) else Unknown(
                        f"!FindInMap key {key}, known only after deployment")
            try:
                return self.resolve(self.mappings[keys[0]][keys[1]][keys[2]])
            except (KeyError, TypeError):
                return Unknown(f"!FindInMap {keys} is not in the template's Mappings")
        if fn == "Fn::Split":
            delimiter, text = arg[0], self.resolve(arg[1])
            if isinstance(text, Unknown):
                return text
            return [Deferred(p) if isinstance(text, Deferred) else p
                    for p in str(text).split(delimiter)]
        if fn == "Fn::Base64":
            return self.resolve(arg)
        if fn == "Fn::ImportValue":
            return Unknown(f"!ImportValue {self.resolve(arg)!s}: exported by another stack")
        if fn == "Fn::GetAZs":
            return Deferred("${AWS::AZs}")
        return Unknown(f"{fn} is not evaluated before deployment")

    def _sub(self, arg: Any) -> Any:
        if isinstance(arg, list):
            text, variables = arg[0], {str(k): self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}
        deferred = False
        unknown: Unknown | None = None

        def replace(match: re.Match[str]) -> str:
            nonlocal deferred, unknown
            name = match.group(1).strip()
            if name in variables:
                value = variables[name]
            elif "." in name:
                value = self._function("Fn::GetAtt", name)
            else:
                value = self.ref(name)
            if isinstance(value, Unknown):
                unknown = unknown or value
                return ""
            deferred = deferred or isinstance(value, Deferred)
            return str(value)

        result = _SUB_VAR.sub(replace, str(text)).replace("${!", "${")
        if unknown is not None:
            return unknown
        return Deferred(result) if deferred else result


def references(node: Any) -> set[str]:
    """Logical ids a raw (unresolved) value refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value.split(".", 1)[0] if isinstance(value, str) else str(value[0]))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found |= {m.split(".", 1)[0].strip() for m in _SUB_VAR.findall(str(text))}
                found |= references(value[1] if isinstance(value, list) else None)
            else:
                found |= references(value)
    return found


def parameter_values(template: Mapping[str, Any], supplied: Mapping[str, str]) -> dict[str, Any]:
    """Each declared parameter: the supplied value, else its Default, else Unknown."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        if name in supplied:
            value: Any = supplied[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            values[str(name)] = Unknown(
                f"parameter {name} has no value and no default (pass --parameter {name}=VALUE "
                "or --parameters-file)")
            continue
        kind = str(spec.get("Type", "String"))
        if isinstance(value, str) and ("List<" in kind or kind == "CommaDelimitedList"):
            value = [v.strip() for v in value.split(",")]
        values[str(name)] = value if not isinstance(value, str) else str(value)
    return values


@dataclass
class Template:
    path: Path
    rel: str  # as findings show it
    body: dict[str, Any]
    ctx: Context


class Mapper:
    """Maps one template's resources into the live collectors' types and attribute names."""

    def __init__(self, template: Template) -> None:
        self.t = template
        self.ctx = template.ctx
        self.resources: dict[str, Any] = {
            str(k): v for k, v in (template.body.get("Resources") or {}).items()
            if isinstance(v, dict)}
        self.key_lines = {str(k): line_of(k) for k in (template.body.get("Resources") or {})}

    def of_type(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k, v) for k, v in self.resources.items() if v.get("Type") in types]

    def props(self, resource: dict[str, Any]) -> Any:
        return resource.get("Properties") or {}

    def loc(self, logical_id: str, resource: dict[str, Any], prop: str | None = None
            ) -> SourceLocation:
        line = self.key_lines.get(logical_id) or line_of(resource) or 1
        if prop is not None:
            for key in self.props(resource):
                if str(key) == prop and line_of(key):
                    return SourceLocation(self.t.rel, line_of(key) or line, line, prop)
        return SourceLocation(self.t.rel, line, line)

    def value(self, resource: dict[str, Any], *path: str, default: Any = None) -> Any:
        node: Any = self.props(resource)
        for part in path:
            node = self.ctx.resolve(node) if _is_intrinsic(node) else node
            if isinstance(node, Unknown):
                return node
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        resolved = self.ctx.resolve(node)
        return default if resolved is NOVALUE else resolved

    def created(self, resource: dict[str, Any]) -> Any:
        condition = resource.get("Condition")
        return True if condition is None else self.ctx.condition(str(condition))

    def tags(self, resource: dict[str, Any], prop: str = "Tags") -> Any:
        raw = self.value(resource, prop, default=None)
        if raw is None:
            return {}
        if isinstance(raw, Unknown):
            return raw
        if isinstance(raw, dict):
            return dict(raw)
        tags: dict[str, Any] = {}
        for item in raw:
            if isinstance(item, Unknown):
                return item
            if isinstance(item, dict) and "Key" in item:
                tags[str(item["Key"])] = item.get("Value", "")
        return tags

    def planned(self, logical_id: str, resource: dict[str, Any], type_name: str, name: Any,
                data: dict[str, Any], props: Mapping[str, str]) -> Planned:
        """``props``: attribute -> the template property it comes from (for its line)."""
        created = self.created(resource)
        if isinstance(created, Unknown):  # whether it exists at all is unknown: fail closed
            reason = Unknown(f"whether the resource is created depends on condition "
                             f"{resource.get('Condition')}: {created.reason}")
            data = {key: reason for key in PLANNABLE[type_name]}
        locations = {attr: self.loc(logical_id, resource, prop) for attr, prop in props.items()}
        display = name if isinstance(name, str) and name and not isinstance(name, Deferred) \
            else _cdk_name(resource) or logical_id
        return Planned(type_name, f"{self.t.rel}#{logical_id}", display, None, data,
                       self.loc(logical_id, resource), locations,
                       self.waivers(logical_id, resource))

    def waivers(self, logical_id: str, resource: dict[str, Any]) -> list[InlineWaiver]:
        metadata = resource.get("Metadata") or {}
        section = metadata.get("preflight") if isinstance(metadata, dict) else None
        entries = section.get("waive") if isinstance(section, dict) else None
        out = []
        for entry in entries or []:
            if not isinstance(entry, dict) or not entry.get("policy") or not entry.get("reason"):
                raise InputError([Problem(self.t.rel, line_of(entry) or self.key_lines.get(
                    logical_id), None, f"{logical_id}: Metadata.preflight.waive entries need "
                    "`policy` and `reason`")])
            out.append(InlineWaiver(str(entry["policy"]), str(entry["reason"]),
                                    SourceLocation(self.t.rel, line_of(entry) or
                                                   self.key_lines.get(logical_id) or 1),
                                    str(entry.get("owner", "")), str(entry.get("expires", ""))))
        return out

    # -- the types --------------------------------------------------------------------

    def run(self) -> list[Planned]:
        planned: list[Planned] = []
        for logical_id, resource in self.resources.items():
            if self.created(resource) is False:
                continue
            build = {
                "AWS::DynamoDB::Table": self.table,
                "AWS::S3::Bucket": self.bucket,
                "AWS::Cognito::UserPool": self.user_pool,
                "AWS::ApiGateway::Stage": self.rest_stage,
                "AWS::ApiGatewayV2::Stage": self.http_stage,
                "AWS::Lambda::Function": self.function,
            }.get(str(resource.get("Type")))
            if build is not None:
                planned.append(build(logical_id, resource))
        return planned

    def table(self, logical_id: str, r: dict[str, Any]) -> Planned:
        name = self.value(r, "TableName")
        pitr = as_bool(self.value(r, "PointInTimeRecoverySpecification",
                                  "PointInTimeRecoveryEnabled", default=False),
                       "PointInTimeRecoveryEnabled")
        throughput = self.value(r, "ProvisionedThroughput", default={}) or {}
        data = {
            "billing_mode": self.value(r, "BillingMode", default="PROVISIONED"),
            "provisioned_throughput": throughput if isinstance(throughput, Unknown) else {
                "read": as_number(throughput.get("ReadCapacityUnits"), "ReadCapacityUnits"),
                "write": as_number(throughput.get("WriteCapacityUnits"), "WriteCapacityUnits"),
            },
            "deletion_protection": as_bool(self.value(r, "DeletionProtectionEnabled",
                                                      default=False), "DeletionProtectionEnabled"),
            "pitr": pitr if isinstance(pitr, Unknown) else {
                "status": "ENABLED" if pitr else "DISABLED",
                "earliest_restorable_time": None, "latest_restorable_time": None},
            "autoscaling": self.table_autoscaling(logical_id, name),
            "tags": self.tags(r),
        }
        return self.planned(logical_id, r, DYNAMODB, name, data, {
            "billing_mode": "BillingMode", "provisioned_throughput": "ProvisionedThroughput",
            "deletion_protection": "DeletionProtectionEnabled",
            "pitr": "PointInTimeRecoverySpecification", "tags": "Tags"})

    def table_autoscaling(self, logical_id: str, table_name: Any) -> Any:
        """Joined from ScalableTargets whose ResourceId is table/<this table> (by Ref/Sub to
        it or by its name), and the ScalingPolicies attached to them."""
        scaling: dict[str, Any] = {"read": None, "write": None}
        for target_id, target in self.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
            if self.created(target) is False:
                continue
            raw_id = self.props(target).get("ResourceId")
            resource_id = self.ctx.resolve(raw_id)
            by_ref = logical_id in references(raw_id) and not str(resource_id).count("/index/")
            by_name = isinstance(table_name, str) and not isinstance(table_name, Deferred) \
                and resource_id == f"table/{table_name}"
            if not (by_ref or by_name):
                continue
            dimension = str(self.value(target, "ScalableDimension", default=""))
            direction = {"ReadCapacityUnits": "read", "WriteCapacityUnits": "write"}.get(
                dimension.rsplit(":", 1)[-1])
            if direction is None:
                continue
            policies = []
            for policy_id, policy in self.of_type("AWS::ApplicationAutoScaling::ScalingPolicy"):
                attached = target_id in references(self.props(policy).get("ScalingTargetId")) or (
                    self.value(policy, "ResourceId") == resource_id
                    and self.value(policy, "ScalableDimension") == dimension)
                if attached and self.created(policy) is not False:
                    policies.append({"name": self.value(policy, "PolicyName", default=policy_id),
                                     "type": self.value(policy, "PolicyType", default="")})
            scaling[direction] = {
                "min_capacity": as_number(self.value(target, "MinCapacity"), "MinCapacity"),
                "max_capacity": as_number(self.value(target, "MaxCapacity"), "MaxCapacity"),
                "policies": policies,
            }
        return scaling

    def bucket(self, logical_id: str, r: dict[str, Any]) -> Planned:
        data = {
            "versioning": self.value(r, "VersioningConfiguration", "Status", default="Disabled"),
            # CloudFormation cannot turn MFA delete on: a new bucket has it off.
            "mfa_delete": "Disabled",
            "tags": self.tags(r),
        }
        return self.planned(logical_id, r, S3, self.value(r, "BucketName"), data,
                            {"versioning": "VersioningConfiguration", "tags": "Tags"})

    def user_pool(self, logical_id: str, r: dict[str, Any]) -> Planned:
        data = {
            "mfa_configuration": self.value(r, "MfaConfiguration", default="OFF"),
            "deletion_protection": self.value(r, "DeletionProtection", default="INACTIVE"),
            "tags": self.tags(r, "UserPoolTags"),
        }
        return self.planned(logical_id, r, COGNITO, self.value(r, "UserPoolName"), data, {
            "mfa_configuration": "MfaConfiguration",
            "deletion_protection": "DeletionProtection", "tags": "UserPoolTags"})

    def _api(self, raw_api_id: Any) -> tuple[Any, Any, dict[str, Any] | None]:
        """(api id, api name, the API resource) of a stage's RestApiId/ApiId."""
        api_id = self.ctx.resolve(raw_api_id)
        for ref in references(raw_api_id):
            api = self.resources.get(ref)
            if api is not None:
                return api_id, self.value(api, "Name", default=ref), api
        return api_id, api_id, None

    def rest_stage(self, logical_id: str, r: dict[str, Any]) -> Planned:
        api_id, api_name, _ = self._api(self.props(r).get("RestApiId"))
        stage_name = self.value(r, "StageName", default=logical_id)
        settings = self.value(r, "MethodSettings", default=[]) or []
        method_settings: dict[str, Any] = {}
        if isinstance(settings, Unknown):
            method_settings = settings  # type: ignore[assignment]
        else:
            for s in settings:
                path = str(s.get("ResourcePath", "/*")).lstrip("/").replace("/", "~1") or "*"
                key = f"{path}/{s.get('HttpMethod', '*')}"
                method_settings[key] = {
                    "rate_limit": as_number(s.get("ThrottlingRateLimit"), "ThrottlingRateLimit"),
                    "burst_limit": as_number(s.get("ThrottlingBurstLimit"),
                                             "ThrottlingBurstLimit"),
                    "logging_level": s.get("LoggingLevel", "OFF"),
                    "metrics_enabled": as_bool(s.get("MetricsEnabled", False), "MetricsEnabled"),
                }
        default = method_settings.get("*/*", {}) if isinstance(method_settings, dict) \
            else method_settings
        web_acl = None
        for _, association in self.of_type("AWS::WAFv2::WebACLAssociation"):
            if logical_id in references(self.props(association).get("ResourceArn")):
                web_acl = self.value(association, "WebACLArn")
        data = {
            "api_id": api_id, "api_name": api_name, "stage_name": stage_name,
            "throttling": default if isinstance(default, Unknown) else {
                "rate_limit": default.get("rate_limit"), "burst_limit": default.get("burst_limit")},
            "logging_level": default if isinstance(default, Unknown)
            else default.get("logging_level", "OFF"),
            "metrics_enabled": default if isinstance(default, Unknown)
            else bool(default.get("metrics_enabled", False)),
            "method_settings": method_settings if isinstance(method_settings, Unknown) else {
                k: {"rate_limit": v["rate_limit"], "burst_limit": v["burst_limit"],
                    "logging_level": v["logging_level"]} for k, v in method_settings.items()},
            "tracing_enabled": as_bool(self.value(r, "TracingEnabled", default=False),
                                       "TracingEnabled"),
            "web_acl_arn": web_acl,
            "access_log_destination": self.value(r, "AccessLogSetting", "DestinationArn"),
            "tags": self.tags(r),
        }
        return self.planned(logical_id, r, REST_STAGE, f"{api_name}/{stage_name}", data, {
            "throttling": "MethodSettings", "logging_level": "MethodSettings",
            "metrics_enabled": "MethodSettings", "method_settings": "MethodSettings",
            "tracing_enabled": "TracingEnabled", "access_log_destination": "AccessLogSetting",
            "stage_name": "StageName", "tags": "Tags"})

    def http_stage(self, logical_id: str, r: dict[str, Any]) -> Planned:
        api_id, api_name, api = self._api(self.props(r).get("ApiId"))
        stage_name = self.value(r, "StageName", default=logical_id)
        route = self.value(r, "DefaultRouteSettings", default={}) or {}
        data = {
            "api_id": api_id, "api_name": api_name, "stage_name": stage_name,
            "protocol_type": self.value(api, "ProtocolType") if api is not None else None,
            "throttling": route if isinstance(route, Unknown) else {
                "rate_limit": as_number(route.get("ThrottlingRateLimit"), "ThrottlingRateLimit"),
                "burst_limit": as_number(route.get("ThrottlingBurstLimit"),
                                         "ThrottlingBurstLimit")},
            "access_log_destination": self.value(r, "AccessLogSettings", "DestinationArn"),
            "tags": self.tags(r),
        }
        return self.planned(logical_id, r, HTTP_STAGE, f"{api_name}/{stage_name}", data, {
            "throttling": "DefaultRouteSettings", "access_log_destination": "AccessLogSettings",
            "stage_name": "StageName", "tags": "Tags"})

    def function(self, logical_id: str, r: dict[str, Any]) -> Planned:
        reserved = self.value(r, "ReservedConcurrentExecutions")
        data = {
            "timeout": as_number(self.value(r, "Timeout", default=3), "Timeout"),
            "memory_size": as_number(self.value(r, "MemorySize", default=128), "MemorySize"),
            "runtime": self.value(r, "Runtime"),
            "package_type": self.value(r, "PackageType", default="Zip"),
            "architectures": self.value(r, "Architectures", default=["x86_64"]),
            "reserved_concurrency": as_number(reserved, "ReservedConcurrentExecutions"),
            "tags": self.tags(r),
            "api_integrations": self.integrations(logical_id),
        }
        return self.planned(logical_id, r, LAMBDA, self.value(r, "FunctionName"), data, {
            "timeout": "Timeout", "memory_size": "MemorySize", "runtime": "Runtime",
            "reserved_concurrency": "ReservedConcurrentExecutions", "tags": "Tags",
            "package_type": "PackageType", "architectures": "Architectures"})

    def integrations(self, function_id: str) -> list[dict[str, Any]]:
        """REST methods and HTTP API integrations whose URI names this function."""
        found = []
        for method_id, method in self.of_type("AWS::ApiGateway::Method"):
            integration = self.props(method).get("Integration") or {}
            if not isinstance(integration, dict) or \
                    function_id not in references(integration.get("Uri")):
                continue
            timeout = as_number(self.value(method, "Integration", "TimeoutInMillis",
                                           default=29000), "TimeoutInMillis")
            found.append({
                "api_type": "REST", "api_id": self.ctx.resolve(self.props(method).get("RestApiId")),
                "path": self.rest_path(self.props(method).get("ResourceId")),
                "method": self.value(method, "HttpMethod", default=method_id),
                "timeout_ms": timeout,
                "timeout_seconds": timeout / 1000 if isinstance(timeout, (int, float)) else timeout,
            })
        for _, integration in self.of_type("AWS::ApiGatewayV2::Integration"):
            if function_id not in references(self.props(integration).get("IntegrationUri")):
                continue
            _, _, api = self._api(self.props(integration).get("ApiId"))
            timeout = as_number(self.value(integration, "TimeoutInMillis", default=30000),
                                "TimeoutInMillis")
            found.append({
                "api_type": self.value(api, "ProtocolType", default="HTTP") if api else "HTTP",
                "api_id": self.ctx.resolve(self.props(integration).get("ApiId")),
                "path": None, "method": None, "timeout_ms": timeout,
                "timeout_seconds": timeout / 1000 if isinstance(timeout, (int, float)) else timeout,
            })
        return found

    def rest_path(self, raw_resource_id: Any) -> str | None:
        """/orders/{id} from a chain of AWS::ApiGateway::Resource PathParts."""
        parts: list[str] = []
        node = raw_resource_id
        for _ in range(32):
            refs = [r for r in references(node) if r in self.resources]
            if not refs:  # the API's root resource (!GetAtt Api.RootResourceId)
                return "/" + "/".join(reversed(parts))
            resource = self.resources[refs[0]]
            if resource.get("Type") != "AWS::ApiGateway::Resource":
                return "/" + "/".join(reversed(parts))
            parts.append(str(self.value(resource, "PathPart", default="")))
            node = self.props(resource).get("ParentId")
        return None


def _is_intrinsic(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and (
        "Ref" in node or next(iter(node)).startswith("Fn::"))


def _cdk_name(resource: dict[str, Any]) -> str | None:
    metadata = resource.get("Metadata") or {}
    path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    return str(path) if path else None


def nested_asset(resource: dict[str, Any], template_dir: Path) -> Path | None:
    """The local template a nested stack (AWS::CloudFormation::Stack) deploys: CDK's
    ``aws:asset:path`` metadata, or a TemplateURL that is a path next to the template."""
    metadata = resource.get("Metadata") or {}
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    candidates = [asset] if asset else []
    url = (resource.get("Properties") or {}).get("TemplateURL")
    if isinstance(url, str) and "://" not in url:
        candidates.append(url)
    for candidate in candidates:
        path = (template_dir / str(candidate))
        if path.is_file():
            return path
    return None
