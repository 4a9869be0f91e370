#!/usr/bin/env bash
# Regenerates the hash-pinned lock files from their inputs (pyproject.toml's dependencies and the
# .in files beside this script) with uv's resolver, for every platform and Python 3.11 and newer:
#
#   pip install uv && bash requirements/compile.sh
#
# action.txt / action-iac.txt: what the composite action installs beside Preflight (the iac mode
# also needs the iac extra, cfn-lint); release.txt: the release workflow's tools. Dependabot's
# pip ecosystem proposes updates to them; rerun this after changing pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

compile() {
  uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
    --custom-compile-command "bash requirements/compile.sh" "$@"
}

compile pyproject.toml requirements/action.in -o requirements/action.txt
compile pyproject.toml requirements/action.in --extra iac -o requirements/action-iac.txt
compile requirements/release.in -o requirements/release.txt
