#!/usr/bin/env bash
# valgrind memcheck over a build without sanitizers: tests/valgrind.sh DIR (make valgrind builds
# DIR = build/vg). Runs every unit test (DIR/test_*) and the agent's main commands once each:
# test, eval (the example log, the conformance corpus, the hostile log of
# tests/integration/hostile.py), check-config, go-info, and the daemon following a log through
# a SIGHUP reload to SIGTERM, with a file and an https output (and with the eBPF correlation
# when run as root). Any invalid access, use of uninitialised memory, or leak (definite,
# indirect or possible) fails. One line per run, "PASS NAME" or "FAIL NAME: ...", then a summary;
# logs in DIR/logs/. SHARED (default ../shared) supplies the conformance corpus.
set -u
dir=${1:?usage: valgrind.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
[ "${dir#/}" == "$dir" ] && dir=$root/$dir
SHARED=${SHARED:-$root/../shared}
agent=$dir/kube-audit-agent
logs=$dir/logs
work=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
mkdir -p "$logs"
rm -f "$logs"/*.log
command -v valgrind >/dev/null || { echo "FAIL valgrind: not installed (make deps)"; exit 1; }

VG=(valgrind --error-exitcode=97 --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes --num-callers=30
	--suppressions="$root/tests/valgrind.supp")
passed=0 failed=0

# verdict NAME LOG STATUS [EXPECTED_STATUS...]: PASS when valgrind found nothing and the
# command exited with one of the expected statuses (default 0)
verdict() {
	local name=$1 log=$2 status=$3 e ok=0
	shift 3
	for e in "${@:-0}"; do [ "$status" == "$e" ] && ok=1; done
	local errs
	errs=$(grep -E '^==[0-9]+== (ERROR SUMMARY: [1-9]|.*(Invalid|uninitialised|(definitely|indirectly|possibly) lost: [1-9]|Mismatched|overlap))' "$log" | head -n 1)
	if [ "$status" == 97 ] || [ -n "$errs" ]; then
		echo "FAIL $name: ${errs:-valgrind reported errors} (see $log)"
		failed=$((failed + 1))
	elif [ $ok -eq 0 ]; then
		echo "FAIL $name: exit status $status, not ${*:-0} (see $log)"
		failed=$((failed + 1))
	else
		echo "PASS $name"
		passed=$((passed + 1))
	fi
}

# vg NAME EXPECTED_STATUSES -- COMMAND...: run COMMAND under memcheck (in VG_CWD, default a
# scratch directory)
vg() {
	local name=$1 expected=$2
	shift 3
	local log=$logs/$name.log
	(cd "${VG_CWD:-$work}" && "${VG[@]}" "$@") >"$log" 2>&1
	# shellcheck disable=SC2086
	verdict "$name" "$log" $? ${expected//,/ }
}

# --- unit tests ------------------------------------------------------------------------------------
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	# as make test runs them: from the tree, which ROOT names (the Go sources are found there)
	ROOT=$root VG_CWD=$root CMOCKA_MESSAGE_OUTPUT=TAP vg "unit-$(basename "$t")" 0 -- "$t"
done

# --- commands --------------------------------------------------------------------------------------
vg version 0 -- "$agent" version
vg test-rules 0 -- "$agent" test "$root/rules"
vg eval-example 0 -- "$agent" eval "$root/examples/audit.log"
vg eval-each-example 0 -- "$agent" eval --each "$root/examples/audit.log"
if [ -r "$SHARED/conformance/corpus.jsonl" ]; then
	vg eval-conformance 0 -- "$agent" eval --each "$SHARED/conformance/corpus.jsonl"
fi
python3 "$root/tests/integration/hostile.py" "$work/hostile.log" "$work/hostile.kinds"
vg eval-hostile 0 -- "$agent" eval --each "$work/hostile.log"
vg eval-hostile-no-prefilter 0 -- "$agent" eval --each --no-prefilter "$work/hostile.log"
printf 'AnalysisType: rule\nRuleID: Cycle\nDetection: &a\n  - All: *a\n' >"$work/cycle.yml"
vg test-bad-rule 1 -- "$agent" test "$work/cycle.yml"

mkdir -p "$work/logs" "$work/out"
printf 'token-for-valgrind\n' >"$work/token"
chmod 600 "$work/token"
cat >"$work/agent.yaml" <<YAML
cluster: vg
node: vg-node
state_dir: $work/state
rules: [$root/rules]
inputs:
  - path: $work/logs/audit.log
    start_at: beginning
outputs:
  - type: file
    path: $work/out/alerts.jsonl
  - type: https
    name: siem
    url: http://127.0.0.1:9/ingest
    allow_plain_http: true
    format: splunk-hec
    token_file: $work/token
    headers: {X-Tenant: blue}
    retry: {initial_ms: 100, max_ms: 500}
correlation:
  mode: off
summary_interval_seconds: 1
YAML
vg check-config 0 -- "$agent" check-config --config "$work/agent.yaml"
printf 'inputs: [{path: relative.log}]\noutputs: [{type: stdout}]\n' >"$work/bad.yaml"
vg check-config-bad 2 -- "$agent" check-config --config "$work/bad.yaml"

if command -v go >/dev/null && (cd "$work" && GOCACHE=$work/gocache GOPATH=$work/gopath \
	GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS= go build -o "$work/goserver" \
	"$root/tests/data/goserver/main.go" >"$logs/go-build.out" 2>&1); then
	vg go-info 0 -- "$agent" go-info "$work/goserver"
fi

# run_daemon NAME MODE: the daemon under memcheck following the example log, reload, stop
run_daemon() {
	local name=$1 mode=$2 log=$logs/$1.log i
	rm -rf "$work/state" "$work/out"/* "$work/logs"/*
	sed -i "s/^  mode: .*/  mode: $mode/" "$work/agent.yaml"
	head -n 100 "$root/examples/audit.log" >"$work/logs/audit.log"
	(cd "$work" && exec "${VG[@]}" "$agent" run --config "$work/agent.yaml") >"$log" 2>&1 &
	local pid=$!
	pids="$pids $pid"
	for ((i = 0; i < 600; i++)); do
		grep -q "following $work/logs/audit.log" "$log" && break
		sleep 0.1
	done
	sed -n '100,$p' "$root/examples/audit.log" >>"$work/logs/audit.log"
	sleep 2
	kill -HUP "$pid"
	for ((i = 0; i < 300; i++)); do
		grep -q "reload done" "$log" && break
		sleep 0.1
	done
	sleep 1
	kill -TERM "$pid"
	wait "$pid"
	local status=$?
	if ! grep -q "reload done" "$log" || [ "$(wc -l <"$work/out/alerts.jsonl" 2>/dev/null || echo 0)" -lt 4 ]; then
		echo "FAIL $name: the daemon did not alert and reload as expected (see $log)"
		failed=$((failed + 1))
		return
	fi
	verdict "$name" "$log" "$status" 0
}
run_daemon run off
if [ "$(id -u)" == 0 ]; then
	run_daemon run-correlation auto
fi

echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
