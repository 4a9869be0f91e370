"""Golden files of the formats for other tools (csv, ocsf, ocsf-jsonl, asff, github), on three
samples: the live sample, the CI sample (waivers, a baseline) and a pre-deploy sample (source
locations). Regenerate with `pytest --regen-golden` and review the diff.

``iac_result()`` is the pre-deploy sample the other test_reports_* modules of these formats use.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest
from preflight_scanner.models import ScanResult, SourceLocation, Status
from preflight_scanner.reports import FORMATS, load_renderers
from preflight_scanner.reports.json_report import from_document, to_document

from tests.test_reports_golden import GOLDEN, _diff, _regen, sample_result
from tests.test_waivers_reports import ci_result

EXPORT_FORMATS = ["csv", "ocsf", "ocsf-jsonl", "asff", "github"]
# A template path and a property name made of what workflow commands and CSV treat specially.
EVIL_PATH = "infra/a,b:c%0A::error::x\nnew.yaml"


def iac_result() -> ScanResult:
    """The sample as a pre-deploy scan: every finding declared somewhere, one path hostile."""
    result = sample_result()
    findings = []
    for n, f in enumerate(result.findings):
        path = EVIL_PATH if f.resource.id == "evil" else f"templates/{f.resource.type}.yaml"
        findings.append(dataclasses.replace(
            f, location=SourceLocation(path, 10 + n, 8 + n, "PointInTimeRecoverySpecification"
                                       if f.status is Status.FAIL else None)))
    return dataclasses.replace(result, findings=tuple(findings), errors=(),
                               notes=("lambda-timeout-headroom needs deployed metrics",))


SAMPLES: dict[str, tuple[Callable[[], ScanResult], str]] = {
    "live": (sample_result, ""),
    "ci": (ci_result, "ci"),
    "iac": (iac_result, "iac"),
}


def _path(sample: str, fmt: str):
    folder = SAMPLES[sample][1]
    return (GOLDEN / folder if folder else GOLDEN) / FORMATS[fmt].filename


@pytest.mark.parametrize("sample", list(SAMPLES))
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_format_matches_its_golden_file(fmt, sample, request):
    actual = load_renderers([fmt])[fmt](SAMPLES[sample][0]())
    path = _path(sample, fmt)
    if _regen(request):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    assert path.is_file(), f"missing {path}: run `pytest --regen-golden` to create it"
    expected = path.read_bytes().decode("utf-8")  # bytes: line ends are part of the format
    assert actual == expected, _diff(expected, actual, path.name)


@pytest.mark.parametrize("sample", list(SAMPLES))
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_a_saved_report_re_renders_to_the_same_bytes(fmt, sample):
    """Everything these formats need survives report.json (so `preflight report` works)."""
    result = SAMPLES[sample][0]()
    saved = from_document(json.loads(json.dumps(to_document(result), default=str)))
    render = load_renderers([fmt])[fmt]
    assert render(saved) == render(result)


def test_the_golden_files_carry_the_hostile_name_and_the_live_annotations_only_a_notice():
    for fmt in ("csv", "ocsf", "ocsf-jsonl", "asff"):
        text = _path("live", fmt).read_text(encoding="utf-8")
        assert "octocat" in text and "img src" in text, fmt
    live = _path("live", "github").read_text(encoding="utf-8").splitlines()
    assert len(live) == 1 and live[0].startswith("::notice title=Preflight::")
    assert "octocat" in _path("iac", "github").read_text(encoding="utf-8")
