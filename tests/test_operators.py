"""scanner/policy/operators.py and conditions.py: the semantics of a check, no AWS."""

from __future__ import annotations

import pytest
from preflight_scanner.policy.conditions import (
    All,
    AnyOf,
    AttrRef,
    Leaf,
    LeafResult,
    Not,
    ParamRef,
    TemplateRef,
    resolve,
    root_attributes,
    search,
)
from preflight_scanner.policy.operators import OPERATORS
from preflight_scanner.policy.unevaluable import Unevaluable

# (operator, actual, operand, expected verdict). Every operator needs at least one
# passing and one failing row; test_table_covers_every_operator enforces it.
CASES = [
    ("equals", "ENABLED", "ENABLED", True),
    ("equals", "DISABLED", "ENABLED", False),
    ("equals", 3, 3.0, True),
    ("equals", None, None, True),
    ("equals", None, "ENABLED", False),
    ("equals", {"a": [1, "x"]}, {"a": [1, "x"]}, True),
    ("equals", ["a", "b"], ["b", "a"], False),
    ("not_equals", "DISABLED", "ENABLED", True),
    ("not_equals", "ENABLED", "ENABLED", False),
    ("not_equals", None, "ENABLED", True),
    ("in", "b", ["a", "b"], True),
    ("in", "c", ["a", "b"], False),
    ("in", None, ["a"], False),
    ("in", 2, [1, 2, 3], True),
    ("not_in", "c", ["a", "b"], True),
    ("not_in", "a", ["a", "b"], False),
    ("contains", ["x", "y"], "y", True),
    ("contains", ["x", "y"], "z", False),
    ("contains", {"Environment": "prod"}, "Environment", True),   # a mapping holds its keys
    ("contains", {"Environment": "prod"}, "prod", False),          # ...not its values
    ("contains", "arn:aws:lambda:eu-west-1", "lambda", True),
    ("contains", "arn:aws:s3", "lambda", False),
    ("contains", None, "x", False),
    ("contains", 12345, 3, False),
    ("contains", "123", 1, False),   # a string only contains strings
    ("gt", 5, 4, True),
    ("gt", 4, 4, False),
    ("gte", 4, 4, True),
    ("gte", 3.5, 4, False),
    ("lt", 3, 4, True),
    ("lt", 4, 4, False),
    ("lte", 4, 4, True),
    ("lte", 4.01, 4, False),
    ("matches", "orders-prod-eu", "prod", True),
    ("matches", "orders-dev", "prod", False),
    ("matches", "orders-prod", "^orders-(dev|prod)$", True),
    ("matches", "PROD", "prod", False),
    ("any_matches", ["shop-staging-dashboard", "shop-prod-dashboard"], "^shop-prod-", True),
    ("any_matches", ["shop-staging-dashboard"], "^shop-prod-", False),
    ("any_matches", [], ".", False),
    ("any_matches", "shop-prod-dashboard", "prod", False),  # a string is not a list
    ("exists", "x", True, True),
    ("exists", None, True, False),
    ("exists", None, False, True),
    ("exists", "x", False, False),
]


@pytest.mark.parametrize(("name", "actual", "operand", "verdict"), CASES)
def test_operator_table(name, actual, operand, verdict):
    assert OPERATORS[name].test(actual, operand) is verdict


def test_table_covers_every_operator():
    passing = {name for name, *_, verdict in CASES if verdict}
    failing = {name for name, *_, verdict in CASES if not verdict}
    assert passing == set(OPERATORS), f"no passing case for {set(OPERATORS) - passing}"
    assert failing == set(OPERATORS), f"no failing case for {set(OPERATORS) - failing}"


def test_operators_are_named_by_their_key_and_described():
    for key, op in OPERATORS.items():
        assert op.name == key
        assert op.description
        assert isinstance(op.operand_schema, dict) and op.operand_schema


def test_only_exists_accepts_a_missing_value():
    assert {name for name, op in OPERATORS.items() if not op.needs_value} == {"exists"}


@pytest.mark.parametrize(("actual", "operand"), [
    (True, 1), (1, True), (False, 0), (0, False), (True, 1.0),
    ([True], [1]), ([0], [False]), ({"on": True}, {"on": 1}), ({"a": [1]}, {"a": [True]}),
])
def test_booleans_never_equal_numbers(actual, operand):
    assert OPERATORS["equals"].test(actual, operand) is False
    assert OPERATORS["not_equals"].test(actual, operand) is True


def test_booleans_equal_booleans():
    assert OPERATORS["equals"].test(True, True) is True
    assert OPERATORS["equals"].test(False, False) is True
    assert OPERATORS["equals"].test([True], [True]) is True
    assert OPERATORS["equals"].test(False, None) is False


