"""Credentials never reach a report, a log or an error message.

A scan runs with distinctive credentials in the environment, assumes roles in two member
accounts (the proxy keeps every credential set AssumeRole hands out), meets denied calls
and a role it cannot assume, logs at INFO, and writes every format. Then every output
file, stdout, stderr and every captured log record is searched for each secret.
"""

from __future__ import annotations

import logging

from preflight_scanner.cli import main
from preflight_scanner.demo import estate

from tests.faultproxy import Fault
from tests.support import BUILTIN_POLICIES

REGION = "us-east-1"
POLICY_DIR = BUILTIN_POLICIES  # the installed pack, not the checkout's copy
ACCESS_KEY = "AKIAPREFLIGHTMARKER7"
SECRET_KEY = "SecretMarker/PreflightTest+0123456789abcdefXYZ"
SESSION_TOKEN = "SessionTokenMarker//PreflightTest" + "Q" * 64
EXTERNAL_ID = "ExternalIdMarker-8d1f5c"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_no_credential_appears_in_any_output_log_or_message(aws, write_config, tmp_path,
                                                            monkeypatch, capsys, caplog):
    ids = estate.create_organization(["prod", "staging", "sandbox"])
    for name in ("prod", "staging"):
        session = estate.account_session(ids[name])
        estate.create_table(session, REGION, f"{name}-orders", pitr=name == "prod")
        estate.create_bucket(session, REGION, f"{name}-assets-bucket")
    # The scanner's own credentials, from the environment: distinctive and findable.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    aws.issued.clear()
    aws.faults += [
        # Endpoints that echo what they were sent: the request (with the external id), the
        # caller's key id (an assumed role's), the environment's session token.
        Fault(service="sts", operation="AssumeRole", body=ids["sandbox"], status=403,
              code="AccessDenied", message="not authorized to perform sts:AssumeRole: {body}"),
        Fault(service="s3", operation="GetBucketVersioning", status=403, code="AccessDenied",
              message="key {access_key} may not read versioning"),
        Fault(service="dynamodb", operation="DescribeContinuousBackups", account=ids["prod"],
              status=400, code="AccessDeniedException",
              message=f"token {SESSION_TOKEN} and key {{access_key}} are not allowed here"),
        Fault(service="dynamodb", status=400, code="ThrottlingException", times=3),
    ]
    config = write_config({
        "regions": [REGION], "organization": True, "role_name": estate.MEMBER_ROLE,
        "external_id": EXTERNAL_ID,
        "accounts": [{"id": ids["prod"], "environment": "prod"},
                     {"id": ids["staging"], "environment": "staging"},
                     {"id": ids["sandbox"], "environment": "sandbox"}]})

    # Everything at INFO: the scanner's own log (normally ERROR) and the libraries'.
    import preflight_scanner.logs as logs

    records = _Records()
    original = logs.configure_logging

    def verbose(verbose: bool = False) -> None:
        original(True)
        logging.getLogger("preflight").addHandler(records)

    monkeypatch.setattr(logs, "configure_logging", verbose)
    caplog.set_level(logging.INFO)
    out = tmp_path / "out"
    try:
        code = main(["scan", "--config", str(config), "--out", str(out),
                     "--format", "json,html,sarif,junit,md",
                     "--policies", str(POLICY_DIR / "dynamodb-pitr-enabled.yml"),
                     "--policies", str(POLICY_DIR / "s3-versioning-enabled.yml")])
    finally:
        logging.getLogger("preflight").setLevel(logging.ERROR)
    captured = capsys.readouterr()
    assert code == 1, captured.err  # staging-orders has no PITR

    issued = [value for creds in aws.issued for value in creds.values()]
    assert len(aws.issued) >= 2  # the roles of prod and staging (and the seeding's)
    secrets = {ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, EXTERNAL_ID, *issued}
    texts = {path.name: path.read_text(encoding="utf-8") for path in out.iterdir()}
    assert set(texts) == {"report.json", "report.html", "report.sarif", "report.junit.xml",
                          "report.md"}
    texts["stdout"] = captured.out
    texts["stderr"] = captured.err
    texts["preflight log"] = "\n".join(records.lines)
    texts["library logs"] = caplog.text
    # The run did exercise the paths that could leak: errors, roles, warnings.
    assert "AccessDenied" in texts["report.json"] and ids["sandbox"] in texts["report.json"]
    assert "AssumeRole" in texts["preflight log"]
    # ... and the echoes happened: the messages are there, with the secrets redacted.
    assert "may not read versioning" in texts["report.json"]
    assert "[redacted] may not read versioning" in texts["report.json"]
    assert "token [redacted] and key [redacted]" in texts["report.json"]
    assert "ExternalId=[redacted]" in texts["report.json"]
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"a credential ({secret[:6]}...) appears in {name}"
            assert secret[:16] not in text, f"part of a credential appears in {name}"
