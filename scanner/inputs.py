"""What several commands check before any AWS call: the policies they run, the config's
regions, the waivers file. Each bad input is exit 2 here, naming the file and the line."""

from __future__ import annotations

from collections.abc import Sequence

import click

from .config import Config
from .errors import InputError
from .policy.model import Policy
from .regions import ESCAPE_OPTION, unknown_region_problems
from .selection import Selection, known_policy_ids, select
from .waivers import WaiverFile, load_waivers


def prepare_policies(config: Config, policy_paths: Sequence[str],
                     selection: Selection | None = None) -> tuple[Config, list[Policy]]:
    """Load the policies, apply the config's overrides to the loaded ones (a note for each
    policy left out; an id no policy has is an error) and apply the selection."""
    from .policy import load_policies
    from .scan import configure_policies

    loaded = load_policies(list(policy_paths) or None, runbooks=config.runbooks())
    ids = {p.id for p in loaded}
    named = {*config.policies, *(pid for per in config.parameters.values() for pid in per)}
    known = ids if named <= ids else known_policy_ids(loaded)
    config, notes = config.restricted_to(ids, known)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    selected = select(configure_policies(loaded, config), selection or Selection())
    # The scan applies the overrides again, to what it is given: only the selected ones'.
    config, _ = config.restricted_to({p.id for p in selected}, known)
    return config, selected


def check_config_regions(config: Config) -> None:
    """The config's regions, checked like --regions: a typo is exit 2 at its line."""
    problems = [config.problem(("regions", index), message,
                               f"fix the name, or pass {ESCAPE_OPTION} for a region newer "
                               "than this installation's botocore")
                for index, region in enumerate(config.regions)
                for message in unknown_region_problems([region])]
    if problems:
        raise InputError(problems)


def load_optional_waivers(path: str | None) -> WaiverFile | None:
    """--waivers: the file, checked, or None when the option is not given."""
    return load_waivers(path) if path is not None else None