@pytest.mark.parametrize(("name", "actual", "operand", "verdict"), [
    ("in", True, [1, 2], False),
    ("in", 1, [True], False),
    ("in", True, [True], True),
    ("not_in", 1, [True, False], True),
    ("not_in", 0, [False], True),
    ("contains", [True], 1, False),
    ("contains", [1], True, False),
    ("contains", [False, 1], False, True),
])
def test_booleans_and_numbers_in_lists(name, actual, operand, verdict):
    assert OPERATORS[name].test(actual, operand) is verdict


@pytest.mark.parametrize("name", ["gt", "gte", "lt", "lte"])
@pytest.mark.parametrize(("actual", "operand"), [
    (None, 1), ("5", 1), ("abc", 1), (True, 0), ([], 0), ({}, 0), (5, None), (5, "1"), (1, False),
])
def test_numeric_comparisons_fail_on_missing_or_non_numbers(name, actual, operand):
    assert OPERATORS[name].test(actual, operand) is False


@pytest.mark.parametrize(("name", "operand"), [
    # An operand from {param: ...} or {attribute: ...} is not checked against the
    # operand schema, so the operators must answer (fail) rather than raise.
    ("in", "abc"), ("in", 5), ("in", None), ("in", {"a": 1}),
    ("not_in", "abc"), ("not_in", 5), ("not_in", None),
    ("contains", ["a"]), ("contains", {"a": 1}), ("contains", None),
    ("matches", None), ("matches", 5), ("matches", ["a"]),
])
@pytest.mark.parametrize("actual", ["a", {"a": 1}, ["a"], None])
def test_odd_operands_fail_instead_of_raising(name, operand, actual):
    assert OPERATORS[name].test(actual, operand) is False


def test_in_with_a_string_operand_is_not_substring_membership():
    assert OPERATORS["in"].test("a", "abc") is False


@pytest.mark.parametrize(("actual", "pattern", "verdict"), [
    ("prod-eu-west-1", "eu-west", True),      # search: anywhere in the string
    ("prod-eu-west-1", "^eu-west", False),    # anchors still anchor
    ("prod-eu-west-1", "west-1$", True),
    ("python3.12", r"^python3\.1[0-9]$", True),
    ("python3x12", r"^python3\.12$", False),
    ("line1\nline2", "^line2", False),         # no MULTILINE
    (None, ".*", False),
    (12, "12", False),                         # numbers are not strings
    (["prod"], "prod", False),
])
def test_matches_uses_search_semantics(actual, pattern, verdict):
    assert OPERATORS["matches"].test(actual, pattern) is verdict


@pytest.mark.parametrize(("actual", "present"), [
    ("ENABLED", True), (0, True), (False, True), ([0], True), ({"a": None}, True), (" ", True),
    (None, False), ([], False), ({}, False), ("", False),
])
def test_exists(actual, present):
    assert OPERATORS["exists"].test(actual, True) is present
    assert OPERATORS["exists"].test(actual, False) is (not present)


# ----------------------------------------------------------------- conditions

def leaf(expression, op, operand):
    return Leaf(expression, OPERATORS[op], operand)


DOCUMENT = {
    "timeout": 900,
    "memory_size": 512,
    "runtime": "python3.12",
    "pitr": {"status": "ENABLED"},
    "tags": {"Environment": "prod"},
    "api_integrations": [{"source_arn": "arn:1"}, {"source_arn": "arn:2"}],
    "limits": {"soft": 10, "hard": 20},
}

PASS_A = leaf("pitr.status", "equals", "ENABLED")
PASS_B = leaf("runtime", "matches", "^python3")
FAIL_A = leaf("timeout", "lte", 300)
FAIL_B = leaf("memory_size", "gte", 1024)


def test_leaf_evaluation_records_actual_and_expected():
    outcome = FAIL_A.evaluate(DOCUMENT, {})
    assert outcome.passed is False
    (result,) = outcome.leaves
    assert result == LeafResult("timeout", "lte", 300, 900, False)
    assert outcome.decisive == (result,)


def test_leaf_on_a_missing_attribute():
    outcome = leaf("reserved_concurrency", "gte", 1).evaluate(DOCUMENT, {})
    assert outcome.passed is False
    assert outcome.leaves[0].actual is None
    assert leaf("reserved_concurrency", "exists", False).evaluate(DOCUMENT, {}).passed is True


def test_all_passes_when_every_item_passes_and_every_leaf_is_decisive():
    outcome = All((PASS_A, PASS_B)).evaluate(DOCUMENT, {})
    assert outcome.passed is True
    assert [r.expression for r in outcome.decisive] == ["pitr.status", "runtime"]


