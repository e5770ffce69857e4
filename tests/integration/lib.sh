# Shared helpers for the integration tests: each check prints one TAP-style line.
# Sourced by tests/integration/test_*.sh; AGENT, ROOT and SHARED come from tests/run.sh.
set -u
: "${AGENT:?run through tests/run.sh (make test)}"
n=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check NAME COMMAND...: ok when the command succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
# equal NAME WANT GOT
equal() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "want: $2" "got:  $3"; fi
}
