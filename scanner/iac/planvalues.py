"""Reading a planned Terraform value the way the AWS provider means it: tags with the
provider's default_tags, -1 for "not set", an id known only after apply that names another
resource. Shared by the Terraform mappings; kept apart from terraform.py (which reads plans)
so the mappings and the plan reader do not import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .values import Deferred, Unknown

if TYPE_CHECKING:
    from .planchange import Change


def tags(c: Change) -> Any:
    """tags_all (provider default_tags included) when the plan has it, else tags."""
    value = c.get("tags_all")
    if value is None or (isinstance(value, dict) and not value):
        value = c.get("tags", default={})
    if isinstance(value, Unknown) or value is None:
        return value if value is not None else {}
    if not isinstance(value, dict):  # a provider writes a map: never read a wrong type as none
        return Unknown(f"{c.address}: tags is {type(value).__name__}, not a map")
    return dict(value)


def unset(value: Any) -> Any:
    """The AWS provider writes -1 for "not set" (throttling limits, reserved concurrency)."""
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0 \
        else value


def deferred(c: Change, argument: str, value: Any) -> Any:
    """An id or ARN known only after apply, of a resource the .tf names (``rest_api_id =
    aws_api_gateway_rest_api.orders.id``): it will be set, so it is a Deferred string
    ("is it set?" answers yes), not an Unknown that would make the whole attribute
    unreadable. Without such a reference it stays Unknown."""
    if not isinstance(value, Unknown):
        return value
    named = sorted((r for r in c.references.get(argument, ()) if not r.startswith(
        ("var.", "local.", "each.", "count."))), key=len, reverse=True)
    return Deferred("${" + named[0] + "}") if named else value


def known(value: Any) -> Any:
    return None if isinstance(value, Unknown) or value in ("", None) else value
