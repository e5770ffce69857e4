#!/usr/bin/env bash
# valgrind memcheck, once per run of the suite: `make valgrind` (tests/valgrind.sh) builds the
# agent and the unit tests without sanitizers and runs each unit test and the main commands
# (test, eval of the example, the conformance corpus and the hostile log, check-config, go-info,
# the daemon through a reload, with correlation as root) under memcheck. Any invalid access, use
# of uninitialised memory or leak fails the check of that run.
. "$(dirname "$0")/lib.sh"

if ! command -v valgrind >/dev/null; then
	skip "valgrind memcheck" "valgrind is not installed (make deps)"
	exit 0
fi
# the build directory the agent under test comes from (build/san/kube-audit-agent -> build)
out=$(cd "$(dirname "$AGENT")/.." && pwd)
if make --no-print-directory -C "$ROOT" OUT="$out" vg-bins >"$TMP/build" 2>&1; then
	ok "the build for valgrind ($out/vg)"
else
	not_ok "the build for valgrind" "$(tail -n 5 "$TMP/build")"
	exit 0
fi
SHARED=$SHARED "$ROOT/tests/valgrind.sh" "$out/vg" >"$TMP/run" 2>&1
while read -r verdict rest; do
	case $verdict in
	PASS) ok "memcheck: $rest: no invalid access, uninitialised read or leak" ;;
	FAIL) not_ok "memcheck: $rest" "logs: $out/vg/logs/" ;;
	esac
done <"$TMP/run"
grep -q '^PASS\|^FAIL' "$TMP/run" || not_ok "valgrind ran" "$(tail -n 5 "$TMP/run")"
