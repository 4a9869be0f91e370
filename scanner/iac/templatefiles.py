"""CloudFormation template files on disk: decoding one, and finding the local template a
nested stack deploys.

Decoding goes through cfn-lint (``cfnlint.decode.decode``), which understands the short
intrinsic tags (``!Ref``, ``!Sub``...) and keeps every node's line; a JSON template goes
through the bounded JSON loader first. Kept apart from cloudformation.py so that both the
stack reader and the gap finder (templategaps.py) can ask where a nested template is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..yamlfile import parse_json
from . import sam

STACK = "AWS::CloudFormation::Stack"
NESTED = (STACK, sam.APPLICATION)  # a template deploying another: read through it


def decode(path: Path) -> dict[str, Any]:
    """The template with line-carrying nodes; a template cfn-lint cannot parse is an input
    error naming file:line."""
    from cfnlint.decode import decode as cfn_decode

    _check_json(path)
    template: dict[str, Any] | None
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


def _check_json(path: Path) -> None:
    """A JSON template through the bounded JSON loader first: cfn-lint's JSON decoder
    recurses once per level (RecursionError) and converts any integer (ValueError past
    Python's int-string limit). Its YAML loader bounds nesting, aliases and integers itself."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return  # cfn-lint reports an unreadable file itself
    if text.lstrip().startswith("{"):
        parse_json(str(path), text)


def nested_asset(resource: Mapping[str, Any], template_dir: Path) -> Path | None:
    """The local template a nested stack (AWS::CloudFormation::Stack) or a SAM application
    deploys: CDK's ``aws:asset:path`` metadata, or a TemplateURL (a SAM Location) that is a
    path next to the template."""
    metadata = resource.get("Metadata") or {}
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    candidates = [asset] if asset else []
    props = resource.get("Properties") or {}
    url = props.get("TemplateURL", props.get("Location")) if isinstance(props, dict) else None
    if isinstance(url, str) and "://" not in url:
        candidates.append(url)
    for candidate in candidates:
        path = template_dir / str(candidate)
        if is_file(path):
            return path
    return None


def is_file(path: Path) -> bool:
    """Whether ``path`` is a file; False for a name the file system refuses (ENAMETOOLONG),
    which the caller then reports as not available locally."""
    try:
        return path.is_file()
    except OSError:
        return False
