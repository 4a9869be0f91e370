"""The jinja2 environment every HTML report renders with: autoescaped, strict, inert.

Autoescaping keeps markup out; ``finalize`` also keeps raw control bytes (ESC, NUL, C1)
out of the page's text: each is shown as ``\\x1b``-style text instead, so what AWS returned
is visible rather than silently dropped or interpreted by whatever reads the file.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

# C0 controls but tab, line feed and carriage return; DEL; C1.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _shown(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def visible(value: Any) -> Any:
    """Every expression's value, with raw control characters made visible text."""
    if isinstance(value, Markup):
        # Already HTML, or the report's JSON data block: \u escapes are valid in a JSON
        # string and read the same in text; neither can add markup.
        return Markup(_RAW_CONTROL.sub(_json_escape, str(value)))
    if isinstance(value, str):
        return _RAW_CONTROL.sub(_shown, value)
    return value


def html_environment() -> Environment:
    return Environment(loader=PackageLoader("preflight_scanner.reports", "templates"),
                       autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True, finalize=visible)


@cache
def asset(name: str) -> str:
    """A file of reports/templates/ (CSS, JavaScript) from the installed package."""
    return resources.files("preflight_scanner.reports").joinpath("templates", name).read_text("utf-8")
