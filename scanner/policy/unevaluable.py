"""The one signal that a check could not be computed for a resource.

Raised by an operand, an expression or a function that cannot produce a value (a template
that does not render, a JMESPath type error, a timestamp that does not parse, a regular
expression from a parameter that does not compile). The leaf that meets it records the
reason, and the finding becomes ``error``: a verdict never rests on a value that was not
computed, whatever ``not`` or ``not_equals`` would make of a stand-in such as null.
"""

from __future__ import annotations

from ..errors import PreflightSignal


class Unevaluable(PreflightSignal):
    """A value the check needs could not be computed; ``str()`` says why."""
