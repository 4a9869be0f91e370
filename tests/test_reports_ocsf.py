"""report.ocsf.json and .jsonl: every event validates against the maintained OCSF models
(py-ocsf-models, the library Prowler uses) and carries nothing those models would drop."""

from __future__ import annotations

import json
from typing import Any

import pytest
from preflight_scanner.models import ScanResult, Status
from preflight_scanner.reports import ocsf, ocsf_jsonl
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.objects.cloud import Cloud

from tests.test_reports_export_golden import iac_result
from tests.test_reports_golden import sample_result
from tests.test_waivers_reports import ci_result

# The cloud profile adds `cloud` to the class; the models declare it on other classes only.
PROFILE_ATTRIBUTES = {"cloud": Cloud}
FREE_FORM = {"unmapped", "data"}  # OCSF leaves their content to the producer


def _dropped(sent: Any, kept: Any, where: str = "") -> list[str]:
    """Keys present in what we sent but absent from the model's dump: not OCSF attributes."""
    if isinstance(sent, dict):
        missing = [f"{where}/{k}" for k in sent if k not in kept and k not in PROFILE_ATTRIBUTES]
        return missing + [m for k, v in sent.items() if k in kept and k not in FREE_FORM
                          for m in _dropped(v, kept[k], f"{where}/{k}")]
    if isinstance(sent, list):
        return [m for n, (a, b) in enumerate(zip(sent, kept, strict=True))
                for m in _dropped(a, b, f"{where}/{n}")]
    return []


def validate(event: dict[str, Any]) -> ComplianceFinding:
    model = ComplianceFinding.model_validate(event)
    kept = model.model_dump(mode="json", exclude_none=True)
    assert _dropped(event, kept) == [], "attributes the OCSF models do not know"
    for name, shape in PROFILE_ATTRIBUTES.items():
        if name in event:
            shape.model_validate(event[name])
    return model


@pytest.mark.parametrize("make", [sample_result, ci_result, iac_result])
def test_every_event_is_a_valid_compliance_finding(make):
    result: ScanResult = make()
    events = json.loads(ocsf.render(result))
    assert len(events) == len(result.findings)
    for event, finding in zip(events, result.findings, strict=True):
        model = validate(event)
        assert model.class_uid == 2003 and model.type_uid == 200301
        assert event["status_code"] == finding.status.value
        assert event["cloud"]["account"]["uid"] == finding.resource.account_id


def test_the_jsonl_file_holds_the_same_events_one_per_line():
    result = ci_result()
    lines = ocsf_jsonl.render(result).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(ocsf.render(result))


def test_statuses_map_to_ocsf_and_an_error_is_never_a_pass():
    result = ci_result()
    by_status: dict[str, set[tuple[int, int]]] = {}
    for event in ocsf.events(result):
        by_status.setdefault(event["status_code"], set()).add(
            (event["compliance"]["status_id"], event["status_id"]))
    assert by_status["pass"] == {(1, 1)}
    assert by_status["fail"] == {(3, 1)}
    assert by_status["error"] == {(2, 1)}
    assert by_status["waived"] == {(3, 3), (2, 3)}  # the underlying fail / error, suppressed


def test_identity_is_stable_and_the_baseline_sets_first_seen():
    result = ci_result()
    first = {e["finding_info"]["uid"]: e for e in ocsf.events(result)}
    again = {e["finding_info"]["uid"] for e in ocsf.events(sample_result())}
    assert len(first) == len(result.findings)
    assert again <= set(first)  # the same pairs keep their uid across scans
    by_id = {e["unmapped"]["preflight"]["resource_id"]: e for e in first.values()
             if e["status_code"] == Status.FAIL.value}
    assert by_id["carts"]["finding_info"]["first_seen_time"] == 1714557600000  # this scan
    assert by_id["eu-west-1_abc"]["finding_info"]["first_seen_time"] == 1714471200000  # baseline


def test_a_result_without_findings_is_an_empty_array():
    import dataclasses

    empty = dataclasses.replace(sample_result(), findings=())
    assert json.loads(ocsf.render(empty)) == [] and ocsf_jsonl.render(empty) == ""
