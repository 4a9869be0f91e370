#!/usr/bin/env bash
# mypy --strict on the package as installed: the checkout's scanner/, reports/ and policies/
# only become preflight_scanner when installed (pyproject's package-dir), so this checks a
# copy installed into a temporary folder, or the installed package folder given as $1 (CI
# passes the wheel's). The configuration is pyproject.toml's [tool.mypy].
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
package="${1:-}"
if [ -z "$package" ]; then
  target="$(mktemp -d)"
  trap 'rm -rf "$target"' EXIT
  python -m pip install --quiet --no-deps --target "$target" "$repo"
  package="$target/preflight_scanner"
fi
cd "$(dirname "$package")"
python -m mypy --config-file "$repo/pyproject.toml" --cache-dir "$repo/.mypy_cache" "$package"
