"""scanner/policy/loader.py, schema.py and templates.py: every mistake gets file:line and a fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from preflight_scanner.errors import InputError, Problem
from preflight_scanner.models import Severity
from preflight_scanner.policy import builtin_policy_dir, load_policies, load_policy_file, policy_schema
from preflight_scanner.policy.conditions import All, Leaf, ParamRef
from preflight_scanner.policy.operators import OPERATORS, Operator
from preflight_scanner.resources import REGISTRY, Attribute, Call, CustomListing, ResourceType
from preflight_scanner.yamlfile import load_yaml

# A comment first, so that "line 1" is never right by accident.
VALID = """\
# A policy used by the tests
id: {id}
title: S3 buckets keep object versions
description: The runbook restores an earlier version.
severity: high
resource: aws.s3.bucket
check:
  attribute: versioning
  equals: Enabled
runbook: disaster-recovery#restore-s3-object-versions
"""


def pos(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of the first occurrence of ``needle``."""
    index = text.index(needle)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def policy_text(policy_id: str = "my-policy", replace: tuple[str, str] | None = None,
                append: str = "") -> str:
    text = VALID.format(id=policy_id)
    if replace:
        old, new = replace
        assert old in text, old
        text = text.replace(old, new, 1)
    return text + append


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_policy_file(path)
    return info.value.problems


def test_valid_policy_loads(tmp_path):
    path = write(tmp_path, "my-policy.yml", policy_text())
    policy = load_policy_file(path)
    assert policy.id == "my-policy"
    assert policy.severity is Severity.HIGH
    assert policy.resources == ("aws.s3.bucket",)
    assert policy.runbook == "disaster-recovery#restore-s3-object-versions"
    assert policy.source == str(path)
    assert isinstance(policy.check, Leaf)
    assert policy.check.operator is OPERATORS["equals"]
    assert policy.attributes() == {"versioning"}


def test_yaml_extension_and_parameters(tmp_path):
    text = policy_text(replace=("  attribute: versioning\n  equals: Enabled\n",
                                "  all:\n    - attribute: versioning\n      in: {param: allowed}\n"),
                       append="parameters:\n  allowed:\n    default: [Enabled]\n    description: ok\n")
    policy = load_policy_file(write(tmp_path, "my-policy.yaml", text))
    assert isinstance(policy.check, All)
    assert policy.check.items[0].operand == ParamRef("allowed")
    assert policy.defaults() == {"allowed": ["Enabled"]}


