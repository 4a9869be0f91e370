#!/usr/bin/env bash
# The composite action's run step (action.yml), also usable on its own: runs Preflight in one
# mode with the inputs given as PREFLIGHT_* environment variables (never spliced into a script),
# writes the report paths, the exit code and the counts to $GITHUB_OUTPUT, appends the Markdown
# report to $GITHUB_STEP_SUMMARY, and exits with the gate's code (unless PREFLIGHT_FAIL=false).
#
#   PREFLIGHT_MODE: scan (default) | iac | drill | runbooks
#     scan      preflight scan: the accounts and regions of the config
#     iac       preflight iac PREFLIGHT_PATHS (separated by commas or whitespace), with
#               PREFLIGHT_PARAMETERS_FILE and PREFLIGHT_ENVIRONMENT
#     drill     preflight drill: drill.json/html/md; PREFLIGHT_BASELINE is the previous drill.json
#     runbooks  preflight validate: every policy's runbook reference must resolve to a section of
#               the config's runbooks (or the built-in ones). There is no `preflight runbooks
#               lint` yet; this is the check the CLI offers today.
#   PREFLIGHT_CONFIG PREFLIGHT_POLICIES (newline- or comma-separated) PREFLIGHT_REGIONS
#   PREFLIGHT_FORMATS PREFLIGHT_OUT PREFLIGHT_FAIL_ON PREFLIGHT_FAIL_ON_NEW PREFLIGHT_FAIL_ON_ERROR
#   PREFLIGHT_BASELINE PREFLIGHT_WAIVERS PREFLIGHT_MAX_WAIVER_DAYS PREFLIGHT_SHARD
#   PREFLIGHT_SUMMARY PREFLIGHT_FAIL PREFLIGHT_UPLOAD_SARIF (adds sarif to the formats);
#   PREFLIGHT_BIN (default: preflight on PATH)
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

mode="${PREFLIGHT_MODE:-scan}"
formats="${PREFLIGHT_FORMATS:-}"
if truthy "${PREFLIGHT_UPLOAD_SARIF:-false}" && [[ ",$formats," != *,sarif,* ]]; then
  formats="${formats:+$formats,}sarif"
fi

