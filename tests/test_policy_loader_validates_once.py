"""Each policy file is validated against the schema once: its problems and the keys the
builder must skip come from the same errors (it was walked twice, about 3 ms a file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from preflight_scanner.errors import InputError
from preflight_scanner.policy import loader

ROOT = Path(__file__).resolve().parent.parent


def _count_validations(monkeypatch) -> list[int]:
    validator = loader._validator()
    calls: list[int] = []

    class Counting:
        def iter_errors(self, instance):
            calls.append(1)
            return validator.iter_errors(instance)

    monkeypatch.setattr(loader, "_validator", lambda: Counting())
    return calls


def test_a_valid_policy_is_validated_once(monkeypatch):
    calls = _count_validations(monkeypatch)
    loader.load_policies([ROOT / "policies" / "dynamodb-pitr-enabled.yml"])
    assert len(calls) == 1


def test_an_invalid_policy_is_validated_once_and_still_reports_its_problem(tmp_path, monkeypatch):
    calls = _count_validations(monkeypatch)
    text = (ROOT / "policies" / "dynamodb-pitr-enabled.yml").read_text()
    bad = tmp_path / "dynamodb-pitr-enabled.yml"
    bad.write_text(text.replace("severity: ", "severity: extreme-", 1))
    with pytest.raises(InputError) as caught:
        loader.load_policies([bad])
    assert len(calls) == 1
    assert any("severity" in problem.message for problem in caught.value.problems)