# (name, file name, text, needle locating the problem, message fragments, hint fragments)
MISTAKES = [
    ("missing required key", "my-policy.yml",
     policy_text(replace=("title: S3 buckets keep object versions\n", "")),
     "id:", ["'title'", "required"], ["add the missing key"]),
    ("unknown top-level key", "my-policy.yml",
     policy_text(append="colour: red\n"),
     "colour:", ["'colour'"], ["allowed keys", "severity", "remediation"]),
    ("bad severity", "my-policy.yml",
     policy_text(replace=("severity: high", "severity: urgent")),
     "severity:", ["'urgent'"], [s.value for s in Severity]),
    ("unregistered resource type", "my-policy.yml",
     policy_text(replace=("resource: aws.s3.bucket", "resource: aws.s3.bukkit")),
     "resource:", ["'aws.s3.bukkit'"], sorted(REGISTRY)),
    ("unregistered resource type in a list", "my-policy.yml",
     policy_text(replace=("resource: aws.s3.bucket", "resource: [aws.s3.bucket, aws.s3.nope]")),
     "aws.s3.nope", ["'aws.s3.nope'"], sorted(REGISTRY)),
    ("id not kebab-case", "Bad_Id.yml",
     policy_text("Bad_Id"),
     "id:", ["'Bad_Id'"], ["kebab-case"]),
    ("id differs from file name", "my-policy.yml",
     policy_text("other-policy"),
     "id:", ["'other-policy'", "'my-policy'"], ["rename the file to other-policy.yml", "id: my-policy"]),
    ("unknown attribute", "my-policy.yml",
     policy_text(replace=("attribute: versioning", "attribute: versionin.status")),
     "attribute:", ["aws.s3.bucket", "'versionin'"], sorted(REGISTRY["aws.s3.bucket"].attribute_names())),
    ("invalid JMESPath", "my-policy.yml",
     policy_text(replace=("attribute: versioning", "attribute: 'versioning[?'")),
     "attribute:", ["invalid JMESPath", "versioning[?"], ["jmespath.org"]),
    ("invalid regex", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "matches: '(['")),
     "matches:", ["regular expression"], ["pattern"]),
    ("leaf with two operators", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "equals: Enabled\n  not_equals: Suspended")),
     "not_equals:", ["exactly one operator"], list(OPERATORS)),
    ("leaf with no operator", "my-policy.yml",
     policy_text(replace=("  equals: Enabled\n", "")),
     "check:", ["exactly one operator"], list(OPERATORS)),
    ("nested leaf with two operators", "my-policy.yml",
     policy_text(replace=("  attribute: versioning\n  equals: Enabled\n",
                          "  any:\n    - attribute: versioning\n      equals: Enabled\n"
                          "    - attribute: mfa_delete\n      equals: Enabled\n      exists: true\n")),
     "exists: true", ["check/any/1", "exactly one operator"], list(OPERATORS)),
    ("unknown operator", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "equal: Enabled")),
     "equal:", ["unknown key 'equal'"], ["did you mean 'equals'?", *OPERATORS]),
    ("operand of the wrong type", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "gt: ten")),
     "gt:", ["'ten'", "gt"], ["number", "{param: name}"]),
    ("unknown param", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "equals: {param: wanted}")),
     "equals:", ["unknown parameter 'wanted'"], ["declare it under parameters"]),
    ("param name that is not a string", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "equals: {param: [wanted]}")),
     "equals:", ["unknown parameter"], ["declare it under parameters"]),
    ("attribute reference that is not a string", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "equals: {attribute: 5}")),
     "attribute: 5", ["attribute reference"], ["JMESPath"]),
    ("unknown attribute in an attribute reference", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "equals: {attribute: mfa_delet}")),
     "attribute: mfa_delet", ["'mfa_delet'"], ["mfa_delete"]),
    ("invalid regex in a matches parameter's default", "my-policy.yml",
     policy_text(replace=("equals: Enabled", "matches: {param: pattern}"),
                 append="parameters:\n  pattern:\n    default: '(['\n"),
     "matches:", ["regular expression"], ["pattern"]),
    ("bad runbook reference", "my-policy.yml",
     policy_text(replace=("runbook: disaster-recovery#restore-s3-object-versions",
                          "runbook: Disaster Recovery.md")),
     "runbook:", ["'Disaster Recovery.md'"], ["runbook-file#section-anchor"]),
    ("runbook without an anchor", "my-policy.yml",
     policy_text(replace=("#restore-s3-object-versions", "")),
     "runbook:", ["'disaster-recovery'"], ["runbook-file#section-anchor"]),
    ("template syntax error", "my-policy.yml",
     policy_text(append='remediation:\n  - "aws s3api put-bucket-versioning --bucket {{ name "\n'),
     '"aws s3api', ["syntax error"], ["jinja"]),
    ("template with an unknown variable", "my-policy.yml",
     policy_text(append='remediation:\n  - "aws s3api get-bucket-versioning --bucket {{ bucket_nmae }}"\n'),
     '"aws s3api', ["unknown name", "'bucket_nmae'"], ["params.<name>", "shquote"]),
    ("not a mapping", "my-policy.yml",
     "# a list\n- id: my-policy\n",
     "- id", ["mapping"], ["example"]),
]


