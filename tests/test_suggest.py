"""scanner/suggest.py: the one "did you mean" of the program."""

from __future__ import annotations

import pytest
from preflight_scanner.suggest import LONGEST, closest, did_you_mean, phrase, suggestion

POLICIES = ("dynamodb-pitr-enabled", "s3-versioning-enabled", "logs-retention-set")


def test_a_near_miss_finds_the_name_meant():
    assert closest("dynamodb-pitr-enabeld", POLICIES) == "dynamodb-pitr-enabled"
    assert suggestion("dynamodb-pitr-enabeld", POLICIES) == "did you mean dynamodb-pitr-enabled?"
    assert did_you_mean("s3-versioning-enable", POLICIES) == " (did you mean s3-versioning-enabled?)"


def test_nothing_close_offers_nothing_or_the_fallback():
    assert closest("iam-root-mfa", POLICIES) is None
    assert did_you_mean("iam-root-mfa", POLICIES) == ""
    assert suggestion("iam-root-mfa", POLICIES, otherwise="known: a, b") == "known: a, b"
    assert closest("anything", ()) is None


def test_equally_close_names_offer_the_first_in_order():
    # us-east-1 and us-east-2 are both one character from us-east-3.
    assert closest("us-east-3", ["us-east-2", "us-east-1"]) == "us-east-1"


def test_case_counts_unless_ignored_and_the_known_spelling_is_answered():
    assert closest("of", ["OFF", "ON"]) is None
    assert closest("of", ["OFF", "ON"], ignore_case=True) == "OFF"
    assert closest("dynamodb", ["DynamoDB", "s3"], ignore_case=True) == "DynamoDB"
    assert suggestion("enabeld", ["ENABLED"], ignore_case=True) == "did you mean ENABLED?"


def test_the_cutoff_decides_how_near_is_near():
    assert closest("tabel_status", ["table_status"], cutoff=0.99) is None
    assert closest("tabel_status", ["table_status"], cutoff=0.8) == "table_status"


def test_the_name_is_shown_as_the_caller_spells_it():
    assert suggestion("equal", ["equals"], show=repr) == "did you mean 'equals'?"
    assert suggestion("dynamdb", ["dynamodb"], show="`aws {}`".format) \
        == "did you mean `aws dynamodb`?"
    assert phrase("pitr", show=repr, otherwise="none") == "did you mean 'pitr'?"
    assert phrase(None, otherwise="none") == "none"


@pytest.mark.parametrize("name, known", [
    ("x" * (LONGEST + 1), ["x" * LONGEST]),  # a name from a file, too long to be a typo
    ("x" * LONGEST, ["x" * (LONGEST + 1)]),  # a known name too long to compare
])
def test_overlong_names_are_not_compared(name, known):
    # Matching time grows with the product of the lengths; each pair here is ~99% alike.
    assert closest(name, known) is None
    assert closest(name[:50], [k[:50] for k in known]) is not None

