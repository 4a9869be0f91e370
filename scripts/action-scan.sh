#!/usr/bin/env bash
# The composite action's scan step (action.yml), also usable on its own: runs `preflight scan`
# with the inputs given as PREFLIGHT_* environment variables (never spliced into a script),
# writes the report paths, the exit code and the counts to $GITHUB_OUTPUT, appends report.md to
# $GITHUB_STEP_SUMMARY, and exits with the gate's code (unless PREFLIGHT_FAIL=false).
#
#   PREFLIGHT_CONFIG PREFLIGHT_POLICIES (newline- or comma-separated) PREFLIGHT_REGIONS
#   PREFLIGHT_FORMATS PREFLIGHT_OUT PREFLIGHT_FAIL_ON PREFLIGHT_FAIL_ON_NEW PREFLIGHT_FAIL_ON_ERROR
#   PREFLIGHT_BASELINE PREFLIGHT_WAIVERS PREFLIGHT_MAX_WAIVER_DAYS PREFLIGHT_SHARD
#   PREFLIGHT_SUMMARY PREFLIGHT_FAIL; PREFLIGHT_BIN (default: preflight on PATH)
set -uo pipefail

bin="${PREFLIGHT_BIN:-preflight}"
out="${PREFLIGHT_OUT:-preflight-report}"
output_file="${GITHUB_OUTPUT:-/dev/null}"
summary_file="${GITHUB_STEP_SUMMARY:-}"

truthy() {
  case "${1,,}" in
    true | yes | 1 | on) return 0 ;;
    false | no | 0 | off | "") return 1 ;;
    *) echo "::error::expected true or false, not '$1'" >&2; exit 2 ;;
  esac
}

# Output values are single lines: a value with a newline could forge another output.
set_output() {
  case "$2" in
    *$'\n'* | *$'\r'*) echo "::error::refusing a multi-line value for output $1" >&2; exit 2 ;;
  esac
  printf '%s=%s\n' "$1" "$2" >> "$output_file"
}

args=(scan --out "$out")
[ -n "${PREFLIGHT_CONFIG:-}" ] && args+=(--config "$PREFLIGHT_CONFIG")
if [ -n "${PREFLIGHT_POLICIES:-}" ]; then
  while IFS= read -r policy; do
    policy="${policy#"${policy%%[![:space:]]*}"}"
    policy="${policy%"${policy##*[![:space:]]}"}"
    [ -n "$policy" ] && args+=(--policies "$policy")
  done < <(printf '%s\n' "$PREFLIGHT_POLICIES" | tr ',' '\n')
fi
[ -n "${PREFLIGHT_REGIONS:-}" ] && args+=(--regions "$PREFLIGHT_REGIONS")
[ -n "${PREFLIGHT_FORMATS:-}" ] && args+=(--format "$PREFLIGHT_FORMATS")
args+=(--fail-on "${PREFLIGHT_FAIL_ON:-low}")
truthy "${PREFLIGHT_FAIL_ON_NEW:-false}" && args+=(--fail-on-new)
if truthy "${PREFLIGHT_FAIL_ON_ERROR:-true}"; then args+=(--fail-on-error); else args+=(--no-fail-on-error); fi
if [ -n "${PREFLIGHT_BASELINE:-}" ]; then
  if [ -f "$PREFLIGHT_BASELINE" ]; then
    args+=(--baseline "$PREFLIGHT_BASELINE")
  else
    echo "::warning::no baseline at ${PREFLIGHT_BASELINE//[$'\r\n']/ }: scanning without one (every failure is new)"
  fi
fi
[ -n "${PREFLIGHT_WAIVERS:-}" ] && args+=(--waivers "$PREFLIGHT_WAIVERS")
[ -n "${PREFLIGHT_MAX_WAIVER_DAYS:-}" ] && args+=(--max-waiver-days "$PREFLIGHT_MAX_WAIVER_DAYS")
[ -n "${PREFLIGHT_SHARD:-}" ] && args+=(--shard "$PREFLIGHT_SHARD")

# What the scan prints comes partly from AWS (resource names): stop GitHub from reading any of
# it as a workflow command (::error::, ::add-mask::, ...).
token="preflight-$RANDOM$RANDOM$RANDOM"
echo "::stop-commands::$token"
"$bin" "${args[@]}"
code=$?
echo "::$token::"

set_output exit-code "$code"
set_output report-dir "$out"
report="$out/report.json"
if [ -f "$report" ]; then
  for pair in json:report.json html:report.html sarif:report.sarif junit:report.junit.xml md:report.md; do
    name="${pair%%:*}"
    file="$out/${pair#*:}"
    [ -f "$file" ] && set_output "report-$name" "$file"
  done
  python3 - "$report" >> "$output_file" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
by_status = report["summary"]["by_status"]
for status in ("pass", "fail", "error", "waived"):
    print(f"{status}={int(by_status.get(status, 0))}")
counts = (report.get("baseline") or {}).get("counts") or {}
print(f"new={int(counts.get('new', 0))}")
print(f"fixed={int(counts.get('fixed', 0))}")
PY
  if truthy "${PREFLIGHT_SUMMARY:-true}" && [ -n "$summary_file" ] && [ -f "$out/report.md" ]; then
    cat "$out/report.md" >> "$summary_file"
  fi
else
  echo "::error::Preflight wrote no report (exit code $code): see the messages above"
fi

case "$code" in
  0) ;;
  1) echo "::error::Preflight: failing checks at or above '${PREFLIGHT_FAIL_ON:-low}' (exit 1)" ;;
  3) echo "::error::Preflight: the scan was incomplete, something could not be read (exit 3)" ;;
  *) echo "::error::Preflight exited $code" ;;
esac
if truthy "${PREFLIGHT_FAIL:-true}"; then
  exit "$code"
fi
exit 0
