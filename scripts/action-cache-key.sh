#!/usr/bin/env bash
# The composite action's cache key (action.yml): pip's download cache is kept per lock file, per
# runner OS and per Python version, so a changed lock or interpreter starts a fresh cache.
# hashFiles() cannot be used: it only reads the workspace, and a remote action's checkout (its
# lock file) lies outside it. Writes key= and pip-cache= to $GITHUB_OUTPUT.
set -euo pipefail

source_dir="${PREFLIGHT_SOURCE:?PREFLIGHT_SOURCE must name the directory of the action}"
lock="$source_dir/requirements/action.txt"
[ "${PREFLIGHT_MODE:-scan}" = iac ] && lock="$source_dir/requirements/action-iac.txt"
python="$("${PREFLIGHT_PYTHON:-python3}" -c 'import platform; print(platform.python_version())')"
digest="$(sha256sum "$lock" | cut -c1-16)"
{
  echo "key=preflight-pip-${RUNNER_OS:-$(uname -s)}-py$python-$(basename "$lock" .txt)-$digest"
  echo "pip-cache=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/preflight-pip-cache"
} >> "${GITHUB_OUTPUT:-/dev/stdout}"
