"""Logging to stderr: configured once per command, by the CLI's -v option (commands/options.py).

Log messages quote AWS's answers, so every line goes through the redacting, inert
formatter: no escape sequence and no credential gets out, whatever the verbosity.
"""

from __future__ import annotations

import logging
import sys

from preflight_scanner.reports.text import InertFormatter

from .redact import redact

# -vv: also each request botocore sends (operation, endpoint, parameters), through the same
# redacting formatter. Not botocore.parsers: it logs response bodies, and an AssumeRole
# answer's credentials are registered for redaction only after it is parsed.
REQUEST_LOGGER = "botocore.endpoint"
LOG_LEVELS = {0: logging.ERROR, 1: logging.INFO}


class SafeFormatter(InertFormatter):
    """Log messages quote AWS's answers: no escape sequence, no credential gets out."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(verbosity: int = 0) -> None:
    """Logging to stderr for one command: -v INFO, -vv DEBUG and each request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("preflight: %(levelname)s %(name)s: %(message)s"
                                       if verbosity > 1 else
                                       "preflight: %(levelname)s %(message)s"))
    root = logging.getLogger("preflight")
    root.handlers[:] = [handler]
    root.setLevel(LOG_LEVELS.get(int(verbosity), logging.DEBUG))
    root.propagate = False
    requests = logging.getLogger(REQUEST_LOGGER)
    verbose_requests = verbosity > 1
    # Reset as well as set: an embedding program (or a test) runs several commands.
    requests.handlers[:] = [handler] if verbose_requests else []
    requests.setLevel(logging.DEBUG if verbose_requests else logging.NOTSET)
    requests.propagate = not verbose_requests