@pytest.mark.parametrize(("file_name", "text", "needle", "says", "hints"),
                         [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_located_explained_and_has_a_fix(tmp_path, file_name, text, needle, says, hints):
    path = write(tmp_path, file_name, text)
    (problem,) = problems_of(path)
    assert problem.path == str(path)
    assert (problem.line, problem.column) == pos(text, needle), str(problem)
    for fragment in says:
        assert fragment in problem.message, str(problem)
    assert problem.hint, str(problem)
    for fragment in hints:
        assert fragment in problem.hint, str(problem)
    assert str(problem).startswith(f"{path}:{problem.line}:{problem.column}: ")


def test_several_problems_in_one_file_are_all_reported(tmp_path):
    text = policy_text("other-name", replace=(
        "  attribute: versioning\n  equals: Enabled\n",
        "  all:\n    - attribute: versionin\n      equals: Enabled\n"
        "    - attribute: mfa_delete\n      equals: {param: nope}\n"))
    path = write(tmp_path, "my-policy.yml", text)
    problems = problems_of(path)
    assert sorted(p.line for p in problems) == sorted([pos(text, "id:")[0], pos(text, "versionin\n")[0],
                                                    pos(text, "{param: nope}")[0]])
    assert any("'versionin'" in p.message for p in problems)
    assert any("'nope'" in p.message for p in problems)
    assert any("differs from the file name" in p.message for p in problems)


def test_several_schema_problems_are_all_reported(tmp_path):
    text = policy_text(replace=("severity: high", "severity: urgent"), append="colour: red\n")
    text = text.replace("runbook: disaster-recovery#restore-s3-object-versions", "runbook: nope")
    path = write(tmp_path, "my-policy.yml", text)
    lines = sorted(p.line for p in problems_of(path))
    assert lines == sorted([pos(text, "severity:")[0], pos(text, "colour:")[0], pos(text, "runbook:")[0]])


def test_a_directory_with_several_bad_files_reports_all_of_them(tmp_path):
    good = write(tmp_path, "good-one.yml", policy_text("good-one"))
    bad = {
        write(tmp_path, "bad-severity.yml",
              policy_text("bad-severity", replace=("severity: high", "severity: urgent"))),
        write(tmp_path, "nested/bad-attribute.yml",
              policy_text("bad-attribute", replace=("attribute: versioning", "attribute: nope"))),
        write(tmp_path, "bad-yaml.yml", "id: bad-yaml\ntitle: [unclosed\n"),
        write(tmp_path, "wrong-name.yml", policy_text("right-name")),
    }
    with pytest.raises(InputError) as info:
        load_policies([tmp_path])
    problems = info.value.problems
    assert {p.path for p in problems} == {str(p) for p in bad}
    assert str(good) not in {p.path for p in problems}
    assert all(p.line is not None for p in problems)
    # The CLI prints one line per problem: the exception's text has them all.
    assert len(str(info.value).splitlines()) == len(problems)


def test_runbooks_directory_and_other_files_are_not_policies(tmp_path):
    write(tmp_path, "only-one.yml", policy_text("only-one"))
    write(tmp_path, "runbooks/not-a-policy.yml", "this: is not a policy\n")
    write(tmp_path, "README.md", "# notes\n")
    assert [p.id for p in load_policies([tmp_path])] == ["only-one"]


def test_duplicate_ids_across_two_files(tmp_path):
    first = write(tmp_path, "a/same-id.yml", policy_text("same-id"))
    text = policy_text("same-id")
    second = write(tmp_path, "b/same-id.yml", text)
    with pytest.raises(InputError) as info:
        load_policies([tmp_path])
    (problem,) = info.value.problems
    assert problem.path == str(second)
    assert (problem.line, problem.column) == pos(text, "id:")
    assert "'same-id'" in problem.message
    assert str(first) in problem.message
    assert "unique" in problem.hint


def test_no_policy_files_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no policy files"):
        load_policies([tmp_path])


def test_missing_path_is_an_error(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(InputError) as info:
        load_policies([missing])
    (problem,) = info.value.problems
    assert problem.path == str(missing)
    assert "no such file" in problem.message


# --------------------------------------------------------------- templates

SANDBOX_ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ ''['__class__'] }}",
    "{{ ''|attr('__class__') }}",
    "{{ name.__class__.__base__.__subclasses__() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ resource.__class__ }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ self }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch {marker}') }}",
    "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__ }}",
    "{{ range(10) }}",
    "{{ params.update({'x': 1}) }}",
    # Branches the sample resource does not take must be checked too.
    "{% if name == 'not-the-sample' %}{{ ''.__class__.__mro__ }}{% endif %}",
    "{% if name == 'not-the-sample' %}{{ cycler.__init__.__globals__.os }}{% endif %}",
    "{% if name == 'not-the-sample' %}{{ self }}{% endif %}",
]


