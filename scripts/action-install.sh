#!/usr/bin/env bash
# The composite action's install step (action.yml): Preflight into a virtual environment of its
# own, put on PATH for the following steps.
#
#   PREFLIGHT_SOURCE        the action's directory (its checkout: lock files, pyproject.toml)
#   PREFLIGHT_INSTALL_FROM  pypi (default): preflight-scanner==<the action's version> from the
#                           package index; source: built from the action's checkout
#   PREFLIGHT_MODE          iac installs the iac extra's dependencies (cfn-lint) too
#   PREFLIGHT_PYTHON        the interpreter to create the environment with (default python3)
#
# Dependencies come only from the hash-pinned lock file (requirements/action.txt, or
# action-iac.txt for the iac mode), installed with --require-hashes --no-deps: a package or a
# file the lock does not name cannot get in. Preflight itself is then added with --no-deps and
# `pip check` proves the lock satisfies it. The version is the action's own (pyproject.toml at
# the action's ref), so pinning the action by commit pins Preflight as well.
set -euo pipefail

source_dir="${PREFLIGHT_SOURCE:?PREFLIGHT_SOURCE must name the directory of the action}"
python="${PREFLIGHT_PYTHON:-python3}"
install_from="${PREFLIGHT_INSTALL_FROM:-pypi}"
mode="${PREFLIGHT_MODE:-scan}"
venv="${PREFLIGHT_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/preflight-venv}"

lock="$source_dir/requirements/action.txt"
[ "$mode" = iac ] && lock="$source_dir/requirements/action-iac.txt"

case "$install_from" in
  pypi | source) ;;
  *) echo "::error::install-from must be pypi or source, not '${install_from//[$'\r\n']/ }'" >&2; exit 2 ;;
esac

"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Preflight needs Python 3.11 or newer: set the python input or run actions/setup-python first")'
version="$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$source_dir/pyproject.toml")"

"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
"${pip[@]}" install --require-hashes --no-deps --only-binary :all: -r "$lock"
if [ "$install_from" = source ]; then
  # The locked setuptools builds it: no build environment fetched from the index.
  "${pip[@]}" install --no-deps --no-build-isolation "$source_dir"
else
  "${pip[@]}" install --no-deps --only-binary :all: "preflight-scanner==$version"
fi
"${pip[@]}" check
"$venv/bin/preflight" --version
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$venv/bin" >> "$GITHUB_PATH"
fi
