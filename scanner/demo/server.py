"""An embedded moto server on 127.0.0.1, and the environment that points boto3 at it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts anything; never a real secret
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Start moto on a free loopback port; yield its endpoint URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # moto is an extra, not a core dependency
        from ..errors import PreflightError

        raise PreflightError(
            "the demo needs moto: pip install 'preflight-scanner[demo]'"
        ) from exc
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the terminal
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextlib.contextmanager
def pointed_at(endpoint: str) -> Iterator[None]:
    """Point every boto3 client of this process at ``endpoint`` with fake credentials.

    AWS_ENDPOINT_URL is the botocore standard, the same switch a user flips to scan
    LocalStack; real credentials from the environment are masked for the duration.
    """
    overrides = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}
    masked = ("AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")
    saved = {key: os.environ.get(key) for key in (*overrides, *masked)}
    os.environ.update(overrides)
    for key in masked:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