def test_all_fails_and_only_the_failing_leaves_are_decisive():
    outcome = All((PASS_A, FAIL_A, PASS_B, FAIL_B)).evaluate(DOCUMENT, {})
    assert outcome.passed is False
    # No short-circuit: evidence covers all four leaves.
    assert [r.expression for r in outcome.leaves] == ["pitr.status", "timeout", "runtime", "memory_size"]
    assert [r.expression for r in outcome.decisive] == ["timeout", "memory_size"]
    assert all(not r.passed for r in outcome.decisive)


def test_any_passes_and_only_the_passing_leaves_are_decisive():
    outcome = AnyOf((FAIL_A, PASS_A, FAIL_B)).evaluate(DOCUMENT, {})
    assert outcome.passed is True
    assert len(outcome.leaves) == 3
    assert [r.expression for r in outcome.decisive] == ["pitr.status"]


def test_any_fails_when_nothing_passes_and_every_leaf_is_decisive():
    outcome = AnyOf((FAIL_A, FAIL_B)).evaluate(DOCUMENT, {})
    assert outcome.passed is False
    assert [r.expression for r in outcome.decisive] == ["timeout", "memory_size"]


def test_not_inverts_and_keeps_the_inner_evidence():
    assert Not(PASS_A).evaluate(DOCUMENT, {}).passed is False
    outcome = Not(FAIL_A).evaluate(DOCUMENT, {})
    assert outcome.passed is True
    assert [r.expression for r in outcome.decisive] == ["timeout"]
    assert Not(Not(FAIL_A)).evaluate(DOCUMENT, {}).passed is False


@pytest.mark.parametrize(("condition", "passed", "decisive"), [
    (All((AnyOf((FAIL_A, PASS_A)), PASS_B)), True, ["pitr.status", "runtime"]),
    (All((AnyOf((FAIL_A, FAIL_B)), PASS_B)), False, ["timeout", "memory_size"]),
    (AnyOf((All((PASS_A, FAIL_A)), All((PASS_B,)))), True, ["runtime"]),
    (AnyOf((All((PASS_A, FAIL_A)), Not(PASS_B))), False, ["timeout", "runtime"]),
    (All((Not(FAIL_A), PASS_A)), True, ["timeout", "pitr.status"]),
])
def test_nested_combinations(condition, passed, decisive):
    outcome = condition.evaluate(DOCUMENT, {})
    assert outcome.passed is passed
    assert [r.expression for r in outcome.decisive] == decisive


def test_combinators_list_their_expressions_and_params():
    condition = All((PASS_A, AnyOf((leaf("timeout", "lte", ParamRef("max_seconds")),
                                    Not(leaf("limits.soft", "lt", AttrRef("limits.hard")))))))
    assert list(condition.expressions()) == ["pitr.status", "timeout", "limits.soft", "limits.hard"]
    assert list(condition.params()) == ["max_seconds"]


def test_param_ref_operand():
    check = leaf("timeout", "lte", ParamRef("max_seconds"))
    passed = check.evaluate(DOCUMENT, {"max_seconds": 900})
    assert passed.passed is True
    assert passed.leaves[0].expected == 900
    failed = check.evaluate(DOCUMENT, {"max_seconds": 300})
    assert failed.passed is False
    assert failed.leaves[0].expected == 300
    assert "expected <= 300" in failed.leaves[0].describe()


def test_missing_param_resolves_to_none_and_fails():
    outcome = leaf("timeout", "lte", ParamRef("max_seconds")).evaluate(DOCUMENT, {})
    assert outcome.passed is False
    assert outcome.leaves[0].expected is None


def test_attr_ref_operand():
    assert leaf("limits.soft", "lt", AttrRef("limits.hard")).evaluate(DOCUMENT, {}).passed is True
    outcome = leaf("limits.hard", "lt", AttrRef("limits.soft")).evaluate(DOCUMENT, {})
    assert outcome.passed is False
    assert outcome.leaves[0].expected == 10
    assert outcome.leaves[0].actual == 20


def test_resolve():
    assert resolve(ParamRef("p"), DOCUMENT, {"p": [1]}) == [1]
    assert resolve(AttrRef("tags.Environment"), DOCUMENT, {}) == "prod"
    assert resolve("literal", DOCUMENT, {"literal": "no"}) == "literal"
    assert resolve({"param": "p"}, DOCUMENT, {"p": 1}) == {"param": "p"}  # a plain dict is a literal


def test_search_raises_unevaluable_on_type_errors_instead_of_reading_null():
    assert search("length(api_integrations)", DOCUMENT) == 2
    assert search("api_integrations[].source_arn", DOCUMENT) == ["arn:1", "arn:2"]
    assert search("no_such_attribute", DOCUMENT) is None  # missing is a value: null
    with pytest.raises(Unevaluable, match="length"):
        search("length(timeout)", DOCUMENT)  # invalid-type inside JMESPath is not null


