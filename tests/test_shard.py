"""--shard K/N: rendezvous hashing on the account id: deterministic, complete, disjoint, stable
under account additions, and close to even."""

from __future__ import annotations

import random

import pytest
from preflight_scanner.cli import main
from preflight_scanner.models import Account
from preflight_scanner.shard import Shard, assignment, parse_shard, shard_of

from tests.support import BUILTIN_POLICIES


def ids(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(n)]


def test_parse_shard():
    assert parse_shard("2/4") == Shard(2, 4) and str(parse_shard(" 1 / 1 ")) == "1/1"
    for bad, message in (("0/4", "between 1 and 4"), ("5/4", "between 1 and 4"),
                         ("1/0", "between 1 and 256"), ("2", "is not K/N"), ("a/b", "is not K/N")):
        with pytest.raises(ValueError, match=message):
            parse_shard(bad)


def test_every_account_is_in_exactly_one_shard_and_the_answer_is_deterministic():
    accounts = ids(300, 1)
    split = assignment(accounts, 4)
    assert sorted(a for part in split.values() for a in part) == sorted(accounts)
    assert {k: sorted(v) for k, v in assignment(list(reversed(accounts)), 4).items()} == \
        {k: sorted(v) for k, v in split.items()}  # independent of the order accounts come in
    for k, part in split.items():
        assert all(shard_of(a, 4) == k for a in part)
        assert Shard(k, 4).select([Account(a, a, "x") for a in accounts]) == \
            [Account(a, a, "x") for a in accounts if a in set(part)]
    # Not just "deterministic in this process": a fixed expectation, so a change to the hash
    # (which would reshuffle every pipeline's shards) fails here.
    assert [shard_of(a, 4) for a in ("111111111111", "222222222222", "333333333333",
                                     "123456789012")] == EXPECTED


EXPECTED = [2, 1, 1, 1]  # max over k of sha256("<id>/<k>")[:8], big-endian


def test_adding_accounts_moves_no_existing_account_and_changing_n_moves_few():
    accounts = ids(400, 2)
    before = {a: shard_of(a, 4) for a in accounts}
    more = accounts + ids(100, 3)
    assert all(shard_of(a, 4) == before[a] for a in accounts)  # additions move nothing
    assert len(assignment(more, 4)) == 4
    moved = sum(1 for a in accounts if shard_of(a, 5) != before[a])
    assert 0.1 * len(accounts) < moved < 0.3 * len(accounts)  # about 1/5, not a reshuffle
    # Whoever moves, moves to the new shard.
    assert all(shard_of(a, 5) == 5 for a in accounts if shard_of(a, 5) != before[a])


def test_the_split_is_close_to_even():
    sizes = [len(part) for part in assignment(ids(2000, 4), 4).values()]
    assert all(420 <= size <= 580 for size in sizes), sizes


def test_a_bad_shard_is_a_usage_error(tmp_path, capsys):
    assert main(["scan", "--out", str(tmp_path), "--shard", "3/2"]) == 2
    assert "--shard" in capsys.readouterr().err


@pytest.mark.parametrize(("variable", "value", "shard"), [
    ("JOB_COMPLETION_INDEX", "0", Shard(1, 4)),       # Kubernetes Indexed Job, 0-based
    ("AWS_BATCH_JOB_ARRAY_INDEX", "3", Shard(4, 4)),  # AWS Batch array job, 0-based
])
def test_auto_takes_the_index_from_the_job_engine(variable, value, shard):
    assert parse_shard("auto/4", {variable: value}) == shard


@pytest.mark.parametrize(("environ", "message"), [
    ({}, "needs JOB_COMPLETION_INDEX"),
    ({"JOB_COMPLETION_INDEX": "4"}, "between 1 and 4, not 5"),
    ({"JOB_COMPLETION_INDEX": "x"}, "is not a 0-based index"),
    ({"JOB_COMPLETION_INDEX": "1", "AWS_BATCH_JOB_ARRAY_INDEX": "2"}, "disagree"),
])
def test_auto_without_a_usable_index_is_refused(environ, message):
    with pytest.raises(ValueError, match=message):
        parse_shard("auto/4", environ)


def test_auto_shard_from_the_cli_runs_only_that_shards_accounts(aws, write_config, tmp_path,
                                                              monkeypatch, capsys):
    import json

    from preflight_scanner.demo import estate

    ids = estate.create_organization(["a", "b", "c", "d", "e"])
    config = write_config({"regions": ["us-east-1"], "role_name": estate.MEMBER_ROLE,
                           "accounts": [{"id": i, "environment": "prod"} for i in ids.values()]})
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "1")
    code = main(["scan", "--config", str(config), "--shard", "auto/3", "--out", str(tmp_path),
                 "--policies", str(BUILTIN_POLICIES / "guardduty-enabled.yml")])
    assert code in (0, 1), capsys.readouterr().err
    report = json.loads((tmp_path / "report.json").read_text())
    scanned = {a["id"] for a in report["scan"]["accounts"]}
    assert scanned == {i for i in ids.values() if shard_of(i, 3) == 2}
    assert report["scan"]["shard"] == {"index": 2, "count": 3}
    monkeypatch.delenv("JOB_COMPLETION_INDEX")
    assert main(["scan", "--config", str(config), "--shard", "auto/3", "--out", str(tmp_path)]) == 2
    assert "needs JOB_COMPLETION_INDEX" in capsys.readouterr().err
