# Helpers for the daemon tests (tests/integration/test_run_*.sh): scenario directories, a
# configuration, starting and stopping `kube-audit-agent run`, bounded waits, audit events and
# the alert records. Sourced after lib.sh; not a test itself (tests/run.sh runs test_*.sh).
# Nothing here asserts a duration: waits poll a condition for a bounded time.

WRITER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/auditwriter.py
SCENARIOS=""   # temp directories to remove
AGENT_PIDS=""  # agents started here, killed at exit if still running
CLEANUP_CMDS=() # run at exit, last first (umount, sysctl restore, ...)
AGENT_PID=""

if ! command -v jq >/dev/null || ! command -v python3 >/dev/null; then
	skip "daemon tests" "jq or python3 is not installed (make deps)"
	exit 0
fi

# is pid one of ours and still a kube-audit-agent?
ours() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
		grep -q kube-audit-agent "/proc/$1/cmdline" 2>/dev/null
}

daemon_cleanup() {
	local p i
	for p in $AGENT_PIDS; do
		if ours "$p"; then
			kill -CONT "$p" 2>/dev/null
			kill -KILL "$p" 2>/dev/null
		fi
	done
	for ((i = ${#CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_CMDS[$i]}" >/dev/null 2>&1
	done
	if [ -n "${KAA_KEEP:-}" ]; then # keep the scenario directories for a look
		echo "# kept:$SCENARIOS"
	else
		for p in $SCENARIOS; do
			case $p in /tmp/kaa-*) rm -rf "$p" ;; esac
		done
	fi
	lib_cleanup
}
trap daemon_cleanup EXIT

# sanitizer reports in captured stderr files
clean() { ! grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|AddressSanitizer' "$@"; }

# scenario NAME: D becomes a fresh directory /tmp/kaa-NAME.XXXXXX with logs/ and out/ (removed
# at exit)
scenario() {
	D=$(mktemp -d "/tmp/kaa-$1.XXXXXX") || exit 1
	SCENARIOS="$SCENARIOS $D"
	chmod 755 "$D"
	mkdir -p "$D/logs" "$D/out"
	: >"$D/stderr"
}

# mkconfig DIR [NAME=VALUE...]: write DIR/agent.yaml. Names: input (default DIR/logs/audit.log),
# start_at (beginning), rules ($ROOT/rules), state (DIR/state), out (DIR/out/alerts.jsonl),
# max_line (unset: the default), extra (raw YAML lines appended)
mkconfig() {
	local d=$1
	shift
	local input=$d/logs/audit.log start_at=beginning rules=$ROOT/rules state=$d/state
	local out=$d/out/alerts.jsonl max_line="" extra="" kv
	for kv in "$@"; do local "$kv"; done
	{
		echo "cluster: test-cluster"
		echo "node: test-node"
		echo "state_dir: $state"
		echo "rules:"
		echo "  - $rules"
		echo "inputs:"
		echo "  - path: $input"
		echo "    log_type: Kubernetes.Audit"
		echo "    start_at: $start_at"
		echo "outputs:"
		echo "  - type: file"
		echo "    path: $out"
		echo "    format: json"
		echo "correlation:"
		echo "  mode: off"
		[ -n "$max_line" ] && echo "max_line_bytes: $max_line"
		[ -n "$extra" ] && printf '%s\n' "$extra"
	} >"$d/agent.yaml"
	OUT=$out
}

# start_agent DIR [WRAPPER...]: run the agent in the background (stderr appended to
# DIR/stderr); AGENT_PID is its pid
start_agent() {
	local d=$1
	shift
	"$@" "$AGENT" run --config "$d/agent.yaml" >>"$d/stdout" 2>>"$d/stderr" &
	AGENT_PID=$!
	AGENT_PIDS="$AGENT_PIDS $AGENT_PID"
}

# stop_agent [SIGNAL]: signal AGENT_PID (default TERM), wait up to 5 s for it to exit; sets
# STOPPED to "exit N", or "still running after 5 s" (then it is killed)
stop_agent() {
	local sig=${1:-TERM} i
	kill -"$sig" "$AGENT_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		kill -KILL "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
		STOPPED="still running after 5 s"
		return
	fi
	wait "$AGENT_PID" 2>/dev/null
	STOPPED="exit $?"
}

alive() { kill -0 "${1:-$AGENT_PID}" 2>/dev/null; }
# log_has DIR ERE: the agent's stderr has a line matching
log_has() { grep -qE -- "$2" "$1/stderr"; }
# nlog DIR ERE: how many stderr lines match
nlog() { grep -cE -- "$2" "$1/stderr"; }
# records FILE: the number of lines in an output file (0 when it does not exist)
records() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
records_ge() { [ "$(records "$1")" -ge "$2" ]; }
# ids FILE: the audit_id of every record, in order (unparsable lines print "<corrupt>")
ids() { [ -f "$1" ] && jq -R -r '(fromjson? // {audit_id: "<corrupt>"}) | .audit_id // "<none>"' "$1"; }
ids_line() { ids "$1" | tr '\n' ' ' | sed 's/ $//'; }
has_id() { ids "$1" | grep -qxF -- "$2"; }
# field FILE AUDIT_ID JQ: a jq expression over the records of that audit id, one per line
field() { jq -R -r --arg id "$2" "fromjson? | select(.audit_id == \$id) | $3" "$1"; }
# bad_lines FILE: output lines that are not JSON objects
bad_lines() { [ -f "$1" ] && jq -R 'fromjson? // null | select(type != "object")' "$1" 2>/dev/null | wc -l | tr -d ' '; }
# state_offset DIR PATH: the checkpoint offset of PATH in DIR/state/state.json (or "none")
state_offset() {
	jq -r --arg p "$2" '[.files[] | select(.path == $p) | .offset] | if length == 0 then "none" else .[0] end' \
		"$1/state/state.json" 2>/dev/null || echo none
}
# ckpt_is DIR PATH OFFSET: the checkpoint of PATH is OFFSET
ckpt_is() { [ "$(state_offset "$1" "$2")" = "$3" ]; }
fsize() { stat -c %s "$1"; }

# anon_event ID USER_AGENT TIME [URI] [DECISION]: an anonymous request the seed rule alerts on
anon_event() {
	local id=$1 ua=$2 ts=$3 uri=${4:-/api/v1/secrets} dec=${5:-forbid} code=403
	[ "$dec" = allow ] && code=200
	printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%s","stage":"ResponseComplete","requestURI":"%s","verb":"list","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["198.51.100.23"],"userAgent":"%s","objectRef":{"resource":"secrets","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":%s},"requestReceivedTimestamp":"%s","stageTimestamp":"%s","annotations":{"authorization.k8s.io/decision":"%s","authorization.k8s.io/reason":""}}\n' \
		"$id" "$uri" "$ua" "$code" "$ts" "$ts" "$dec"
}
# other_event ID TIME [USER] [VERB]: an authenticated request (no alert from the seed rule)
other_event() {
	local id=$1 ts=$2 user=${3:-system:serviceaccount:kube-system:coredns} verb=${4:-get}
	printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%s","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods/web-1","verb":"%s","user":{"username":"%s","groups":["system:authenticated"]},"sourceIPs":["192.168.56.1"],"userAgent":"kubectl/v1.29.4 (linux/amd64) kubernetes/55019c8","objectRef":{"resource":"pods","namespace":"default","name":"web-1","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"%s","stageTimestamp":"%s","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC"}}\n' \
		"$id" "$verb" "$user" "$ts" "$ts"
}

