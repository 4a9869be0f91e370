"""A loaded, validated policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..models import Account, Severity
from .conditions import Condition, root_attributes
from .messages import Messages


@dataclass(frozen=True)
class Scope:
    """Where a policy applies. ``None`` means "everywhere" for that dimension."""

    environments: frozenset[str] | None = None
    accounts: frozenset[str] | None = None  # ids or names
    regions: frozenset[str] | None = None
    tags: Mapping[str, frozenset[str]] = field(default_factory=dict)  # "*" = any value

    @property
    def needs_tags(self) -> bool:
        return bool(self.tags)

    def covers_place(self, account: Account, region: str, environment: str | None) -> bool:
        """Account, region and environment match (tags are judged per resource).

        ``environment=None`` means it is not known (a resource's environment tag could not
        be read): only account and region can then rule the policy out.
        """
        return (
            (self.environments is None or environment is None
             or environment in self.environments)
            and (self.accounts is None or bool({account.id, account.name} & self.accounts))
            and (self.regions is None or region in self.regions)
        )

    def covers_tags(self, tags: Mapping[str, str]) -> bool:
        for key, allowed in self.tags.items():
            if key not in tags or ("*" not in allowed and tags[key] not in allowed):
                return False
        return True

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Scope:
        raw = raw or {}

        def names(key: str) -> frozenset[str] | None:
            values = raw.get(key)
            if values is None or "*" in values:
                return None
            return frozenset(str(v) for v in values)

        tags = {
            str(k): frozenset([str(v)] if not isinstance(v, list) else [str(x) for x in v])
            for k, v in (raw.get("tags") or {}).items()
        }
        return cls(names("environments"), names("accounts"), names("regions"), tags)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("environments", "accounts", "regions"):
            value = getattr(self, key)
            if value is not None:
                out[key] = sorted(value)
        if self.tags:
            out["tags"] = {k: sorted(v) for k, v in sorted(self.tags.items())}
        return out


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    description: str = ""


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    description: str
    severity: Severity
    resources: tuple[str, ...]
    scope: Scope
    check: Condition
    runbook: str
    remediation: tuple[str, ...] = ()
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unmapped: str = ""  # why no framework control maps to it, when none does
    categories: tuple[str, ...] = ()
    source: str = ""
    messages: Messages = field(default_factory=Messages)

    def attributes(self) -> set[str]:
        """Top-level attributes the check reads: what the collector must fetch."""
        roots: set[str] = set()
        for expression in self.check.expressions():
            roots |= root_attributes(expression)
        return roots

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.parameters.items()}
