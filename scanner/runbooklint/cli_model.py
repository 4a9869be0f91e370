"""The AWS CLI's view of botocore's API models: services, operations and their options.

The CLI builds its commands from the same JSON models botocore ships: an operation is the
kebab-case of its API name (botocore's ``xform_name``), an option the ``--kebab-case`` of an
input member, a boolean member both ``--flag`` and ``--no-flag``; paginated operations gain
``--starting-token``/``--max-items``/``--page-size``; every command takes the global options.
What the CLI adds or renames by hand is in customizations.py. Models load lazily, once per
service, so linting a runbook reads only the services it calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore import xform_name
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from . import customizations as custom

# Options every command accepts, and whether each takes a value.
GLOBAL_OPTIONS: Mapping[str, bool] = {
    "query": True, "output": True, "region": True, "profile": True, "endpoint-url": True,
    "color": True, "ca-bundle": True, "cli-read-timeout": True, "cli-connect-timeout": True,
    "cli-binary-format": True, "cli-input-json": True, "cli-input-yaml": True,
    "generate-cli-skeleton": True, "debug": False, "no-paginate": False, "no-verify-ssl": False,
    "no-sign-request": False, "no-cli-pager": False, "cli-auto-prompt": False,
    "no-cli-auto-prompt": False, "version": False, "v2-debug": False,
}
# Global options whose value the CLI checks against a fixed list.
GLOBAL_CHOICES: Mapping[str, tuple[str, ...]] = {
    "output": ("json", "text", "table", "yaml", "yaml-stream"),
    "color": ("on", "off", "auto"),
    "cli-binary-format": ("base64", "raw-in-base64-out"),
    "generate-cli-skeleton": ("input", "output", "yaml-input"),
}
GLOBAL_INTEGERS = frozenset({"cli-read-timeout", "cli-connect-timeout"})
PAGING_OPTIONS = ("starting-token", "max-items", "page-size")


@dataclass(frozen=True)
class Option:
    name: str  # without the leading dashes
    shape: Shape | None  # the input member's shape; None for options the CLI adds
    takes_value: bool = True
    member: str = ""  # the API member it sets (booleans: --x and --no-x set the same one)
    optional_value: bool = False  # ec2's --flag [Value=true]


@dataclass(frozen=True)
class Operation:
    service: str  # the CLI's names
    name: str
    api_name: str
    options: Mapping[str, Option]
    required: tuple[str, ...]  # members, named by their option (a boolean: --x or --no-x)
    streaming_output: bool  # takes one positional argument: the file to write
    documented: tuple[str, ...]  # option names to suggest (excludes hidden paging tokens)


@cache
def _loader() -> Loader:
    return Loader()


@cache
def botocore_services() -> frozenset[str]:
    return frozenset(_loader().list_available_services("service-2"))


@cache
def cli_services() -> tuple[str, ...]:
    """Every service name the CLI accepts after ``aws``."""
    names = {custom.CLI_SERVICE_NAMES.get(name, name) for name in botocore_services()}
    names.update(custom.SERVICE_ALIASES, custom.HIGH_LEVEL_SERVICES)
    return tuple(sorted(names))


def botocore_name(cli_service: str) -> str | None:
    if cli_service in custom.CLI_SERVICE_NAMES:
        return None  # `aws config`: the CLI calls it configservice
    name = custom.SERVICE_ALIASES.get(cli_service, cli_service)
    name = custom.BOTOCORE_SERVICE_NAMES.get(name, name)
    return name if name in botocore_services() else None


@cache
def service_model(cli_service: str) -> ServiceModel | None:
    name = botocore_name(cli_service)
    if name is None:
        return None
    return ServiceModel(_loader().load_service_model(name, "service-2"), name)


@cache
def _extra(cli_service: str, kind: str) -> dict[str, Any]:
    name = botocore_name(cli_service)
    if name is None:
        return {}
    try:
        model: dict[str, Any] = _loader().load_service_model(name, kind)
    except DataNotFoundError:  # most services have no paginators, many no waiters
        return {}
    return model


@cache
def operation_names(cli_service: str) -> Mapping[str, str]:
    """The CLI's operation names (kebab-case) -> the API's."""
    model = service_model(cli_service)
    if model is None:
        return {}
    return {xform_name(op, "-"): op for op in model.operation_names}


@cache
def waiters(cli_service: str) -> Mapping[str, str]:
    """``aws SERVICE wait NAME`` -> the API operation the waiter polls."""
    found = _extra(cli_service, "waiters-2").get("waiters", {})
    return {xform_name(name, "-"): spec["operation"] for name, spec in found.items()}


def _paginator(cli_service: str, api_name: str) -> dict[str, Any] | None:
    pages: dict[str, Any] | None = _extra(cli_service, "paginators-1").get(
        "pagination", {}).get(api_name)
    return pages


@cache
def operation(cli_service: str, cli_name: str) -> Operation | None:
    model = service_model(cli_service)
    api_name = operation_names(cli_service).get(cli_name)
    if model is None or api_name is None:
        return None
    op: OperationModel = model.operation_model(api_name)
    shape = op.input_shape
    members: Mapping[str, Shape] = shape.members if shape is not None else {}
    required_members = set(shape.required_members) if shape is not None else set()
    renames = custom.renamed(cli_service, cli_name)
    options: dict[str, Option] = {}
    required: list[str] = []
    for member, member_shape in members.items():
        name = xform_name(member, "-")
        if member_shape.type_name == "boolean":
            names = [(name, False), ("no-" + name, False)]
        elif cli_service == "ec2" and _boolean_value(member_shape):
            # ec2's {"Value": true} structures: --flag, --no-flag or --flag Value=true
            names = [(name, True), ("no-" + name, False)]
        else:
            names = [(name, True)]
        for option_name, takes_value in names:
            option_name = renames.get(option_name, option_name)
            options[option_name] = Option(option_name, member_shape, takes_value, member,
                                          optional_value=takes_value and len(names) > 1)
        if member in required_members and not member_shape.metadata.get("idempotencyToken"):
            required.append(renames.get(name, name))
    hidden = _add_paging(options, _paginator(cli_service, api_name))
    for alias, canonical in custom.OPTION_ALIASES.get(cli_service, {}).items():
        if canonical in options:
            options[alias] = options[canonical]
            hidden.add(alias)
    for name, takes_value in custom.EXTRA_OPTIONS.get((cli_service, cli_name), {}).items():
        options.setdefault(name, Option(name, None, takes_value))
    relaxed = custom.NOT_REQUIRED.get((cli_service, cli_name), frozenset())
    return Operation(cli_service, cli_name, api_name, options,
                     tuple(r for r in required if r not in relaxed),
                     op.has_streaming_output or op.has_event_stream_output,
                     tuple(n for n in options if n not in hidden))


def _boolean_value(shape: Shape) -> bool:
    members = getattr(shape, "members", {})
    return list(members) == ["Value"] and members["Value"].type_name == "boolean"


def _add_paging(options: dict[str, Option], pages: dict[str, Any] | None) -> set[str]:
    """Add the CLI's paging options; return the API's paging members, which it hides."""
    if pages is None:
        return set()
    tokens = pages.get("input_token", [])
    hidden = {xform_name(t, "-") for t in ([tokens] if isinstance(tokens, str) else tokens)}
    if "limit_key" in pages:
        hidden.add(xform_name(pages["limit_key"], "-"))
    for name in PAGING_OPTIONS:
        if name != "page-size" or "limit_key" in pages:
            options[name] = Option(name, None, True)  # shadows a member of the same name
    return hidden
