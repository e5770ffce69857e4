#!/usr/bin/env bash
# Run every test: the cmocka unit binaries given as arguments, then each integration script
# under tests/integration/ against the sanitizer build of the agent. Each test prints one
# TAP-style line ("ok", "not ok" or "ok ... # SKIP reason"); the last line of this script is
# the summary "N passed, M failed, K skipped".
set -u
san_dir=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
export ROOT=$root
export AGENT=$root/$san_dir/kube-audit-agent
export SHARED=${SHARED:-$root/../shared}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}
export CMOCKA_MESSAGE_OUTPUT=TAP

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # name of the suite, then its output in $log, then its exit status
	local suite=$1 status=$2 p f s
	# cmocka writes a skipped test as "not ok N # SKIP name", ours as "ok N - name # SKIP why"
	p=$(grep -E '^ok [0-9]+' "$log" | grep -cvE '# (SKIP|skip)')
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -cvE '# (SKIP|skip)')
	s=$(grep -E '^(not )?ok [0-9]+' "$log" | grep -cE '# (SKIP|skip)')
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $suite exited with status $status"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

for bin in "$@"; do
	name=$(basename "$bin")
	echo "# unit: $name"
	"$root/$bin" >"$log" 2>&1
	status=$?
	cat "$log"
	count "$name" "$status"
done

for t in "$root"/tests/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	echo "# integration: $name"
	(cd "$root" && bash "$t") >"$log" 2>&1
	status=$?
	cat "$log"
	count "$name" "$status"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
