"""`preflight test`: run the test cases of policies, without AWS."""

from __future__ import annotations

import click

from ..errors import InputError, Problem


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(),
              help="Policy file or directory (repeatable). Default: the built-in pack.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text",
              show_default=True, help="Output on stdout.")
def test(paths: tuple[str, ...], policy_paths: tuple[str, ...], fmt: str) -> int:
    """Run policy test cases: PATH is a case file or a directory of them; without PATH,
    the cases beside every loaded policy (tests/<policy-id>.yml). Exit 0 when every case
    passes, 1 when one fails, 2 on invalid input."""
    from ..policy import load_policies
    from ..policytest import (
        Format,
        files_beside,
        find_case_files,
        load_cases,
        render,
        run_cases,
    )

    policies = load_policies(list(policy_paths) or None)
    untested: list[str] = []  # given paths: only their cases are asked for
    if paths:
        files = find_case_files(paths)
    else:
        files, untested = files_beside(policies)
    cases = load_cases(files, policies)
    if not cases:  # nothing ran: that is not "every case passed"
        where = ", ".join(paths) or "tests/ beside the loaded policies"
        raise InputError([Problem(where, None, None, "no test cases found",
                                  "write tests/<policy-id>.yml beside a policy (README, "
                                  "\"Testing policies\")")])
    run = run_cases(cases, policies, untested)
    click.echo(render(run, Format(fmt)), nl=False)
    return run.exit_code
