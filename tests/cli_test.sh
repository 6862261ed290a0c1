#!/usr/bin/env bash
# cli_test.sh — end-to-end checks of the fusor binary (exit codes, messages, no partial outputs).
# Prints "N passed, N failed" and exits non-zero on any failure. Usage: tests/cli_test.sh build/fusor
set -u
FUSOR=${1:-build/fusor}
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok   cli: $1"; }
bad() { fail=$((fail+1)); echo "FAIL cli: $1"; }
# expect NAME EXIT_CODE GREP_PATTERN -- command...
expect() {
  local name=$1 code=$2 pat=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$code" ]; then bad "$name (exit $rc, expected $code): $out"; return; fi
  if [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then bad "$name (output lacks /$pat/): $out"; return; fi
  ok "$name"
}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

expect version 0 "^fusor [0-9]" -- "$FUSOR" --version
expect help 0 "commands:" -- "$FUSOR" --help
expect unknown-command 2 "unknown command" -- "$FUSOR" frobnicate
expect devices 0 "^cpu " -- "$FUSOR" devices
expect devices-json 0 '"device":"cpu"' -- "$FUSOR" devices --json
for f in tests/cli.d/*.sh; do [ -f "$f" ] && . "$f"; done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