# One argument per non-empty item of a newline- or comma-separated list, trimmed.
items() {
  local item
  while IFS= read -r item; do
    item="${item#"${item%%[![:space:]]*}"}"
    item="${item%"${item##*[![:space:]]}"}"
    [ -n "$item" ] && printf '%s\0' "$item"
  done < <(printf '%s\n' "$1" | tr ',' '\n')
}

add_policies() {
  local policy
  while IFS= read -r -d '' policy; do args+=(--policies "$policy"); done < <(items "${PREFLIGHT_POLICIES:-}")
}

add_gate() {
  [ -n "$formats" ] && args+=(--format "$formats")
  args+=(--fail-on "${PREFLIGHT_FAIL_ON:-low}")
  if truthy "${PREFLIGHT_FAIL_ON_ERROR:-true}"; then args+=(--fail-on-error); else args+=(--no-fail-on-error); fi
  [ -n "${PREFLIGHT_WAIVERS:-}" ] && args+=(--waivers "$PREFLIGHT_WAIVERS")
  return 0
}

# The previous result to compare with, when it exists (a first run has none).
baseline() {
  [ -n "${PREFLIGHT_BASELINE:-}" ] || return 1
  [ -f "$PREFLIGHT_BASELINE" ] && return 0
  echo "::warning::no baseline at ${PREFLIGHT_BASELINE//[$'\r\n']/ }: running without one (every failure is new)"
  return 1
}

scan_args() {
  args=(scan --out "$out")
  [ -n "${PREFLIGHT_CONFIG:-}" ] && args+=(--config "$PREFLIGHT_CONFIG")
  add_policies
  [ -n "${PREFLIGHT_REGIONS:-}" ] && args+=(--regions "$PREFLIGHT_REGIONS")
  add_gate
  truthy "${PREFLIGHT_FAIL_ON_NEW:-false}" && args+=(--fail-on-new)
  baseline && args+=(--baseline "$PREFLIGHT_BASELINE")
  [ -n "${PREFLIGHT_MAX_WAIVER_DAYS:-}" ] && args+=(--max-waiver-days "$PREFLIGHT_MAX_WAIVER_DAYS")
  [ -n "${PREFLIGHT_SHARD:-}" ] && args+=(--shard "$PREFLIGHT_SHARD")
  return 0
}

iac_args() {
  local path
  args=(iac --out "$out")
  # Whitespace separates paths too: the pre-deploy gate's iac-paths is space-separated.
  while IFS= read -r -d '' path; do args+=("$path"); done < <(items "${PREFLIGHT_PATHS//[[:space:]]/,}")
  if [ "${#args[@]}" -eq 3 ]; then
    echo "::error::mode iac needs the paths input: templates, cdk.out directories or plan JSON files"
    exit 2
  fi
  [ -n "${PREFLIGHT_CONFIG:-}" ] && args+=(--config "$PREFLIGHT_CONFIG")
  add_policies
  add_gate
  [ -n "${PREFLIGHT_PARAMETERS_FILE:-}" ] && args+=(--parameters-file "$PREFLIGHT_PARAMETERS_FILE")
  [ -n "${PREFLIGHT_ENVIRONMENT:-}" ] && args+=(--environment "$PREFLIGHT_ENVIRONMENT")
  return 0
}

drill_args() {
  args=(drill --out "$out")
  [ -n "${PREFLIGHT_CONFIG:-}" ] && args+=(--config "$PREFLIGHT_CONFIG")
  add_policies
  [ -n "${PREFLIGHT_REGIONS:-}" ] && args+=(--regions "$PREFLIGHT_REGIONS")
  [ -n "${PREFLIGHT_WAIVERS:-}" ] && args+=(--waivers "$PREFLIGHT_WAIVERS")
  baseline && args+=(--since "$PREFLIGHT_BASELINE")
  return 0
}

runbooks_args() {
  local policy given=0
  args=(validate)
  [ -n "${PREFLIGHT_CONFIG:-}" ] && args+=(--config "$PREFLIGHT_CONFIG")
  while IFS= read -r -d '' policy; do args+=("$policy"); given=1; done < <(items "${PREFLIGHT_POLICIES:-}")
  if [ "$given" = 0 ]; then  # the built-in pack, found by the interpreter Preflight runs on
    args+=("$("$(dirname "$(command -v "$bin")")/python" -c \
      'from preflight_scanner.policy.loader import builtin_policy_dir; print(builtin_policy_dir())')")
  fi
}

case "$mode" in
  scan) scan_args; stem=report ;;
  iac) iac_args; stem=report ;;
  drill) drill_args; stem=drill ;;
  runbooks) runbooks_args; stem="" ;;
  *) echo "::error::mode must be scan, iac, drill or runbooks, not '${mode//[$'\r\n']/ }'"; exit 2 ;;
esac

# What the scan prints comes partly from AWS (resource names): stop GitHub from reading any of
# it as a workflow command (::error::, ::add-mask::, ...).
token="preflight-$RANDOM$RANDOM$RANDOM"
echo "::stop-commands::$token"
"$bin" "${args[@]}"
code=$?
echo "::$token::"

set_output exit-code "$code"
[ -n "$stem" ] && set_output report-dir "$out"
report="$out/$stem.json"
if [ -z "$stem" ]; then
  : # runbooks: what it checked is in the log; there is no report
elif [ -f "$report" ]; then
  for pair in json:json html:html sarif:sarif junit:junit.xml md:md; do
    file="$out/$stem.${pair#*:}"
    [ -f "$file" ] && set_output "report-${pair%%:*}" "$file"
  done
  if [ "$stem" = report ]; then
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
  fi
  if truthy "${PREFLIGHT_SUMMARY:-true}" && [ -n "$summary_file" ] && [ -f "$out/$stem.md" ]; then
    cat "$out/$stem.md" >> "$summary_file"
  fi
  # The github format: workflow-command annotations (already escaped by the renderer), which
  # GitHub reads only from the step's output, so they are printed.
  if [ -f "$out/$stem.annotations.txt" ]; then
    cat "$out/$stem.annotations.txt"
  fi
else
  echo "::error::Preflight wrote no report (exit code $code): see the messages above"
fi

case "$code" in
  0) ;;
  1) if [ "$mode" = drill ]; then
       echo "::error::Preflight: the drill's readiness target is not met (exit 1)"
     else
       echo "::error::Preflight: failing checks at or above '${PREFLIGHT_FAIL_ON:-low}' (exit 1)"
     fi ;;
  2) echo "::error::Preflight: invalid input (exit 2): see the messages above" ;;
  3) echo "::error::Preflight: the $mode was incomplete, something could not be read (exit 3)" ;;
  *) echo "::error::Preflight exited $code" ;;
esac
if truthy "${PREFLIGHT_FAIL:-true}"; then
  exit "$code"
fi
exit 0