@pytest.mark.parametrize("template", SANDBOX_ESCAPES)
def test_template_sandbox_escapes_are_rejected_at_validation(tmp_path, template):
    marker = tmp_path / "pwned"
    source = template.replace("{marker}", str(marker))
    text = policy_text(append=f"remediation:\n  - safe {{{{ name }}}}\n  - >-\n    {source}\n")
    path = write(tmp_path, "my-policy.yml", text)
    (problem,) = problems_of(path)
    assert (problem.line, problem.column) == pos(text, ">-")  # remediation/1
    assert ("sandbox" in problem.message or "unknown name" in problem.message), str(problem)
    assert problem.hint
    assert not marker.exists()


def test_unknown_name_in_a_branch_the_sample_does_not_take(tmp_path):
    text = policy_text(append="remediation:\n  - \"{% if name == 'x' %}{{ bucket_nmae }}{% endif %}\"\n")
    (problem,) = problems_of(write(tmp_path, "my-policy.yml", text))
    assert "'bucket_nmae'" in problem.message


def test_safe_templates_validate(tmp_path):
    text = policy_text(append=(
        "parameters:\n  status:\n    default: Enabled\n"
        "remediation:\n"
        "  - aws s3api put-bucket-versioning --bucket {{ name | shquote }} --region {{ region }}\n"
        "  - \"{% for k in tags %}{{ k }}={{ tags[k] }} {% endfor %}{{ params.status | lower }}\"\n"
        "  - \"{{ resource.name }} {{ account_id }} {{ versioning if versioning else 'none' }}\"\n"))
    policy = load_policy_file(write(tmp_path, "my-policy.yml", text))
    assert len(policy.remediation) == 3


# ------------------------------------------------------------------ schema

def test_policy_schema_is_a_valid_draft_2020_12_schema():
    schema = policy_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_policy_schema_lists_every_resource_type_and_operator():
    schema = policy_schema()
    single, multiple = schema["properties"]["resource"]["anyOf"]
    assert set(single["enum"]) == set(REGISTRY)
    assert set(multiple["items"]["enum"]) == set(REGISTRY)
    leaf = schema["$defs"]["leaf"]["properties"]
    assert set(leaf) == {"attribute", "message", *OPERATORS}
    for name, op in OPERATORS.items():
        assert leaf[name]["description"] == op.description
        assert op.operand_schema in leaf[name]["anyOf"]
    attributes = schema["$defs"]["attributes"]["properties"]
    assert {name: set(a["enum"]) for name, a in attributes.items()} == {
        name: set(t.attribute_names()) for name, t in REGISTRY.items()}
    assert schema["properties"]["severity"]["enum"] == [s.value for s in Severity]


def test_policy_schema_follows_the_registries(monkeypatch):
    fake = ResourceType("aws.fake.widget", "A test widget",
                        CustomListing((Call("fake", "ListWidgets"),), lambda ctx: [],
                                      (Attribute("colour", "Colour", "red"),)))
    monkeypatch.setitem(REGISTRY, fake.name, fake)
    monkeypatch.setitem(OPERATORS, "starts_with",
                        Operator("starts_with", "Starts with", {"type": "string"},
                                 lambda a, e: str(a).startswith(e)))
    schema = policy_schema()
    Draft202012Validator.check_schema(schema)
    assert "aws.fake.widget" in schema["properties"]["resource"]["anyOf"][0]["enum"]
    assert "starts_with" in schema["$defs"]["leaf"]["properties"]
    assert "colour" in schema["$defs"]["attributes"]["properties"]["aws.fake.widget"]["enum"]
    validator = Draft202012Validator(schema)
    data = load_yaml("x.yml", policy_text(replace=("resource: aws.s3.bucket", "resource: aws.fake.widget"))
                     .replace("equals: Enabled", "starts_with: Ena")).data
    assert list(validator.iter_errors(data)) == []


