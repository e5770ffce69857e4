#!/usr/bin/env bash
# The daemon with correlation: an anonymous audit event from ::1 is joined to the TCP
# connection the eBPF program saw (source port, client pid and comm, match ip+time); without
# BPF, mode auto still alerts (match none) and mode required refuses to start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

is_root() { [ "$(id -u)" = 0 ]; }

scenario correlation
mkdir -p "$D/state"
cat >"$D/slow.py" <<'PY'
import http.server, socket, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(1.5)
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6
s = S(("::1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$D/slow.py" >"$D/port" &
SRV=$!
CLEANUP_CMDS+=("kill $SRV")
wait_until 10 test -s "$D/port"
PORT=$(cat "$D/port")

conf() { # conf MODE
	cat >"$D/agent.yaml" <<YAML
state_dir: $D/state
rules: [$ROOT/rules]
inputs:
  - path: $D/logs/audit.log
    start_at: beginning
outputs:
  - type: file
    path: $D/out/alerts.jsonl
correlation:
  mode: $1
  apiserver_ports: [$PORT]
YAML
}

anon_now() { # anon_now ID: an anonymous /version request from ::1, timed now
	local ts
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
	printf '{"kind":"Event","auditID":"%s","user":{"username":"system:anonymous"},"sourceIPs":["::1"],"userAgent":"curl/7.88.1","requestURI":"/version","requestReceivedTimestamp":"%s","annotations":{"authorization.k8s.io/decision":"allow"}}\n' "$1" "$ts"
}

conf auto
check "check-config prints apiserver_ports" sh -c \
	"'$AGENT' check-config --config '$D/agent.yaml' | grep -q 'apiserver_ports: \[$PORT\]'"

if ! is_root; then
	skip "correlation with eBPF" "needs root (CAP_BPF, CAP_PERFMON) to load the program"
else
	: >"$D/logs/audit.log"
	"$AGENT" run --config "$D/agent.yaml" 2>"$D/stderr" &
	A=$!
	AGENT_PIDS="$AGENT_PIDS $A"
	wait_until 10 grep -q "following" "$D/stderr"
	if grep -q "connection tracking unavailable" "$D/stderr"; then
		skip "correlation with eBPF" "$(grep -m1 'connection tracking unavailable' "$D/stderr" | cut -c26-)"
	else
		LP=$((40000 + RANDOM % 2000))
		curl -s -g --local-port "$LP" "http://[::1]:$PORT/version" >/dev/null &
		C=$!
		sleep 0.5
		anon_now corr-1 >>"$D/logs/audit.log"
		wait_until 10 grep -qs corr-1 "$D/out/alerts.jsonl"
		wait "$C"
		rec=$(grep corr-1 "$D/out/alerts.jsonl")
		equal "the alert names the connection's source port" "$LP" "$(jq -r .connection.src_port <<<"$rec")"
		equal "the alert names the client's command" "curl" "$(jq -r .connection.client.comm <<<"$rec")"
		check "the alert names a client pid" test "$(jq -r .connection.client.pid <<<"$rec")" -gt 1
		equal "the match is ip+time" "ip+time" "$(jq -r .connection.match <<<"$rec")"
		equal "the server side is the watched port" "$PORT" "$(jq -r .connection.dst_port <<<"$rec")"
		# an event with no connection behind it
		anon_now corr-2 | sed 's/"::1"/"203.0.113.77"/' >>"$D/logs/audit.log"
		wait_until 10 grep -qs corr-2 "$D/out/alerts.jsonl"
		equal "no connection from that address: match none" "none" \
			"$(grep corr-2 "$D/out/alerts.jsonl" | jq -r .connection.match)"
	fi
	kill -TERM "$A"
	wait "$A"
	equal "SIGTERM: exit 0" 0 "$?"
	check "no sanitizer report" clean "$D/stderr"
fi

# without the privileges BPF needs: auto alerts anyway, required refuses to start
if ! command -v setpriv >/dev/null; then
	skip "correlation without privileges" "setpriv is not installed"
else
	rm -rf "$D/state" "$D/out"
	mkdir -p "$D/state" "$D/out"
	chown -R 65534:65534 "$D/state" "$D/out" 2>/dev/null
	chmod 755 "$D" "$D/logs"
	: >"$D/logs/audit.log"
	chmod 644 "$D/logs/audit.log" "$D/agent.yaml"
	anon_now corr-3 >>"$D/logs/audit.log"
	# setpriv execs the agent, so $! is the agent itself (a shell function would not be)
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$AGENT" run --config "$D/agent.yaml" 2>"$D/stderr.auto" &
	A=$!
	AGENT_PIDS="$AGENT_PIDS $A"
	wait_until 10 grep -qs corr-3 "$D/out/alerts.jsonl"
	kill -TERM "$A"
	wait "$A"
	check "mode auto without BPF: one line says why" grep -q "unavailable" "$D/stderr.auto"
	equal "mode auto without BPF: the alert still arrives, match none" "none" \
		"$(grep corr-3 "$D/out/alerts.jsonl" | jq -r .connection.match)"
	conf required
	chmod 644 "$D/agent.yaml"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$AGENT" run --config "$D/agent.yaml" 2>"$D/stderr.req" </dev/null >/dev/null
	equal "mode required without BPF: exit 2" 2 "$?"
	check "mode required without BPF: says it is required" grep -q "required" "$D/stderr.req"
fi
