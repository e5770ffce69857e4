#!/usr/bin/env bash
# The libFuzzer harnesses (tests/fuzz/), briefly: each replays its committed regression inputs
# (tests/fuzz/regress/TARGET/: every crash fuzzing found, kept after its fix) and then fuzzes
# for FUZZ_TEST_SECONDS (default 10) from its seeds, with bounded memory; any crash, leak,
# sanitizer report, timeout or out-of-memory fails. `make fuzz` runs them longer.
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_TEST_SECONDS:-10}
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null; then
	skip "fuzzers" "$cc is not installed (make deps)"
	exit 0
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
	"$cc" -fsanitize=fuzzer -x c - -o "$TMP/probe" 2>"$TMP/probe.err"; then
	skip "fuzzers" "clang's libFuzzer runtime is missing (libclang-rt-14-dev; make deps): $(head -n 1 "$TMP/probe.err")"
	exit 0
fi

# the build directory the agent under test comes from (build/san/kube-audit-agent -> build)
out=$(cd "$(dirname "$AGENT")/.." && pwd)
if make --no-print-directory -C "$ROOT" OUT="$out" fuzz-build >"$TMP/build" 2>&1; then
	ok "the fuzzers build ($(ls "$out"/fuzz/fuzz_* | wc -l) harnesses)"
else
	not_ok "the fuzzers build" "$(tail -n 5 "$TMP/build")"
	exit 0
fi

SHARED=$SHARED "$ROOT/tests/fuzz/run.sh" "$out" "$secs" >"$TMP/run" 2>&1
while read -r verdict rest; do
	case $verdict in
	PASS) ok "$rest" ;;
	FAIL) not_ok "$rest" "logs: $out/fuzz/logs/, crashing inputs: $out/fuzz/crashes/" ;;
	esac
done <"$TMP/run"
grep -q '^PASS\|^FAIL' "$TMP/run" || not_ok "the fuzzers ran" "$(tail -n 5 "$TMP/run")"
