#!/usr/bin/env bash
# The daemon's metrics endpoint (metrics.listen): /metrics, /healthz and /readyz on 127.0.0.1
# at a free port (another is tried when the port was taken meanwhile).
#   counts: a known set of lines (good, anonymous alerts and an update, another rule's alert,
#     malformed JSON, invalid UTF-8, a line longer than max_line_bytes, an unknown log type, a
#     partial last line) and every number read back exactly; the exposition format; 404, 405,
#     HEAD; /readyz with an input whose directory is missing;
#   delivery: an https output to tests/integration/collector.py, healthy, then the collector
#     down until /readyz says 503 (unready_after_seconds: 1) and back to 200 when it returns,
#     the spool's bytes and age meanwhile, a 400 answer counted as a dead letter;
#   metrics: {listen: ""} opens no port; a port already taken is one error line naming the
#   address, and alerts still arrive; as root with BPF, correlation_attached{probe=
#   "connections"} is 1 in mode on.
# Every wait is a bounded poll on a condition; no check asserts how long something took.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
. "$(dirname "$0")/https.sh"

if ! command -v curl >/dev/null; then
	skip "metrics endpoint" "curl is not installed (make deps)"
	exit 0
fi

MPORT=""
# free_port: a TCP port on 127.0.0.1 that nobody listens on right now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start_with_metrics DIR [UNREADY_AFTER]: DIR/agent.yaml plus metrics.listen on a free port
# (another one when the agent says the port was taken meanwhile: up to 5 tries); the agent is
# running and serving when it returns 0. Sets MPORT.
start_with_metrics() {
	local d=$1 unready=${2:-300} i
	cp "$d/agent.yaml" "$d/agent.yaml.base"
	for ((i = 0; i < 5; i++)); do
		MPORT=$(free_port)
		{
			cat "$d/agent.yaml.base"
			echo "metrics:"
			echo "  listen: \"127.0.0.1:$MPORT\""
			echo "  unready_after_seconds: $unready"
		} >"$d/agent.yaml"
		start_agent "$d"
		wait_until 20 log_has "$d" "metrics: (serving .* on 127\.0\.0\.1:$MPORT |cannot listen on 127\.0\.0\.1:$MPORT:)"
		log_has "$d" "metrics: serving .* on 127\.0\.0\.1:$MPORT " && return 0
		stop_agent TERM
	done
	return 1
}
url() { echo "http://127.0.0.1:$MPORT$1"; }
# page: the /metrics page now
page() { curl -s --max-time 5 "$(url /metrics)"; }
# mval SERIES: the value of one series (name and labels exactly as written), or "absent"
mval() {
	page | awk -v s="$1" 'substr($0, 1, length(s) + 1) == s " " { v = $2 } END { print (v == "" ? "absent" : v) }'
}
metric_is() { [ "$(mval "$1")" = "$2" ]; }
metric_ge() { local v; v=$(mval "$1"); [ "$v" != absent ] && [ "$v" -ge "$2" ]; }
# status PATH [CURL_ARGS...]: the HTTP status of a request
status() { local p=$1; shift; curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@" "$(url "$p")"; }
body() { curl -s --max-time 5 "$(url "$1")"; }
ready_is() { [ "$(status /readyz)" = "$1" ]; }
# listens PID: the process has a listening TCP socket
listens() {
	python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
inodes = set()
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if t.startswith("socket:["):
        inodes.add(t[8:-1])
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    with open(f) as fh:
        next(fh)
        for line in fh:
            p = line.split()
            if p[3] == "0A" and p[9] in inodes:
                sys.exit(0)
sys.exit(1)
PY
}

FAMILIES="lines_read_total:counter bytes_read_total:counter decode_errors_total:counter
lines_skipped_total:counter rule_matches_total:counter alerts_total:counter
deliveries_total:counter spool_bytes:gauge spool_oldest_seconds:gauge tail_lag_bytes:gauge
correlation_attached:gauge bpf_events_lost_total:counter anonymous_wire_requests_total:counter
build_info:gauge"

# === counts: every number for a known set of lines =============================================
scenario counts
L=$D/logs/audit.log
mkdir -p "$D/rules"
cp -r "$ROOT/rules/." "$D/rules/"
cat >"$D/rules/zz_admin_delete.yml" <<'EOF'
AnalysisType: rule
RuleID: Test.AdminDelete
DisplayName: Admin deleted something
Enabled: true
LogTypes: [Kubernetes.Audit]
Severity: High
Detection:
  - KeyPath: p_udm.username
    Condition: Equals
    Value: kubernetes-admin
  - KeyPath: verb
    Condition: Equals
    Value: delete
EOF
{
	other_event G1 2024-05-14T09:00:00.000000Z                       # evaluated, no match
	anon_event A1 scanner/1 2024-05-14T09:00:01.000000Z              # an alert
	anon_event A2 scanner/1 2024-05-14T09:00:02.000000Z              # the same alert: an update
	anon_event A3 scanner/2 2024-05-14T09:00:03.000000Z              # another alert
	printf '{"kind":"Event","auditID":"bad-1",\n'                    # truncated JSON
	printf '{"kind":"Event","auditID":"bad-\377"}\n'                 # invalid UTF-8
	printf '{"pad":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)"  # longer than max_line_bytes
	other_event D1 2024-05-14T09:00:04.000000Z kubernetes-admin delete # the other rule's alert
	printf '{"p_log_type":"Custom.Unknown","auditID":"u-1"}\n'       # no rule takes its log type
} >"$L"
# prefilter off: every bad line is decoded and counted as such (with it on, a bad line without
# "system:anonymous" is counted as prefiltered; eval's tests cover that)
mkconfig "$D" rules="$D/rules" max_line=2048 extra="prefilter: false"
if ! start_with_metrics "$D"; then
	not_ok "metrics: the agent serves on a free port" "$(errlines "$D" 'metrics|error' 3)"
	exit 0
fi
F="file=\"$L\""
wait_until 20 metric_is "kube_audit_agent_lines_read_total{$F}" 9
wait_until 20 records_ge "$OUT" 4
equal "lines_read_total{file} counts every line read, skipped ones too" 9 \
	"$(mval "kube_audit_agent_lines_read_total{$F}")"
equal "bytes_read_total is the file's size (every line ends in a newline)" "$(fsize "$L")" \
	"$(mval kube_audit_agent_bytes_read_total)"
equal "decode_errors_total: the truncated line and the invalid UTF-8" 2 \
	"$(mval kube_audit_agent_decode_errors_total)"
equal "lines_skipped_total by reason: too_long prefiltered decode_error no_rules" "1 0 2 1" \
	"$(mval 'kube_audit_agent_lines_skipped_total{reason="too_long"}') $(mval 'kube_audit_agent_lines_skipped_total{reason="prefiltered"}') $(mval 'kube_audit_agent_lines_skipped_total{reason="decode_error"}') $(mval 'kube_audit_agent_lines_skipped_total{reason="no_rules"}')"
equal "rule_matches_total per rule (3 anonymous events, 1 admin delete)" "3 1" \
	"$(mval 'kube_audit_agent_rule_matches_total{rule_id="Kubernetes.API.AnonymousAccess"}') $(mval 'kube_audit_agent_rule_matches_total{rule_id="Test.AdminDelete"}')"
equal "alerts_total per rule counts new alerts, not the update" "2 1" \
	"$(mval 'kube_audit_agent_alerts_total{rule_id="Kubernetes.API.AnonymousAccess"}') $(mval 'kube_audit_agent_alerts_total{rule_id="Test.AdminDelete"}')"
equal "the output holds 3 alerts and 1 update" "alert update alert alert" \
	"$(jq -r .type "$OUT" | paste -sd ' ')"
equal "deliveries_total{output=file-0}: ok = the 4 records written, no retry, no dead letter" \
	"4 0 0" \
	"$(mval 'kube_audit_agent_deliveries_total{output="file-0",result="ok"}') $(mval 'kube_audit_agent_deliveries_total{output="file-0",result="retry"}') $(mval 'kube_audit_agent_deliveries_total{output="file-0",result="dead_letter"}')"
equal "no spool series for a file output" "absent absent" \
	"$(mval 'kube_audit_agent_spool_bytes{output="file-0"}') $(mval 'kube_audit_agent_spool_oldest_seconds{output="file-0"}')"
equal "tail_lag_bytes{file} is 0 when everything was read" 0 \
	"$(mval "kube_audit_agent_tail_lag_bytes{$F}")"
equal "correlation off: nothing attached, nothing lost, no wire requests" "0 0 0 0" \
	"$(mval 'kube_audit_agent_correlation_attached{probe="connections"}') $(mval 'kube_audit_agent_correlation_attached{probe="uprobe"}') $(mval kube_audit_agent_bpf_events_lost_total) $(mval kube_audit_agent_anonymous_wire_requests_total)"
VERSION=$("$AGENT" version | awk '{print $2}')
equal "build_info{version} is 1" 1 "$(mval "kube_audit_agent_build_info{version=\"$VERSION\"}")"
# a line being written: lag, not a line
partial='{"kind":"Event","auditID":"partial"'
printf '%s' "$partial" >>"$L"
wait_until 10 metric_is "kube_audit_agent_tail_lag_bytes{$F}" ${#partial}
equal "tail_lag_bytes{file}: a partial last line is lag (${#partial} bytes), not a line read" "${#partial} 9" \
	"$(mval "kube_audit_agent_tail_lag_bytes{$F}") $(mval "kube_audit_agent_lines_read_total{$F}")"
printf ',"user":{"username":"alice"}}\n' >>"$L"
wait_until 10 metric_is "kube_audit_agent_lines_read_total{$F}" 10
equal "the line completed: read, no lag left" "10 0 $(fsize "$L")" \
	"$(mval "kube_audit_agent_lines_read_total{$F}") $(mval "kube_audit_agent_tail_lag_bytes{$F}") $(mval kube_audit_agent_bytes_read_total)"

# the exposition format
curl -s --max-time 5 -D "$D/headers" -o "$D/page" "$(url /metrics)"
check "/metrics: Content-Type text/plain; version=0.0.4" \
	grep -qiE '^Content-Type: text/plain; version=0\.0\.4' "$D/headers"
bad=""
for f in $FAMILIES; do
	name=kube_audit_agent_${f%%:*}
	grep -qxF "# TYPE $name ${f#*:}" "$D/page" || bad="$bad $name(TYPE)"
	grep -qE "^# HELP $name .+" "$D/page" || bad="$bad $name(HELP)"
	[ "$(grep -c "^# TYPE $name " "$D/page")" = 1 ] || bad="$bad $name(repeated)"
done
equal "/metrics: each of the 14 families has one HELP and one TYPE line of the right type" "" "$bad"
equal "/metrics: every other line is NAME{LABELS} VALUE of a family just announced" "" \
	"$(awk '/^# TYPE / { fam = $3; next } /^# HELP / { next }
		{ n = $1; sub(/\{.*/, "", n); if (n != fam || $0 !~ /^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? [0-9]+$/) print }' "$D/page" | head -n 3)"

# the other endpoints
equal "/healthz: 200 ok" "200 ok" "$(status /healthz) $(body /healthz)"
equal "/readyz: 200 ready" "200 ready" "$(status /readyz) $(body /readyz)"
equal "an unknown path: 404" 404 "$(status /metricz)"
equal "POST /metrics: 405" 405 "$(status /metrics -X POST -d x=1)"
check "405 says Allow: GET, HEAD" sh -c "curl -s -X DELETE -D - -o /dev/null '$(url /healthz)' | grep -qi '^Allow: GET, HEAD'"
equal "HEAD /metrics: 200 and no body" "200 0" \
	"$(curl -s --max-time 5 -I -o /dev/null -w '%{http_code} %{size_download}' "$(url /metrics)")"
check "the agent has a listening TCP socket (what the listen \"\" check looks for)" listens "$AGENT_PID"
stop_agent TERM
equal "counts: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (counts)" clean "$D/stderr"

# === /readyz: an input whose directory does not exist yet ========================================
scenario notready
mkconfig "$D" input="$D/later/audit.log"
if start_with_metrics "$D"; then
	wait_until 10 ready_is 503
	equal "/readyz: 503 naming the input whose directory is missing" \
		"503 input $D/later/audit.log: its directory $D/later is not watched (missing)" \
		"$(status /readyz) $(body /readyz)"
	equal "/healthz: still 200" 200 "$(status /healthz)"
	mkdir -p "$D/later"
	wait_until 10 ready_is 200
	equal "/readyz: 200 once the directory is there" "200 ready" "$(status /readyz) $(body /readyz)"
	stop_agent TERM
	check "no sanitizer report (notready)" clean "$D/stderr"
else
	not_ok "notready: the agent serves on a free port" "$(errlines "$D" 'metrics|error' 3)"
fi

# === delivery to an https collector: healthy, down (not ready), back, a 400 ======================
if ! command -v openssl >/dev/null; then
	skip "metrics of an https output" "openssl is not installed (make deps)"
else
	scenario pki
	if ! make_pki "$D"; then
		not_ok "test PKI: openssl made the CA and the certificates" "$(tail -n 5 "$D/pki.log")"
	else
		scenario delivery
		L=$D/logs/audit.log
		TOKEN=metrics-token-$$
		set_mode "$D" 200
		start_collector "$D" --auth "Bearer $TOKEN" --mode-file "$D/mode"
		hconfig "$D" json token="$TOKEN" more="batch: {max_events: 50, max_delay_ms: 50}"
		S='output="siem"'
		dv() { mval "kube_audit_agent_deliveries_total{$S,result=\"$1\"}"; }
		if ! start_with_metrics "$D" 1; then
			not_ok "delivery: the agent serves on a free port" "$(errlines "$D" 'metrics|error' 3)"
		else
			anon_batch "$L" M 1 4
			wait_delivered "$D" json 4
			wait_until 10 metric_is "kube_audit_agent_deliveries_total{$S,result=\"ok\"}" 4
			equal "healthy: deliveries_total{siem}: ok 4, retry 0, dead_letter 0" "4 0 0" \
				"$(dv ok) $(dv retry) $(dv dead_letter)"
			equal "healthy: the file output beside it: ok 4" 4 \
				"$(mval 'kube_audit_agent_deliveries_total{output="file-0",result="ok"}')"
			equal "healthy: the spool is empty (0 bytes, oldest 0 s)" "0 0" \
				"$(mval "kube_audit_agent_spool_bytes{$S}") $(mval "kube_audit_agent_spool_oldest_seconds{$S}")"
			equal "healthy: /readyz 200" 200 "$(status /readyz)"

			set_mode "$D" down
			wait_until 10 coll_event "$D" down
			anon_batch "$L" M 5 6
			wait_until 20 records_ge "$OUT" 6
			wait_until 20 ready_is 503
			why=$(body /readyz)
			check "collector down: /readyz 503 naming the output ($why)" bash -c \
				"[ $(status /readyz) = 503 ] && grep -qE '^output siem: failing for [0-9]+ s \(unready_after_seconds: 1\)' <<<'$why'"
			equal "collector down: /healthz still 200" 200 "$(status /healthz)"
			# the spool holds the 2 records as the file output has them, 8 bytes of header each
			want_spool=$(tail -n 2 "$OUT" | awk '{ s += length($0) + 8 } END { print s }')
			equal "collector down: spool_bytes is the 2 waiting records (+8 bytes each)" \
				"$want_spool" "$(mval "kube_audit_agent_spool_bytes{$S}")"
			wait_until 10 metric_ge "kube_audit_agent_spool_oldest_seconds{$S}" 1
			check "collector down: spool_oldest_seconds counts up (>= 1 s)" \
				metric_ge "kube_audit_agent_spool_oldest_seconds{$S}" 1
			r=$(dv retry)
			check "collector down: retry counts the 2 records of each failed attempt ($r: even, >= 2)" \
				test "$r" != absent -a "$r" -ge 2 -a $((r % 2)) = 0
			equal "collector down: ok stays 4" 4 "$(dv ok)"

			set_mode "$D" 200
			wait_delivered "$D" json 6 30
			wait_until 20 ready_is 200
			equal "collector back: /readyz 200 again" "200 ready" "$(status /readyz) $(body /readyz)"
			equal "collector back: ok 6, the spool empty (0 bytes, oldest 0 s)" "6 0 0" \
				"$(dv ok) $(mval "kube_audit_agent_spool_bytes{$S}") $(mval "kube_audit_agent_spool_oldest_seconds{$S}")"
			r2=$(dv retry) # attempts made before the collector came back may have failed too
			check "collector back: retry still counts 2 records per failed attempt ($r2: even, >= $r)" \
				test "$r2" != absent -a "$r2" -ge "$r" -a $((r2 % 2)) = 0

			set_mode "$D" 400
			anon_batch "$L" M 7 9
			DL=$D/state/deadletter/siem.jsonl
			wait_until 20 metric_is "kube_audit_agent_deliveries_total{$S,result=\"dead_letter\"}" 3
			equal "a 400 answer: dead_letter 3 (the records in $(basename "$DL")), ok stays 6, no retry" \
				"3 3 6 $r2" "$(dv dead_letter) $(deadletter_ids "$DL" | wc -l) $(dv ok) $(dv retry)"
			equal "a 400 answer: the output is not failing: /readyz 200" 200 "$(status /readyz)"
			stop_agent TERM
			equal "delivery: SIGTERM: exit 0" "exit 0" "$STOPPED"
			check "no sanitizer report (delivery)" clean "$D/stderr"
		fi
		stop_collector
	fi
fi

# === metrics: {listen: ""}: no port =============================================================
scenario off
L=$D/logs/audit.log
mkconfig "$D" extra='metrics: {listen: ""}'
start_agent "$D"
anon_event OFF1 off-agent 2024-05-14T09:00:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" OFF1
check "listen \"\": alerts arrive" has_id "$OUT" OFF1
if listens "$AGENT_PID"; then
	not_ok "listen \"\": the agent listens on no TCP port" "$(ls -l /proc/$AGENT_PID/fd | grep socket)"
else
	ok "listen \"\": the agent listens on no TCP port"
fi
check "listen \"\": no metrics line in the log" bash -c "! grep -q 'metrics:' '$D/stderr'"
stop_agent TERM
equal "listen \"\": SIGTERM: exit 0" "exit 0" "$STOPPED"
mkconfig "$D"
"$AGENT" check-config --config "$D/agent.yaml" >"$D/cc.out" 2>&1
check "check-config: the default metrics.listen is 127.0.0.1:9464" \
	grep -qE '^  listen: "?127\.0\.0\.1:9464"?$' "$D/cc.out"

# === a port already taken: one error line, alerts still arrive ===================================
scenario conflict
L=$D/logs/audit.log
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(600)' >"$D/taken" &
HOLDER=$!
CLEANUP_CMDS+=("kill $HOLDER")
wait_until 10 test -s "$D/taken"
TAKEN=$(cat "$D/taken")
mkconfig "$D" extra="metrics: {listen: \"127.0.0.1:$TAKEN\"}"
start_agent "$D"
anon_event C1 conflict-agent 2024-05-14T09:00:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" C1
equal "port taken: exactly one error line naming the address and why" \
	"1 1" "$(nlog "$D" "cannot listen on 127\.0\.0\.1:$TAKEN") $(nlog "$D" " error .*metrics: cannot listen on 127\.0\.0\.1:$TAKEN: Address already in use")"
check "port taken: alerts still arrive" has_id "$OUT" C1
check "port taken: the agent keeps running" alive
stop_agent TERM
equal "port taken: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (conflict)" clean "$D/stderr"
kill "$HOLDER" 2>/dev/null

# === correlation: the connection tracking program attached (root with BPF) ======================
if [ "$(id -u)" != 0 ]; then
	skip "correlation_attached{probe=\"connections\"} is 1 in mode on" "needs root (CAP_BPF, CAP_PERFMON)"
else
	scenario bpf
	mkconfig "$D"
	# mode on instead of mkconfig's off; an API server process that does not exist
	sed -i 's/^  mode: off$/  mode: on\n  apiserver_ports: ['"$(free_port)"']\n  apiserver_process: kaa-no-such-apiserver/' \
		"$D/agent.yaml"
	if ! start_with_metrics "$D"; then
		not_ok "bpf: the agent serves on a free port" "$(errlines "$D" 'metrics|error' 3)"
	elif log_has "$D" "connection tracking unavailable"; then
		skip "correlation_attached{probe=\"connections\"} is 1 in mode on" \
			"$(grep -m1 'connection tracking unavailable' "$D/stderr" | cut -c26-)"
		stop_agent TERM
	else
		equal "mode on, as root: correlation_attached{probe=connections} 1, {probe=uprobe} 0 (no such process)" \
			"1 0" "$(mval 'kube_audit_agent_correlation_attached{probe="connections"}') $(mval 'kube_audit_agent_correlation_attached{probe="uprobe"}')"
		equal "mode on: no events lost" 0 "$(mval kube_audit_agent_bpf_events_lost_total)"
		stop_agent TERM
		equal "bpf: SIGTERM: exit 0" "exit 0" "$STOPPED"
		check "no sanitizer report (bpf)" clean "$D/stderr"
	fi
fi
