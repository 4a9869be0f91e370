"""Statuses compared at the edges are enums whose values are the documented strings: what is
serialised (report.json, drill.json, the history store) stays byte for byte what it was."""

from __future__ import annotations

import dataclasses
import json

from preflight_scanner.drill.readiness import COUNTED, StepStatus
from preflight_scanner.history import RecordKind
from preflight_scanner.historydiff import CHANGE_KINDS, HistoryDiff
from preflight_scanner.job import ci_summary
from preflight_scanner.merge import merge_results
from preflight_scanner.reports import packaged_schema
from preflight_scanner.reports.json_report import to_document
from preflight_scanner.waivers import WaiverState

from tests.test_waivers_reports import ci_result


def test_step_statuses_are_the_drill_schemas() -> None:
    definitions = packaged_schema("drill.schema.json")["$defs"]
    assert {*definitions["step_status"]["enum"], *definitions["resource_status"]["enum"]} == {
        s.value for s in StepStatus}
    assert list(COUNTED) == definitions["resource_status"]["enum"]
    assert json.dumps({StepStatus.NOT_READY: [StepStatus.UNKNOWN]}) == '{"not-ready": ["unknown"]}'


def test_waiver_states_are_the_report_schemas_groups() -> None:
    required = packaged_schema("report.schema.json")["properties"]["waivers"]["required"]
    assert [s.value for s in WaiverState] == [k for k in required if k in set(WaiverState)]
    assert len(WaiverState) == 3


def test_a_merged_report_with_enum_states_serialises_as_before() -> None:
    result = ci_result()
    assert result.waivers is not None
    as_strings = dataclasses.replace(result, waivers=dataclasses.replace(
        result.waivers, waivers=tuple(dataclasses.replace(w, state=str(w.state.value)
                                                          if isinstance(w.state, WaiverState)
                                                          else w.state)
                                      for w in result.waivers.waivers)))
    merged = merge_results([("shard.json", dataclasses.replace(as_strings, baseline=None))])
    assert merged.waivers is not None
    assert all(isinstance(w.state, WaiverState) for w in merged.waivers.waivers)
    expected = to_document(dataclasses.replace(as_strings, baseline=None, findings=tuple(
        dataclasses.replace(f, change=None) for f in as_strings.findings)))
    assert json.dumps(to_document(merged)["waivers"]) == json.dumps(expected["waivers"])
    assert any("expired on" in line for line in ci_summary(merged))
    assert any("matched nothing" in line or "which no policy has" in line
               for line in ci_summary(merged))


def test_record_kinds_and_change_kinds_keep_their_names() -> None:
    assert [k.value for k in RecordKind] == ["scan", "drill"]
    fields = [f.name for f in dataclasses.fields(HistoryDiff)]
    assert [k.value for k in CHANGE_KINDS] == fields[2:-1]  # each kind is a HistoryDiff field