# compare_ids WANT_FILE OUT_FILE: sets MISSING (wanted ids absent from the output), REPEATS
# (records beyond the first for an id), EXTRA (ids in the output that were not wanted)
compare_ids() {
	local want=$1 out=$2
	sort -u "$want" >"$TMP/want.sorted"
	ids "$out" | sort >"$TMP/got.all"
	sort -u "$TMP/got.all" >"$TMP/got.sorted"
	MISSING=$(comm -23 "$TMP/want.sorted" "$TMP/got.sorted" | wc -l | tr -d ' ')
	EXTRA=$(comm -13 "$TMP/want.sorted" "$TMP/got.sorted" | wc -l | tr -d ' ')
	REPEATS=$(($(wc -l <"$TMP/got.all") - $(wc -l <"$TMP/got.sorted")))
	MISSING_SAMPLE=$(comm -23 "$TMP/want.sorted" "$TMP/got.sorted" | head -n 3 | tr '\n' ' ')
}
# all_alerted WANT_FILE OUT_FILE: every wanted id is in the output
all_alerted() { compare_ids "$1" "$2"; [ "$MISSING" -eq 0 ]; }
# wait_alerted WANT_FILE OUT_FILE [SECONDS]: wait until every wanted id is in the output, for at
# most SECONDS (default 20), or until the output has not grown for 3 s (the agent is done and
# what is missing stays missing: a failing check need not wait the full time)
wait_alerted() {
	local want=$1 out=$2 deadline=$((SECONDS + ${3:-20} + 1)) last=-1 same=0 n
	while [ "$SECONDS" -lt "$deadline" ]; do
		all_alerted "$want" "$out" && return 0
		n=$(records "$out")
		if [ "$n" = "$last" ]; then same=$((same + 1)); else same=0 last=$n; fi
		[ "$same" -ge 15 ] && return 1
		sleep 0.2
	done
	all_alerted "$want" "$out"
}

# where_missing LOGDIR: after compare_ids, the log files (plain or .gz) holding missing ids, as
# "name:count ..." (what a failing check shows)
where_missing() {
	local f c
	comm -23 "$TMP/want.sorted" "$TMP/got.sorted" >"$TMP/missing"
	[ -s "$TMP/missing" ] || return 0
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		c=$(zcat -f "$f" 2>/dev/null | grep -cF -f "$TMP/missing")
		[ "$c" -gt 0 ] && printf '%s:%s ' "$(basename "$f")" "$c"
	done
}

# stderr lines worth showing when a check fails
errlines() { grep -E "$2" "$1/stderr" | head -n "${3:-5}"; }
