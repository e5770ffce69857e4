# Shared helpers for the integration tests: each check prints one TAP-style line.
# Sourced by tests/integration/test_*.sh; AGENT, ROOT and SHARED come from tests/run.sh.
set -u
: "${AGENT:?run through tests/run.sh (make test)}"
n=0
TMP=$(mktemp -d)
PIDS="" # background processes the test started: TERM at exit, KILL if still there after 5 s
lib_cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap lib_cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check NAME COMMAND...: ok when the command succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
# equal NAME WANT GOT
equal() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "want: $2" "got:  $3"; fi
}

# wait_until SECONDS COMMAND...: poll the command (every 50 ms) until it succeeds or SECONDS
# have passed; then the command's last status
wait_until() {
	local deadline=$((SECONDS + $1 + 1))
	shift
	while [ "$SECONDS" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}
