"""The built wheel, installed as a user installs it: one top-level name, nothing that shadows or
is shadowed by other distributions' `scanner`, `reports` or `policies`, and the base install (no
extras, so no cfn-lint) runs a live scan and a drill against moto and explains how to get
`preflight iac`.

The wheel is built once per session (or taken from PREFLIGHT_TEST_WHEEL, which .ci/run sets to
the wheel it built and tests), and installed into one virtual environment shared by these tests.
pip resolves the wheel's dependencies from the configured index and its cache.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from preflight_scanner.demo import estate
from preflight_scanner.demo.server import FAKE_CREDENTIALS

# Its module fixtures are built once: its tests stay on one xdist worker (pyproject addopts).
pytestmark = pytest.mark.xdist_group("test_packaging")

ROOT = Path(__file__).resolve().parent.parent
# The names other distributions own; Preflight's folders of the same names live inside
# preflight_scanner in the wheel (README, "Design").
GENERIC = ("scanner", "reports", "policies")
INSTALL_LINE = "pip install 'preflight-scanner[iac]'"


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None,
        timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("PREFLIGHT_TEST_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    # From a copy of the sources: an in-place build writes build/ and *.egg-info into the
    # checkout, where a stale build/lib or a second build at the same time broke it once.
    source = tmp_path_factory.mktemp("source") / "preflight"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".venv", "test-artifacts",
        ".*_cache"))
    done = run(sys.executable, "-m", "build", "--wheel", "--outdir", out, source, cwd=out,
               timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = out.glob("preflight_scanner-*.whl")
    return built


def stand_in_wheel(directory: Path, package: str) -> Path:
    """A tiny distribution `standin-<package>` owning the top-level package `package`, which
    refuses to be imported: Preflight must never import it, from any directory."""
    name, version = f"standin_{package}", "1.0"
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{package}/__init__.py": f"raise ImportError('the stand-in {package}, not Preflight')\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: standin-{package}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": ("Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                               "Tag: py3-none-any\n"),
        f"{dist_info}/top_level.txt": f"{package}\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    target = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return target


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment: the three stand-ins, then the wheel without extras."""
    home = tmp_path_factory.mktemp("venv")
    env_dir = home / "v"
    # Without a pip of its own: this process's pip installs into it (--python), which saves
    # ensurepip's seconds; --no-compile leaves byte-compiling to the imports that happen.
    done = run(sys.executable, "-m", "venv", "--without-pip", env_dir, cwd=home)
    assert done.returncode == 0, done.stderr
    stand_ins = [stand_in_wheel(home, package) for package in GENERIC]
    pip = [sys.executable, "-m", "pip", "--python", env_dir / "bin" / "python",
           "--disable-pip-version-check", "--quiet"]
    done = run(*pip, "install", "--no-compile", "--no-index", *stand_ins, cwd=home)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(*pip, "install", "--no-compile", wheel, cwd=home, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return env_dir


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory with a `reports/` package of its own, as a user's repository may have: run
    from there, Preflight must still use its own subpackage."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "__init__.py").write_text(
        "raise ImportError('the working directory\\'s reports, not Preflight\\'s')\n")
    return tmp_path


@pytest.fixture
def fake_aws(moto_endpoint: str) -> Iterator[dict[str, str]]:
    """The environment for the installed command: moto, fake credentials, no profile."""
    env = {**os.environ, **FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": moto_endpoint,
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    env.pop("AWS_PROFILE", None)
    yield env


def test_the_wheel_has_one_top_level_name(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [top_level] = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == ["preflight_scanner"]
        assert [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"preflight_scanner"}
    # the data files travel inside the package
    assert "preflight_scanner/policies/dynamodb-pitr-enabled.yml" in names
    assert "preflight_scanner/reports/schemas/report.schema.json" in names


def test_next_to_stand_ins_and_from_a_directory_with_its_own_reports(venv: Path, workdir: Path):
    python, preflight = venv / "bin" / "python", venv / "bin" / "preflight"
    # The stand-ins really own those names in this environment (found, not imported).
    probe = ("import importlib.util, json; print(json.dumps({n: importlib.util.find_spec(n).origin "
             f"for n in {GENERIC!r}}}))")
    done = run(python, "-c", probe, cwd=venv)
    owners = json.loads(done.stdout)
    assert all("site-packages" in origin for origin in owners.values()), owners
    assert run(python, "-c", "import reports", cwd=venv).returncode == 1  # the stand-in refuses

    done = run(preflight, "--version", cwd=workdir)
    assert done.returncode == 0 and done.stdout.startswith("preflight, version "), done.stderr
    builtin = run(python, "-c", "from preflight_scanner.policy.loader import builtin_policy_dir; "
                  "print(builtin_policy_dir())", cwd=workdir).stdout.strip()
    assert builtin.startswith(str(venv)), builtin  # the installed pack, not the checkout's
    done = run(preflight, "validate", builtin, cwd=workdir)
    assert done.returncode == 0, done.stdout + done.stderr
    # python -m puts the working directory first on sys.path: its reports/ must stay unused.
    done = run(python, "-m", "preflight_scanner", "--help", cwd=workdir)
    assert done.returncode == 0 and "Commands:" in done.stdout, done.stdout + done.stderr


def test_the_base_install_scans_and_drills_without_cfn_lint(venv: Path, workdir: Path,
                                                            fake_aws: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch):
    python, preflight = venv / "bin" / "python", venv / "bin" / "preflight"
    assert run(python, "-c", "import cfnlint", cwd=workdir).returncode == 1  # the iac extra
    for key in ("AWS_ENDPOINT_URL", *FAKE_CREDENTIALS):
        monkeypatch.setenv(key, fake_aws[key])
    estate.create_table(boto3.Session(), "us-east-1", "packaging-orders")  # no PITR: fails

    policy = run(python, "-c", "from preflight_scanner.policy.loader import builtin_policy_dir; "
                 "print(builtin_policy_dir() / 'dynamodb-pitr-enabled.yml')", cwd=workdir)
    done = run(preflight, "scan", "--policies", policy.stdout.strip(), "--regions", "us-east-1",
               "--out", "scan", cwd=workdir, env=fake_aws)
    assert done.returncode == 1, done.stdout + done.stderr  # the failure above, nothing else
    report = json.loads((workdir / "scan" / "report.json").read_text())
    failing = {(f["policy_id"], f["resource"]["id"]) for f in report["findings"]
               if f["status"] == "fail"}
    assert ("dynamodb-pitr-enabled", "packaging-orders") in failing

    done = run(preflight, "drill", "--regions", "us-east-1", "--out", "drill", cwd=workdir,
               env=fake_aws)
    assert done.returncode in (0, 1, 3), done.stdout + done.stderr
    assert json.loads((workdir / "drill" / "drill.json").read_text())["steps"]


def test_without_the_iac_extra_iac_prints_the_install_line_and_exits_2(venv: Path, workdir: Path):
    template = ROOT / "tests" / "data" / "iac" / "cfn" / "app.yaml"
    done = run(venv / "bin" / "preflight", "iac", template, cwd=workdir)
    assert done.returncode == 2, done.stdout + done.stderr
    assert INSTALL_LINE in done.stdout + done.stderr
