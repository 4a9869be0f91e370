"""Credentials Preflight knows are never recorded, logged or reported, whatever AWS echoes.

An endpoint (or a proxy, or a misconfigured LocalStack) may quote the access key id, the
session token or the external id back in an error message; that message becomes a finding's
reason, a log line and a report. Every secret the process learns (the environment's
credentials, every AssumeRole answer, each configured external id) is registered here, and
``redact`` replaces each with a marker before a message is stored or printed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

MARKER = "[redacted]"
# Shorter values could be ordinary words; every real credential is far longer.
MINIMUM_LENGTH = 8
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class _KnownSecrets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()

    def add(self, values: Iterable[str | None]) -> None:
        new = {v for v in values if v and len(v) >= MINIMUM_LENGTH}
        with self._lock:
            # Longest first: a token that contains a key is replaced whole.
            self._values = tuple(sorted(new | set(self._values), key=len, reverse=True))

    def add_environment(self) -> None:
        self.add(os.environ.get(name) for name in CREDENTIAL_VARIABLES)

    def redact(self, text: str) -> str:
        for value in self._values:  # a tuple read is atomic: no lock on the hot path
            if value in text:
                text = text.replace(value, MARKER)
        return text


KNOWN_SECRETS = _KnownSecrets()


def redact(text: str) -> str:
    """``text`` with every credential this process knows replaced by a marker."""
    return KNOWN_SECRETS.redact(text)
