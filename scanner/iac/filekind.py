"""What kind of infrastructure file a file is, judged by its content, or why it is none.

A CloudFormation template (YAML or JSON whose Resources hold typed resources) or a Terraform
plan (the JSON of ``terraform show -json plan.out``), whatever the file is called; anything
else gets the reason it was not read and what was expected instead. Kept apart from
discover.py, which decides which paths to look at: this looks inside one file.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..yamlfile import parse_json

_EXPECTED = ("expected a CloudFormation template (YAML or JSON whose Resources hold AWS:: "
            "types) or a Terraform plan (the JSON of `terraform show -json plan.out`)")
CONVERT_PLAN = "terraform plan -out plan.out && terraform show -json plan.out > plan.json"
_JSON_SYNTAX = "not valid JSON: "  # parse_json's message for text that is not JSON at all
_PLAN_KEY = re.compile(r'"(?:resource_changes|planned_values)"\s*:')
_RESOURCES_KEY = re.compile(r'"Resources"\s*:')


# A YAML text that does not parse but looks like a template is still read as one, so that
# cfn-lint reports its error at file:line instead of the file being skipped.
_LOOKS_LIKE_TEMPLATE = re.compile(r"^\s*Resources:\s*(?:#.*)?$(?s:.*)^\s+Type:\s*['\"]?"
                                  r"[A-Za-z0-9]+::", re.MULTILINE)


def kind_of(path: Path) -> str | None:
    """"cloudformation", "terraform" or None (not an infrastructure file), by parsing the
    content, not by its layout (a document indented under ``---`` is a template too): a file
    whose first character is ``{`` is read as JSON whatever its suffix, any other as YAML."""
    text = read_text(path)
    if text is None:
        return None
    if text.lstrip().startswith("{"):
        try:
            document = parse_json(str(path), text)
        except InputError as exc:
            # JSON that parses but is refused (nesting, a huge number, a duplicate key) is
            # read as what it looks like, so that its reader reports why at file:line.
            return None if exc.problems[0].message.startswith(_JSON_SYNTAX) else _sniff(text)
        if isinstance(document, dict) and ("resource_changes" in document or (
                "planned_values" in document and "format_version" in document)):
            return "terraform"
        return "cloudformation" if _is_template(document) else None
    document, parsed = _yaml(text)
    if not parsed:
        return "cloudformation" if _LOOKS_LIKE_TEMPLATE.search(text) else None
    return "cloudformation" if _is_template(document) else None


def _sniff(text: str) -> str | None:
    """The kind of a JSON file that parse_json refuses, from its keys."""
    if _PLAN_KEY.search(text):
        return "terraform"
    return "cloudformation" if _RESOURCES_KEY.search(text) else None


def _yaml(text: str) -> tuple[Any, bool]:
    """The YAML document as cfn-lint reads templates (short intrinsic tags included), and
    whether it parsed."""
    from cfnlint.decode import decode_str

    try:
        document, matches = decode_str(text)
    except Exception:  # cfn-lint's parser raises more than its own errors
        return None, False
    return document, not matches


def _is_template(document: Any) -> bool:
    """Whether Resources holds a typed resource, a transform or a loop (not any YAML map)."""
    resources = document.get("Resources") if isinstance(document, dict) else None
    return isinstance(resources, dict) and any(
        (isinstance(r, dict) and "Type" in r)
        or str(k) == "Fn::Transform" or str(k).startswith("Fn::ForEach::")
        for k, r in resources.items())


def read_text(path: Path) -> str | None:
    """The file's text (a UTF-8 byte-order mark dropped), or None if it is not UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def not_infrastructure(path: Path, raw: str) -> Problem:
    """Why a file named on the command line is not read, and what was expected instead."""
    if path.suffix.lower() == ".tf":
        return Problem(raw, None, None, f"Terraform source is not read: {_EXPECTED}",
                       f"pass its plan: {CONVERT_PLAN}")
    text = read_text(path)
    if text is None:
        return Problem(raw, None, None, f"not a UTF-8 text file: {_EXPECTED}",
                       "a binary plan from `terraform plan -out` converts with "
                       "`terraform show -json plan.out > plan.json`")
    if text.lstrip().startswith("{"):
        try:
            parse_json(raw, text)
        except InputError as exc:
            first = exc.problems[0]
            syntax = first.message.removeprefix(_JSON_SYNTAX)
            message = f"invalid JSON ({syntax})" if syntax != first.message else first.message
            return dataclasses.replace(first, message=f"{message}: {_EXPECTED}")
    else:
        invalid = _yaml_problem(raw, text)
        if invalid is not None:
            return invalid
    return Problem(raw, None, None, f"content not recognised: {_EXPECTED}")


def _yaml_problem(raw: str, text: str) -> Problem | None:
    """The first error cfn-lint's YAML reader finds, at its line; None if it reads."""
    from cfnlint.decode import decode_str

    try:
        _, matches = decode_str(text)
    except Exception as exc:  # cfn-lint's parser raises more than its own
        return Problem(raw, None, None, f"invalid YAML ({exc}): {_EXPECTED}")
    if not matches:
        return None
    first = matches[0]
    return Problem(raw, getattr(first, "linenumber", None), None,
                   f"invalid YAML ({getattr(first, 'message', first)}): {_EXPECTED}")