@pytest.mark.parametrize("actual", ["a", None])
def test_a_pattern_that_does_not_compile_is_unevaluable_not_a_mismatch(actual):
    # A literal pattern is checked at load time; one from a parameter or attribute is not.
    with pytest.raises(Unevaluable, match="not a regular expression"):
        OPERATORS["matches"].test("abc", "([")


def _leaf(expression, operator, operand):
    return Leaf(expression, OPERATORS[operator], operand)


@pytest.mark.parametrize("check", [
    # Each would pass on a stand-in null: the negation, not_equals, an "any".
    Not(_leaf("name", "matches", ParamRef("pattern"))),
    _leaf("length(timeout)", "not_equals", 3),
    Not(_leaf("days_between(last_backup, scan_time)", "lt", 1)),
    _leaf("name", "not_equals", TemplateRef("{{ no_such.attribute.deeper }}")),
    AnyOf((_leaf("name", "equals", "nope"), _leaf("length(timeout)", "not_equals", 3))),
])
def test_a_leaf_that_cannot_be_computed_makes_the_outcome_an_error(check):
    document = {**DOCUMENT, "last_backup": "last tuesday", "scan_time": "2026-12-03T00:00:00+00:00"}
    outcome = check.evaluate(document, {"pattern": "(["})
    assert outcome.errors, outcome
    assert "could not be evaluated" in outcome.errors[0].describe()


@pytest.mark.parametrize(("result", "text"), [
    (LeafResult("timeout", "lte", 300, 900, False), "timeout is 900, expected <= 300"),
    (LeafResult("timeout", "lte", 300, 30, True), "timeout is 30"),
    (LeafResult("pitr.status", "equals", "ENABLED", "DISABLED", False),
     "pitr.status is 'DISABLED', expected = 'ENABLED'"),
    (LeafResult("pitr.status", "equals", "ENABLED", None, False),
     "pitr.status is null, expected = 'ENABLED'"),
    (LeafResult("x", "exists", True, None, False), "x is null, expected exists = true"),
    (LeafResult("x", "matches", "^a", "b", False), "x is 'b', expected to match '^a'"),
    (LeafResult("x", "not_in", ["a"], "a", False), "x is 'a', expected not in ['a']"),
    (LeafResult("x", "not_equals", False, False, False), "x is false, expected != false"),
])
def test_describe(result, text):
    assert result.describe() == text


def test_describe_truncates_long_values():
    text = LeafResult("blob", "equals", "x", "y" * 500, False).describe()
    shown = text.split(" is ", 1)[1].split(", expected", 1)[0]
    assert len(shown) == 80 and shown.endswith("...")


def test_decisive_leaves_make_the_finding_message():
    outcome = All((PASS_A, FAIL_A, FAIL_B)).evaluate(DOCUMENT, {})
    message = "; ".join(r.describe() for r in outcome.decisive)
    assert message == "timeout is 900, expected <= 300; memory_size is 512, expected >= 1024"


# ----------------------------------------------------------- root_attributes

@pytest.mark.parametrize(("expression", "roots"), [
    ("versioning", {"versioning"}),
    ("pitr.status", {"pitr"}),
    ("autoscaling.read.max_capacity", {"autoscaling"}),
    ("tags.Environment", {"tags"}),
    ('tags."aws:cloudformation:stack-name"', {"tags"}),
    ("architectures[0]", {"architectures"}),
    ("length(api_integrations)", {"api_integrations"}),
    ("length(keys(method_settings))", {"method_settings"}),
    ("contains(architectures, 'arm64')", {"architectures"}),
    ("items[?a > b].c", {"items"}),                 # a, b, c belong to the elements
    ("items[?name == 'x'] | [0].size", {"items"}),
    ("items[*].size", {"items"}),
    ("items[].size", {"items"}),
    ("method_settings.*.logging_level", {"method_settings"}),
    ("a | b", {"a"}),                               # b reads a's result
    ("[timeout, memory_size]", {"timeout", "memory_size"}),
    ("{t: timeout, m: limits.soft}", {"timeout", "limits"}),
    ("timeout || memory_size", {"timeout", "memory_size"}),
    ("a && !b", {"a", "b"}),
    ("timeout > memory_size", {"timeout", "memory_size"}),
    ("`5`", set()),
    ("'literal'", set()),
    ("sort_by(items, &name)[0].size", {"items"}),   # &name reads each element
    ("max_by(api_integrations, &weight)", {"api_integrations"}),
    ("map(&source_arn, api_integrations)", {"api_integrations"}),
    ("@.pitr.status", {"pitr"}),                    # @ at the top is the resource itself
])
def test_root_attributes(expression, roots):
    assert root_attributes(expression) == roots


def test_root_attributes_of_an_invalid_expression_raises_a_jmespath_error():
    import jmespath.exceptions

    with pytest.raises(jmespath.exceptions.JMESPathError):
        root_attributes("items[?")
