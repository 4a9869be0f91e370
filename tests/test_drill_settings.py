"""The drill's settings (drill:/history: in preflight.yml) and its step map."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import pytest
from preflight_scanner.config import Config, load_config
from preflight_scanner.drill.settings import DrillSettings, load_drill_settings, with_rpo_target
from preflight_scanner.drill.steps import STEP_MAP, check_step_map, resolve_steps, selects
from preflight_scanner.errors import InputError
from preflight_scanner.runbooks import RunbookLibrary


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "preflight.yml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_reads_the_drill_section_and_the_history_path(tmp_path):
    path = write(tmp_path, """
        regions: [us-east-1]
        drill:
          target: 85
          rto_minutes: 240
          rpo_minutes: 60
        history: records/preflight.db
        max_workers: 4
        """)
    assert load_drill_settings(path) == DrillSettings(85, 240, 60,
                                                      str(tmp_path / "records/preflight.db"))
    config = load_config(path)
    assert (config.regions, config.max_workers, config.source) == (("us-east-1",), 4, str(path))
    assert config.document is not None and config.document.path == str(path)
    assert load_drill_settings(None) == DrillSettings()


def test_bad_drill_settings_are_reported_with_their_line(tmp_path):
    path = write(tmp_path, """
        regions: [us-east-1]
        drill:
          target: 150
          rpo_minutes: fast
        """)
    with pytest.raises(InputError) as caught:
        load_drill_settings(path)
    found = {(p.line, p.message.split(":")[0]) for p in caught.value.problems}
    assert found == {(3, "drill/target"), (4, "drill/rpo_minutes")}
    path = write(tmp_path, """
        drill: {targt: 80}
        """)
    with pytest.raises(InputError) as caught:
        load_drill_settings(path)
    [problem] = caught.value.problems
    assert problem.line == 1 and "targt" in problem.message
    assert "rpo_minutes, rto_minutes, target" in problem.hint


def test_other_config_errors_keep_their_file_and_line_beside_the_drill_keys(tmp_path):
    path = write(tmp_path, """
        drill:
          target: 80
        history: h.db
        regions: [nowhere]
        """)
    with pytest.raises(InputError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (str(path), 4)
    assert "regions" in problem.message


def test_the_rpo_objective_becomes_the_recovery_point_policys_parameter():
    settings = DrillSettings(rpo_minutes=90)
    config = with_rpo_target(Config(parameters={"prod": {"x": {"y": 1}}}), settings)
    assert config.parameters_for("dynamodb-recovery-point", "staging") == {"max_rpo_hours": 1.5}
    assert config.parameters["prod"] == {"x": {"y": 1}}
    explicit = Config(parameters={"*": {"dynamodb-recovery-point": {"max_rpo_hours": 4}}})
    assert with_rpo_target(explicit, settings) is explicit  # the config's own value wins
    assert with_rpo_target(explicit, DrillSettings()) is explicit


def test_every_step_points_at_a_runbook_section_that_exists():
    check_step_map(STEP_MAP, RunbookLibrary())
    broken = copy.deepcopy(STEP_MAP)
    broken["steps"][0]["anchor"] = "restore-a-table-somehow"
    with pytest.raises(InputError, match="no runbook section 'disaster-recovery#restore-a-"
                                         "table-somehow'"):
        check_step_map(broken, RunbookLibrary())
    broken = copy.deepcopy(STEP_MAP)
    broken["steps"][1]["id"] = broken["steps"][0]["id"]
    with pytest.raises(InputError, match="step ids repeat"):
        check_step_map(broken, RunbookLibrary())


def test_an_organisations_policies_join_by_category_and_runbook_section():
    assert selects(STEP_MAP, "acme-dns-ttl", ["disaster-recovery"])
    assert selects(STEP_MAP, "dynamodb-throttle-alarm", ["observability"])  # a step names it
    assert not selects(STEP_MAP, "lambda-timeout-bounds", ["timeouts"])
    steps = {s.id: s for s in resolve_steps(STEP_MAP, [
        ("s3-versioning-enabled", "disaster-recovery#restore-s3-object-versions"),
        ("acme-dns-ttl", "disaster-recovery#fail-over-dns"),
        ("acme-kms-key-shared", "security-incident#rotate-credentials"),
        ("dynamodb-deletion-protection", "database-maintenance#deletion-protection"),
    ])}
    assert steps["fail-over-dns"].policies == ("acme-dns-ttl",)
    assert steps["fail-over-dns"].missing == ("route53-failover-ready",)
    assert steps["other-preconditions"].policies == ("dynamodb-deletion-protection",
                                                     "acme-kms-key-shared")
    assert steps["restore-tables"].policies == ()
    assert steps["restore-tables"].missing == ("dynamodb-pitr-enabled", "dynamodb-recent-backup",
                                               "dynamodb-recovery-point")
    assert not steps["redeploy"].observable and steps["redeploy"].policies == ()