# ------------------------------------------------------------ built-in pack

BUILTIN = sorted(builtin_policy_dir().glob("*.yml"))


def test_builtin_pack_is_not_empty():
    assert len(BUILTIN) >= 6


@pytest.mark.parametrize("path", BUILTIN, ids=[p.stem for p in BUILTIN])
def test_builtin_policy_validates_and_its_id_is_its_file_name(path):
    Draft202012Validator(policy_schema()).validate(load_yaml(path).data)
    policy = load_policy_file(path)
    assert policy.id == path.stem
    for type_name in policy.resources:
        assert policy.attributes() <= set(REGISTRY[type_name].attribute_names())


@pytest.mark.parametrize("path", BUILTIN, ids=[p.stem for p in BUILTIN])
def test_builtin_runbook_reference_names_an_existing_section(path):
    policy = load_policy_file(path)
    file, anchor = policy.runbook.split("#")
    runbook = builtin_policy_dir() / "runbooks" / f"{file}.md"
    assert runbook.is_file(), runbook
    headings = re.findall(r"^#+ (.+)$", runbook.read_text(encoding="utf-8"), flags=re.MULTILINE)
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-") for h in headings}
    assert anchor in anchors


def test_load_policies_defaults_to_the_builtin_pack():
    policies = load_policies()
    assert [p.id for p in policies] == sorted(p.stem for p in BUILTIN)


# ---------------------------------------------------- several resource types

REST, HTTP = "aws.apigateway.stage", "aws.apigatewayv2.stage"
REST_ONLY = sorted(set(REGISTRY[REST].attribute_names()) - set(REGISTRY[HTTP].attribute_names()))
HTTP_ONLY = sorted(set(REGISTRY[HTTP].attribute_names()) - set(REGISTRY[REST].attribute_names()))
SHARED = sorted(set(REGISTRY[REST].attribute_names()) & set(REGISTRY[HTTP].attribute_names()))


def two_types(attribute: str, append: str = "") -> str:
    return policy_text(replace=("resource: aws.s3.bucket", f"resource: [{REST}, {HTTP}]"),
                       append=append).replace("attribute: versioning", f"attribute: {attribute}")


def test_two_types_with_a_shared_attribute(tmp_path):
    assert "throttling" in SHARED
    policy = load_policy_file(write(tmp_path, "my-policy.yml", two_types("throttling.rate_limit")))
    assert policy.resources == (REST, HTTP)


@pytest.mark.parametrize(("attribute", "lacking"), [
    (REST_ONLY[0], HTTP),
    (HTTP_ONLY[0], REST),
])
def test_two_types_check_attributes_against_both(tmp_path, attribute, lacking):
    text = two_types(attribute)
    (problem,) = problems_of(write(tmp_path, "my-policy.yml", text))
    assert problem.message == f"{lacking} has no attribute {attribute!r}"
    assert (problem.line, problem.column) == pos(text, "attribute:")
    assert problem.hint == "available: " + ", ".join(sorted(REGISTRY[lacking].attribute_names()))


def test_two_types_check_templates_against_both(tmp_path):
    text = two_types("throttling", append=f"remediation:\n  - echo {{{{ {HTTP_ONLY[0]} }}}}\n")
    (problem,) = problems_of(write(tmp_path, "my-policy.yml", text))
    assert REST in problem.message
    guarded = two_types("throttling", append=(
        f"remediation:\n  - \"{{% if {HTTP_ONLY[0]} is defined %}}{{{{ {HTTP_ONLY[0]} }}}}{{% endif %}}\"\n"))
    assert load_policy_file(write(tmp_path, "my-policy.yml", guarded)).remediation
