"""Values of a planned resource that are not plain data.

- ``Unknown``: cannot be known before deployment (a CloudFormation parameter without a value
  or default, an import from another stack, Terraform's "known after apply"). An attribute
  computed from one is *unreadable*: a policy reading it yields an ``error`` finding.
- ``Deferred``: a string that will exist once deployed but whose exact text is not known
  now (the ARN of another resource in the same template, the stack name). It is a ``str``,
  so "is it set?" checks answer yes; a numeric or boolean attribute made of one is unknown.
"""

from __future__ import annotations

from typing import Any


class Unknown:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __str__(self) -> str:
        """How a report shows it, wherever it is formatted into text (a stage named after a
        parameter without a value, a message quoting an unresolved value): as unknown, with
        why, never as this class's representation."""
        return f"(unknown: {self.reason})"


class Deferred(str):
    """A value fixed at deployment, e.g. ``${OrdersTable.Arn}``."""


def first_unknown(value: Any) -> Unknown | None:
    """The first Unknown anywhere inside ``value``, or None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for item in value.values():
            found = first_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = first_unknown(item)
            if found is not None:
                return found
    return None


def plain(value: Any) -> Any:
    """Deferred strings as ordinary str (for the document policies read)."""
    if isinstance(value, Deferred):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def as_bool(value: Any, what: str) -> Any:
    """CloudFormation accepts booleans as "true"/"false" strings too."""
    if isinstance(value, (Unknown, bool)) or value is None:
        return value
    if isinstance(value, Deferred):
        return Unknown(f"{what} is {value}, known only after deployment")
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unknown(f"{what} is {value!r}, not a boolean")


def as_number(value: Any, what: str) -> Any:
    if isinstance(value, Unknown) or value is None:
        return value
    if isinstance(value, bool):
        return Unknown(f"{what} is {value!r}, not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Deferred):
        return Unknown(f"{what} is {value}, known only after deployment")
    try:
        number = float(str(value))
    except ValueError:
        return Unknown(f"{what} is {value!r}, not a number")
    return int(number) if number.is_integer() else number
