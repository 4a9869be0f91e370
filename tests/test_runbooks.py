"""Runbook sections by reference; an organisation's own runbooks; the terminal views."""

from __future__ import annotations

from preflight_scanner.cli import main
from preflight_scanner.runbooks import RunbookLibrary, parse_runbook, slug

SAMPLE = """# Disaster recovery

Intro.

## Restore a DynamoDB table

Restores create a new table.

### From an on-demand backup

```bash
# a comment, not a heading
aws dynamodb restore-table-from-backup --target-table-name "${TABLE_NAME}-restored"
```

## Fail over DNS (Route 53)

Switch the record.
"""


def test_slug_is_githubs_anchor():
    assert slug("Restore a DynamoDB table") == "restore-a-dynamodb-table"
    assert slug("Fail over DNS (Route 53)") == "fail-over-dns-route-53"
    assert slug("5XX errors & alarms") == "5xx-errors--alarms"


def test_sections_nest_and_ignore_fenced_comments():
    book = parse_runbook("disaster-recovery", SAMPLE)
    assert book.title == "Disaster recovery"
    assert list(book.sections) == ["restore-a-dynamodb-table", "from-an-on-demand-backup",
                                   "fail-over-dns-route-53"]
    restore = book.sections["restore-a-dynamodb-table"]
    assert "restore-table-from-backup" in restore.markdown  # includes its subsection
    assert "Switch the record" not in restore.markdown  # stops at the next peer
    assert "a-comment-not-a-heading" not in book.sections


def test_an_organisations_own_runbooks_keep_the_references(tmp_path):
    (tmp_path / "disaster-recovery.md").write_text(SAMPLE)
    config = tmp_path / "preflight.yml"
    config.write_text("runbooks:\n  directory: .\n  url: https://wiki.example.com/ops/\n")
    library = RunbookLibrary(tmp_path, "https://wiki.example.com/ops/")
    assert library.link("disaster-recovery#fail-over-dns-route-53") == \
        "https://wiki.example.com/ops/disaster-recovery#fail-over-dns-route-53"
    templated = RunbookLibrary(None, "https://wiki.example.com/{runbook}?section={anchor}")
    assert templated.link("a#b") == "https://wiki.example.com/a?section=b"
    assert not templated.checkable  # a wiki alone cannot be checked offline


def test_runbook_command_prints_a_section(capsys):
    assert main(["runbook", "disaster-recovery#restore-a-dynamodb-table"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Restore a DynamoDB table")
    assert "restore-table-to-point-in-time" in out


def test_runbook_command_with_config_directory(tmp_path, capsys):
    (tmp_path / "disaster-recovery.md").write_text(SAMPLE)
    config = tmp_path / "preflight.yml"
    config.write_text("runbooks:\n  directory: .\n")
    assert main(["runbook", "disaster-recovery#fail-over-dns-route-53", "--config",
                 str(config)]) == 0
    assert "Switch the record" in capsys.readouterr().out


def test_unknown_section_lists_the_ones_that_exist(capsys):
    assert main(["runbook", "disaster-recovery#no-such-step"]) == 2
    err = capsys.readouterr().err
    assert "restore-a-dynamodb-table" in err and "Traceback" not in err


def test_policies_must_point_at_existing_sections(tmp_path, capsys):
    policy = tmp_path / "p-one.yml"
    policy.write_text(
        "id: p-one\ntitle: t\ndescription: d\nseverity: low\nresource: aws.s3.bucket\n"
        "check: {attribute: versioning, equals: Enabled}\n"
        "runbook: disaster-recovery#restore-s3-objects\n")
    assert main(["validate", str(policy)]) == 2
    err = capsys.readouterr().err
    assert f"{policy}:7:" in err
    assert "no runbook section 'disaster-recovery#restore-s3-objects'" in err
    assert "restore-s3-object-versions" in err  # the hint lists real sections


def test_missing_runbook_directory_is_a_config_error(tmp_path, capsys):
    config = tmp_path / "preflight.yml"
    config.write_text("regions: [us-east-1]\nrunbooks:\n  directory: ./nope\n")
    assert main(["runbook", "a#b", "--config", str(config)]) == 2
    assert f"{config}:3:" in capsys.readouterr().err


def test_explain_prints_what_why_parameters_mappings_and_fix(capsys):
    assert main(["explain", "lambda-timeout-bounds"]) == 0
    out = capsys.readouterr().out
    for expected in ("severity: medium", "Why the runbook needs it:", "timeout <= parameter "
                     "max_seconds (300)", "api_max_seconds = 29", "Mappings:",
                     "lambda-errors#timeouts", "update-function-configuration"):
        assert expected in out, expected


def test_explain_applies_config_overrides_and_rejects_unknown_ids(tmp_path, capsys):
    config = tmp_path / "preflight.yml"
    config.write_text("policies:\n  s3-versioning-enabled: {severity: critical}\n")
    assert main(["explain", "s3-versioning-enabled", "--config", str(config)]) == 0
    assert "severity: critical" in capsys.readouterr().out
    assert main(["explain", "no-such-policy"]) == 2
