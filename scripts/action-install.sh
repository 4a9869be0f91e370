#!/usr/bin/env bash
# The composite action's install step (action.yml): Preflight from the action's own source
# (PREFLIGHT_SOURCE, the action's path) into a virtual environment of its own, put on PATH for
# the following steps. Nothing is downloaded but Preflight's dependencies from the package index.
set -euo pipefail

source_dir="${PREFLIGHT_SOURCE:?PREFLIGHT_SOURCE must name the directory of the action}"
python="${PREFLIGHT_PYTHON:-python3}"
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/preflight-venv"

"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Preflight needs Python 3.11 or newer: set the python input or run actions/setup-python first")'
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$source_dir"
"$venv/bin/preflight" --version
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$venv/bin" >> "$GITHUB_PATH"
fi
