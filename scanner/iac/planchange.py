"""One resource of a Terraform plan, and what the plan's ``configuration`` section says of it.

``Change`` is one ``resource_changes[]`` entry that exists after the apply: its planned values
(``change.after``, with what ``change.after_unknown`` marks "known after apply" read as
``Unknown``) and the references its .tf expressions make, which join related resources when
their values are unknown. Kept apart from terraform.py, which reads the plan file and
locates its resources: the mappings read a ``Change`` and need nothing of how the plan was
loaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .values import Unknown

_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]')


@dataclass(frozen=True)
class Configured:
    """What the plan's ``configuration`` section says of one resource block."""

    references: dict[str, set[str]]  # argument -> the addresses its expression reads
    arguments: frozenset[str]  # the arguments and blocks the .tf sets
    default_tags: Any = None  # the provider's default_tags: a map, Unknown, or None


@dataclass
class Change:
    """One ``resource_changes[]`` entry that exists after the apply."""

    address: str
    type: str
    name: str
    module: str  # the module instance ("" at the root), e.g. module.app["blue"]
    index: Any  # count/for_each key, None without
    after: dict[str, Any]
    unknown: Any  # after_unknown: a map of the same shape, or True for all of it
    configured: Configured | None = None  # None: the plan has no configuration section

    @property
    def module_path(self) -> str:
        """The module without instance keys: where its configuration (and .tf files) are."""
        return _INSTANCE_KEY.sub("", self.module)

    @property
    def references(self) -> dict[str, set[str]]:
        return self.configured.references if self.configured else {}

    def sets(self, argument: str) -> bool | None:
        """Whether the .tf sets ``argument`` (None: the plan does not say)."""
        return None if self.configured is None else argument in self.configured.arguments

    def get(self, *path: str | int, default: Any = None) -> Any:
        """The planned value at ``path``; Unknown when known after apply, except an unset
        top-level argument the provider computes (``architectures``...), which takes the
        provider's default."""
        value: Any = self.after
        unknown: Any = self.unknown
        for part in path:
            if unknown is True:
                break
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
            if path and self.sets(str(path[0])) is False:
                return default
            return Unknown(f"{self.address}: {'.'.join(map(str, path))} is known after apply")
        return value

    def block(self, name: str) -> Change:
        """The first nested block (Terraform writes blocks as one-element lists); a block
        known only after apply is unknown throughout, unless the .tf leaves it unset (the
        provider's defaults apply)."""
        unknown = self.unknown.get(name) if isinstance(self.unknown, dict) else None
        if unknown is True and self.sets(name) is False:
            unknown = None
        if unknown is True:
            return Change(f"{self.address}.{name}", self.type, self.name, self.module,
                          self.index, {}, True)
        value = self.get(name, 0)
        first_unknown = unknown[0] if isinstance(unknown, list) and unknown else {}
        return Change(self.address, self.type, self.name, self.module, self.index,
                      value if isinstance(value, dict) else {},
                      first_unknown if isinstance(first_unknown, dict) else {})

    def refers_to_change(self, argument: str, other: Change) -> bool:
        """Whether the .tf expression of ``argument`` reads ``other``: the same module
        instance (a module's references are relative to it) and, when the reference names a
        literal instance (``aws_x.y[0]``, ``aws_x.y["k"]``), that instance."""
        if self.module != other.module:
            return False
        base = f"{other.type}.{other.name}"
        named: set[str] = set()
        found = False
        for ref in self.references.get(argument, ()):
            if ref == base or ref.startswith(base + "."):
                found = True
            elif ref.startswith(base + "["):
                key = _INSTANCE_KEY.match(ref, len(base))
                if key is not None:
                    found = True
                    if _literal_key(key.group(0)):
                        named.add(key.group(0))
        return found and (not named or _key(other.index) in named)


def _literal_key(key: str) -> bool:
    return key.startswith('["') or key[1:-1].isdigit()


def _key(index: Any) -> str:
    return "" if index is None else f"[{json.dumps(index)}]"


def read_configuration(plan: dict[str, Any]) -> dict[str, Configured]:
    """Per resource block ("module.app.aws_x.y", instance keys left out): its references,
    the arguments it sets and its provider's default tags."""
    configuration = plan.get("configuration") or {}
    providers = configuration.get("provider_config") or {}
    out: dict[str, Configured] = {}

    def walk(module: dict[str, Any], prefix: str) -> None:
        for resource in module.get("resources") or []:
            expressions = resource.get("expressions") or {}
            provider = providers.get(resource.get("provider_config_key", "")) or {}
            out[prefix + resource.get("address", "")] = Configured(
                {arg: set(_references(e)) for arg, e in expressions.items()},
                frozenset(expressions), _default_tags(provider))
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{prefix}module.{name}.")

    walk(configuration.get("root_module") or {}, "")
    return out


def _default_tags(provider: dict[str, Any]) -> Any:
    blocks = (provider.get("expressions") or {}).get("default_tags") or []
    if not blocks:
        return None
    tags = (blocks[0] or {}).get("tags") or {}
    if "constant_value" in tags:
        return dict(tags["constant_value"] or {})
    return Unknown("the provider's default_tags are computed")


def _references(expression: Any) -> list[str]:
    found: list[str] = []
    if isinstance(expression, dict):
        listed = expression.get("references")
        found.extend(str(r) for r in (listed if isinstance(listed, list) else ()))
        for value in expression.values():
            if isinstance(value, (dict, list)):
                found.extend(_references(value))
    elif isinstance(expression, list):
        for item in expression:
            found.extend(_references(item))
    return found


def change_of(entry: dict[str, Any], after: Any, unknown: Any,
              configured: dict[str, Configured] | None) -> Change:
    """The ``Change`` of one ``resource_changes[]`` entry (or a deferred one's), with its
    block's configuration when the plan has that section."""
    module = str(entry.get("module_address") or "")
    key = (_INSTANCE_KEY.sub("", module) + "." if module else "") + \
        f"{entry['type']}.{entry['name']}"
    return Change(entry["address"], entry["type"], entry["name"], module, entry.get("index"),
                  after, unknown, configured.get(key) if configured is not None else None)
