#!/usr/bin/env bash
# mypy --strict on the package as installed: the checkout's scanner/, reports/ and policies/
# only become preflight_scanner when installed (pyproject's package-dir), so this checks a
# copy installed into a temporary folder, or the installed package folder given as $1 (CI
# passes the wheel's). The configuration is pyproject.toml's [tool.mypy].
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# The package is checked from a folder of its own: from site-packages, mypy would take the
# other top-level modules there (typing_extensions.py) for the project's own.
target="$(mktemp -d)"
trap 'rm -rf "$target"' EXIT
if [ -n "${1:-}" ]; then
  cp -r "$1" "$target/preflight_scanner"
else
  python -m pip install --quiet --no-deps --target "$target" "$repo"
fi
package="$target/preflight_scanner"
cd "$target"
python -m mypy --config-file "$repo/pyproject.toml" --cache-dir "$target/.mypy_cache" "$package"
