"""Making strings from AWS safe to print."""

from __future__ import annotations

import re

# C0/C1 control characters (ESC starts terminal escape sequences), except tab.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def inert(text: object) -> str:
    """A string that cannot move the cursor, recolour or retitle a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
