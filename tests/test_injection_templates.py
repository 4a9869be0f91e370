"""Remediation templates and template operands: no way out of the sandbox, and no way to
spend unbounded CPU or memory, rejected when the policy is validated."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest
from jinja2.sandbox import SecurityError
from preflight_scanner.cli import main
from preflight_scanner.errors import InputError
from preflight_scanner.policy import load_policy_file
from preflight_scanner.policy.growth import MAX_SIZE
from preflight_scanner.policy.sandbox import MAX_OUTPUT, render
from preflight_scanner.policy.templates import check_template

POLICY = """\
id: hostile
title: A policy from an untrusted pull request
description: Tries its luck.
severity: low
resource: aws.s3.bucket
check:
  attribute: versioning
  equals: Enabled
runbook: disaster-recovery#restore-s3-object-versions
"""

# Each asks for far more memory or CPU than a command could need.
BOMBS = [
    "{{ 'x' * 10**9 }}",
    "{{ [0] * 10**9 }}",
    "{{ 9 ** (9 ** 9) }}",
    "{{ 10 ** 100000 }}",
    "{{ 99999999999999999999 ** 100 * 99999999999999999999 ** 100 }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '%.999999999f' % 1 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '{:>999999999}'.format(name) }}",
    "{{ '{:{w}}'.format(name, w=999999999) }}",
    "{{ '{0:0999999999}'.format(1) }}",
    "{{ '%0999999999d'|format(1) }}",
    "{{ name|center(999999999) }}",
    "{{ name|indent(999999999) }}",
    "{{ name.ljust(999999999) }}",
    "{{ name.zfill(999999999) }}",
    "{{ ('\t' * 1000).expandtabs(999999) }}",
    "{{ ('x' * 5000)|replace('x', 'x' * 5000) }}",
    "{{ 'xx'|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx')"
    "|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx') }}",
    "{{ ('x' * 5000).replace('x', 'yyy') }}",
    "{{ ('x' * 9000).join(['a', 'b', 'c']) }}",
    "{{ ['x' * 9000, 'y' * 9000]|join }}",
    "{{ name|wordwrap(1, wrapstring='x' * 9000) }}",
    "{{ ('x' * 9000) + ('y' * 9000) }}",
    "{% set a = 'x' * 5000 %}{% set a = a ~ a ~ a %}{{ a }}",
    "{% set a = 'xxxxxxxxxxx' %}{% set a = a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a %}"
    "{% set a = a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a %}"
    "{% set a = a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a %}{{ a }}",
    "{% for a in 'x' * 9000 %}{% for b in 'x' * 9000 %}{{ a }}{% endfor %}{% endfor %}",
    "{% for a in [1] * 9000 %}{% for b in [1] * 9000 %}{% for c in [1] * 9000 %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{% for x in [1, 2] recursive %}{{ loop([x, x]) }}{% endfor %}",
    "{% macro m(n) %}{{ m(n) }}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "{% set a %}{{ name }}{{ name }}{% endset %}{{ a }}",
    "{% filter upper %}{% for a in 'x' * 9000 %}{{ a * 9000 }}{% endfor %}{% endfilter %}",
    "{{ [1, 2]|batch(999999999, 0)|list }}",
    "{{ [1, 2]|slice(999999999)|list }}",
    "x" * 5000,  # longer than any command
]

# Each reaches for Python objects, the environment or the file system.
ESCAPES = [
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}{{ os.system('id') }}",
    "{% from 'os' import system %}",
    "{% extends '/etc/passwd' %}",
    "{% block b %}{% endblock %}",
    "{{ name.__class__.__mro__ }}",
    "{{ name.format.__globals__ }}",
    "{{ '{0.__class__}'.format(name) }}",
    "{{ '{0.__class__.__mro__[1].__subclasses__}'.format(name) }}",
    "{{ resource.__init__ }}",
    "{{ params.__class__ }}",
    "{{ (name|string).__doc__ }}",
    "{{ name|attr('__class__') }}",
    "{{ tags|attr('__class__') }}",
    "{{ lipsum.__globals__ }}",
    "{{ range(10) }}",
    "{{ dict(a=1) }}",
    "{{ namespace() }}",
    "{{ joiner() }}",
    "{{ self }}",
    "{{ environment.__class__ }}",
    "{{ config }}",
    "{{ request }}",
    "{{ params.update({'a': 1}) }}",
    "{{ tags.pop('Environment') }}",
    "{{ name|random }}",
    "{{ name|urlize }}",
    "{{ name.translate({120: 'y' * 9000}) }}",
]


def problem_of(tmp_path: Path, template: str, where: str = "remediation"):
    if where == "remediation":
        text = POLICY + "remediation:\n  - " + json.dumps(template) + "\n"
    else:  # an operand rendered per resource
        text = POLICY.replace("equals: Enabled", "equals: {template: " + json.dumps(template) + "}")
    path = tmp_path / "hostile.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_policy_file(path)
    [problem] = info.value.problems
    assert problem.path == str(path)
    assert problem.line is not None
    return problem


@pytest.mark.parametrize("template", BOMBS, ids=range(len(BOMBS)))
@pytest.mark.parametrize("where", ["remediation", "operand"])
def test_a_template_that_would_exhaust_memory_or_cpu_is_rejected_at_validation(
        tmp_path, template, where):
    tracemalloc.start()
    started = time.process_time()
    try:
        problem = problem_of(tmp_path, template, where)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    spent = time.process_time() - started
    assert "sandbox" in problem.message or "characters" in problem.message, str(problem)
    assert problem.hint
    assert peak < 50_000_000, f"{peak:,} bytes to reject it"  # bounded memory ...
    assert spent < 5, f"{spent:.1f} s CPU to reject it"  # ... and bounded time


@pytest.mark.parametrize("template", ESCAPES, ids=range(len(ESCAPES)))
def test_a_template_that_reaches_outside_is_rejected_at_validation(tmp_path, template):
    problem = problem_of(tmp_path, template)
    assert any(word in problem.message for word in ("sandbox", "unknown name", "undefined",
                                                    "No filter", "fails on a sample")), \
        str(problem)


def test_validate_reports_a_bomb_as_a_clean_exit_2(tmp_path, capsys):
    path = tmp_path / "hostile.yml"
    path.write_text(POLICY + "remediation:\n  - \"{{ 'x' * 10**9 }}\"\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:11:" in err and "Traceback" not in err


def test_a_valid_template_becomes_a_bomb_only_with_hostile_data_and_is_stopped_then():
    """Data from AWS is bounded by AWS, but not by us: the caps hold at render time too."""
    template = "{{ name ~ name ~ name }} {% for t in tags %}{{ tags[t] }}{% endfor %}"
    assert check_template(template, ["aws.s3.bucket"], {}) is None
    huge = {"name": "n" * (MAX_SIZE // 2), "tags": {}}
    with pytest.raises(SecurityError):
        render(template, huge, {})
    many_tags = {"name": "n", "tags": {f"k{i}": "v" * 1000 for i in range(50)}}
    with pytest.raises(SecurityError, match=f"{MAX_OUTPUT:,}"):
        render(template, many_tags, {})
    assert render(template, {"name": "n", "tags": {"a": "1"}}, {}) == "nnn 1"


@pytest.mark.parametrize("template", [
    "aws s3api put-bucket-versioning --bucket {{ name | shquote }} --region {{ region }}",
    "{{ '%-20s|%5.2f' % (name, 3.14159) }} {{ '{:>30}'.format(name) }} {{ name|center(40) }}",
    "{% for k in tags|sort %}{{ k }}={{ tags[k] }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{% set rest = tags|list %}{{ (rest|join(' ')) ~ ' ' ~ (name|replace('-', '_')) }}",
    "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ a * b }}{% endfor %}{% endfor %}",
    "{{ (name ~ '-backup-' ~ scan_time[:10] | replace('-', '')) | shquote }}",
])
def test_ordinary_templates_still_validate(template):
    assert check_template(template, ["aws.s3.bucket"], {}) is None
