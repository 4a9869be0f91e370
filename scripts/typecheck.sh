#!/usr/bin/env bash
# mypy --strict on the package as installed: the checkout's scanner/, reports/ and policies/
# only become preflight_scanner when installed (pyproject's package-dir), so this checks a
# copy installed into a temporary folder, or the installed package folder given as $1 (CI
# passes the wheel's). The configuration is pyproject.toml's [tool.mypy].
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# The package is checked from a folder of its own: from site-packages, mypy would take the
# other top-level modules there (typing_extensions.py) for the project's own.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
target="$work/site"
mkdir "$target"
if [ -n "${1:-}" ]; then
  cp -r "$1" "$target/preflight_scanner"
else
  # From a copy of the sources: pip builds in the tree it is given, and a build/ left in the
  # checkout keeps deleted modules that later builds would pick up.
  mkdir "$work/src"
  (cd "$repo" && tar --exclude=./.git --exclude=./build --exclude='*.egg-info' \
    --exclude=./.venv --exclude=./test-artifacts -cf - .) | (cd "$work/src" && tar -xf -)
  python -m pip install --quiet --no-deps --target "$target" "$work/src"
fi
package="$target/preflight_scanner"
cd "$target"
python -m mypy --config-file "$repo/pyproject.toml" --cache-dir "$work/.mypy_cache" "$package"
