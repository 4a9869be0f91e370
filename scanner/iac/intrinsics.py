"""CloudFormation's intrinsic functions and conditions, evaluated before deployment.

Resolved against the parameters supplied (or their defaults), the template's Mappings and
Conditions and the pseudo parameters. What cannot be known before deployment becomes
``Unknown`` (a parameter without a value, Fn::ImportValue) or ``Deferred`` (another
resource's Ref/GetAtt: it will exist, its text is not known now).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .values import Deferred, Unknown, first_unknown, plain

NOVALUE = object()
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


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
                default = arg[3] if len(arg) > 3 and isinstance(arg[3], dict) else {}
                if "DefaultValue" in default:  # AWS::LanguageExtensions
                    return self.resolve(default["DefaultValue"])
                return Unknown(f"!FindInMap {keys} is not in the template's Mappings")
        if fn == "Fn::Length":  # AWS::LanguageExtensions
            items = self.resolve(arg)
            if isinstance(items, list):
                return len(items)
            return items if isinstance(items, Unknown) else Unknown(
                f"Fn::Length of {items!s}, known only after deployment")
        if fn == "Fn::ToJsonString":  # AWS::LanguageExtensions
            value = self.resolve(arg)
            unknown = first_unknown(value)
            if unknown is not None:
                return unknown
            text = json.dumps(plain(value), separators=(",", ":"))
            return Deferred(text) if _has_deferred(value) else text
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


def _has_deferred(value: Any) -> bool:
    if isinstance(value, Deferred):
        return True
    if isinstance(value, dict):
        return any(_has_deferred(v) for v in value.values())
    return isinstance(value, list) and any(_has_deferred(v) for v in value)


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


def parameter_values(template: Mapping[str, Any], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared parameter: the supplied value, else its Default, else Unknown. A value
    a parent stack passes may itself be Unknown or Deferred, and stays so."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        kind = str(spec.get("Type", "String"))
        if name in supplied:
            value: Any = supplied[name]
        elif kind.startswith("AWS::SSM::Parameter::Value<"):
            value = Unknown(f"parameter {name} is read from SSM parameter "
                            f"{spec.get('Default', '(no default)')} at deployment (pass "
                            f"--parameter {name}=VALUE with the value it holds)")
        elif "Default" in spec:
            value = spec["Default"]
        else:
            value = Unknown(f"parameter {name} has no value and no default (pass "
                            f"--parameter {name}=VALUE or --parameters-file)")
        if isinstance(value, (Unknown, Deferred)):
            values[str(name)] = value
        elif isinstance(value, str) and ("List<" in kind or kind == "CommaDelimitedList"):
            values[str(name)] = [v.strip() for v in value.split(",")]
        else:
            values[str(name)] = str(value) if isinstance(value, str) else value
    return values


def is_intrinsic(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and (
        "Ref" in node or next(iter(node)).startswith("Fn::"))
