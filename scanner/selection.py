"""Which loaded policies a run evaluates: --check, --exclude-check, --severity, --category,
--framework; and the policy ids a config or a waivers file may name.

A name that matches nothing is a mistake to report (exit 2, with the closest name), never a
silently smaller scan.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from .errors import PreflightError
from .models import Severity
from .policy.model import Policy
from .suggest import did_you_mean


class SelectionError(PreflightError):
    """A --check, --category or --framework names nothing that is loaded (exit 2)."""


@dataclass(frozen=True)
class Selection:
    checks: tuple[str, ...] = ()  # only these ids (empty: all)
    excluded: tuple[str, ...] = ()
    min_severity: Severity | None = None
    categories: tuple[str, ...] = ()  # any of these (empty: all)
    frameworks: tuple[str, ...] = ()  # mapped to any of these (empty: all)

    def keeps(self, policy: Policy) -> bool:
        return ((not self.checks or policy.id in self.checks)
                and policy.id not in self.excluded
                and (self.min_severity is None or policy.severity.rank >= self.min_severity.rank)
                and (not self.categories or bool(set(self.categories) & set(policy.categories)))
                and (not self.frameworks or bool(set(self.frameworks) & set(policy.frameworks))))


def select(policies: Sequence[Policy], selection: Selection) -> list[Policy]:
    """The policies the selection keeps; every name it uses must exist among ``policies``."""
    ids = {p.id for p in policies}
    problems = [f"{option} {name!r}: no loaded policy has this id{did_you_mean(name, ids)}"
                for option, names in (("--check", selection.checks),
                                      ("--exclude-check", selection.excluded))
                for name in names if name not in ids]
    problems += _unknown("--category", selection.categories,
                         {c for p in policies for c in p.categories})
    problems += _unknown("--framework", selection.frameworks,
                         {f for p in policies for f in p.frameworks})
    if problems:
        raise SelectionError("; ".join(problems))
    kept = [p for p in policies if selection.keeps(p)]
    if not kept:
        raise SelectionError("no loaded policy matches --check/--exclude-check/--severity/"
                             "--category/--framework together; `preflight policies` lists "
                             "them with their severity, categories and frameworks")
    return kept


def _unknown(option: str, names: Iterable[str], known: Collection[str]) -> list[str]:
    listed = ", ".join(sorted(known)) or "none"
    return [f"{option} {name!r}: no loaded policy has it{did_you_mean(name, known)} "
            f"(known: {listed})" for name in names if name not in known]


def known_policy_ids(loaded: Iterable[Policy]) -> set[str]:
    """Every id a config or waivers file may name: the loaded policies' and the built-in
    pack's (an override for a built-in policy left out by --policies is not a typo)."""
    from .policy import load_policies

    return {p.id for p in loaded} | {p.id for p in load_policies(None)}
