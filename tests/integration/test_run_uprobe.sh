#!/usr/bin/env bash
# The daemon joins each anonymous alert to the request the uprobe saw on the API server and to
# its TCP connection (match exact): a stand-in API server in Go (tests/data/apiserver, built with
# and without symbols) writes the audit log the agent follows; curl over HTTP/2 with a fixed
# source port and a Python keep-alive client over HTTP/1.1 send anonymous requests from
# 127.0.0.2; the server is restarted and the agent attaches again. Needs root and BPF.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

if [ "$(id -u)" != 0 ]; then
	skip "alerts joined to the uprobe's requests" "needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)"
	exit 0
fi
if ! command -v go >/dev/null || ! command -v openssl >/dev/null || ! command -v curl >/dev/null; then
	skip "alerts joined to the uprobe's requests" "go, openssl or curl missing (make deps)"
	exit 0
fi
if ! curl -V | grep -q HTTP2; then
	skip "alerts joined to the uprobe's requests" "this curl has no HTTP/2"
	exit 0
fi

scenario uprobe
gobuild() { # GO OUTPUT LDFLAGS
	(cd "$D" && GOCACHE="$D/gocache" GOPATH="$D/gopath" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS= \
		"$1" build -ldflags="$3" -o "$2" "$ROOT/tests/data/apiserver/main.go") >>"$D/build.log" 2>&1
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$D/key.pem" -out "$D/cert.pem" >/dev/null 2>&1

SRV=""
MPORT=$((20000 + RANDOM % 10000))
start_server() { # BINARY LISTEN
	rm -f "$D/port"
	"$1" -listen "$2" -port-file "$D/port" -cert "$D/cert.pem" -key "$D/key.pem" \
		-audit-log "$D/logs/audit.log" 2>>"$D/server.err" &
	SRV=$!
	CLEANUP_CMDS+=("kill $SRV")
	wait_until 10 test -s "$D/port"
	PORT=$(cat "$D/port")
}
stop_server() { kill -TERM "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; }

# a keep-alive HTTP/1.1 client sending N anonymous requests on one connection from 127.0.0.2;
# prints "PID PORT" first
cat >"$D/keepalive.py" <<'PY'
import http.client, os, ssl, sys
port, tag, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl._create_unverified_context()
ctx.set_alpn_protocols(["http/1.1"])
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, source_address=("127.0.0.2", 0))
c.connect()
print(os.getpid(), c.sock.getsockname()[1], flush=True)
for i in range(n):
    c.request("GET", "/api/v1/namespaces/default/configmaps?tag=%s&i=%d" % (tag, i))
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
c.close()
PY

rec() { # the alert or update record for the audit event with this request URI
	local id
	id=$(jq -r --arg u "$1" 'select(.requestURI == $u) | .auditID' "$D/logs/audit.log" 2>/dev/null)
	[ -n "$id" ] && jq -c --arg id "$id" 'select(.audit_id == $id)' "$D/out/alerts.jsonl" 2>/dev/null
}
has_rec() { [ -n "$(rec "$1")" ]; }

run_case() { # NAME BINARY PROCESS(name or path)
	local name=$1 bin=$2 proc=$3 uri r lp cpid out tag=${1// /-}
	rm -rf "$D/state" "$D/out" "$D/logs/audit.log"
	mkdir -p "$D/state" "$D/out"
	: >"$D/logs/audit.log"
	: >"$D/stderr"
	start_server "$bin" 127.0.0.1:0
	cat >"$D/agent.yaml" <<YAML
state_dir: $D/state
rules: [$ROOT/rules]
inputs:
  - path: $D/logs/audit.log
    start_at: end
outputs:
  - type: file
    path: $D/out/alerts.jsonl
correlation:
  mode: required
  apiserver_ports: [$PORT]
  apiserver_process: $proc
metrics:
  listen: "127.0.0.1:$MPORT"
YAML
	start_agent "$D"
	wait_until 10 log_has "$D" "metrics: (serving|cannot listen)"
	if ! wait_until 20 log_has "$D" "uprobe attached to pid $SRV"; then
		not_ok "$name: the agent attaches its uprobe to the server" "$(tail -n 5 "$D/stderr")"
		stop_agent
		stop_server
		return
	fi
	ok "$name: the agent attaches its uprobe to the server (pid $SRV)"
	check "$name: the log says which Go version and where the offsets came from" \
		log_has "$D" "uprobe attached to pid $SRV .*go1\.[0-9]+.*offsets from (DWARF|table go1\.[0-9]+)"

	# HTTP/2 from curl with a fixed source port
	lp=$((42000 + RANDOM % 3000))
	uri="/api/v1/namespaces/default/pods?tag=$tag-h2"
	curl -sk --http2 --interface 127.0.0.2 --local-port "$lp" -o /dev/null \
		-w '%{http_version}\n' "https://127.0.0.1:$PORT$uri" >"$D/curl.out" &
	cpid=$!
	wait "$cpid"
	equal "$name: curl spoke HTTP/2" 2 "$(cat "$D/curl.out")"
	wait_until 10 has_rec "$uri"
	r=$(rec "$uri")
	equal "$name: HTTP/2 alert: match exact" exact "$(jq -r .connection.match <<<"$r")"
	equal "$name: HTTP/2 alert: the source port curl used" "$lp" "$(jq -r .connection.src_port <<<"$r")"
	equal "$name: HTTP/2 alert: source IP" 127.0.0.2 "$(jq -r .connection.src_ip <<<"$r")"
	equal "$name: HTTP/2 alert: the client pid is curl's" "$cpid" "$(jq -r .connection.client.pid <<<"$r")"
	equal "$name: HTTP/2 alert: comm" curl "$(jq -r .connection.client.comm <<<"$r")"
	equal "$name: HTTP/2 alert: exe" "$(readlink -f "$(command -v curl)")" \
		"$(jq -r .connection.client.exe <<<"$r")"
	equal "$name: HTTP/2 alert: no Authorization header, no client certificate" "false false" \
		"$(jq -r '"\(.connection.auth_header_present) \(.connection.client_cert_present)"' <<<"$r")"
	equal "$name: HTTP/2 alert: the server's port" "$PORT" "$(jq -r .connection.dst_port <<<"$r")"
	check "$name: HTTP/2 alert: established before the request" \
		test "$(jq -r '.connection.established_at != null' <<<"$r")" = true

	# HTTP/1.1 keep-alive: three requests on one connection
	out=$(python3 "$D/keepalive.py" "$PORT" "$tag" 3)
	read -r cpid lp <<<"$out"
	for i in 0 1 2; do
		uri="/api/v1/namespaces/default/configmaps?tag=$tag&i=$i"
		wait_until 10 has_rec "$uri"
		r=$(rec "$uri")
		equal "$name: keep-alive request $i: match exact, port, pid, comm" \
			"exact $lp $cpid python3" \
			"$(jq -r '.connection | "\(.match) \(.src_port) \(.client.pid) \(.client.comm)"' <<<"$r")"
	done
	equal "$name: keep-alive: the last alert counts 3 requests on the connection" 3 \
		"$(jq -r .connection.requests_on_connection <<<"$r")"

	# a request with a token is not anonymous: no alert, but the probe saw it (no token in any output)
	curl -sk --http1.1 --interface 127.0.0.2 -H 'Authorization: Bearer kaa-secret-token-1' \
		-o /dev/null "https://127.0.0.1:$PORT/api/v1/nodes?tag=$tag-token"
	# the metrics say the same: both probes attached, 4 anonymous requests so far (the token's
	# request is not anonymous)
	if log_has "$D" "metrics: serving"; then
		curl -s "http://127.0.0.1:$MPORT/metrics" >"$D/metrics.txt"
		equal "$name: metrics: both probes attached" \
			'kube_audit_agent_correlation_attached{probe="connections"} 1 kube_audit_agent_correlation_attached{probe="uprobe"} 1' \
			"$(grep '^kube_audit_agent_correlation_attached' "$D/metrics.txt" | sort | tr '\n' ' ' | sed 's/ $//')"
		equal "$name: metrics: anonymous requests on the wire" \
			"kube_audit_agent_anonymous_wire_requests_total 4" \
			"$(grep '^kube_audit_agent_anonymous_wire_requests_total' "$D/metrics.txt")"
	else
		skip "$name: metrics" "port $MPORT was taken"
	fi
	check "$name: the token appears in no output of the agent" \
		sh -c "! grep -rqs kaa-secret-token-1 '$D/out' '$D/stderr' '$D/stdout' '$D/state'"

	# restart the server: a new process, the agent attaches again
	local old=$SRV
	stop_server
	wait_until 10 log_has "$D" "pid $old (exited|gone)|detach"
	start_server "$bin" "127.0.0.1:$PORT"
	if wait_until 20 log_has "$D" "uprobe attached to pid $SRV"; then
		ok "$name: after a restart the agent attaches to the new server (pid $SRV)"
	else
		not_ok "$name: after a restart the agent attaches to the new server" "$(tail -n 5 "$D/stderr")"
	fi
	lp=$((45000 + RANDOM % 3000))
	uri="/api/v1/namespaces/default/pods?tag=$tag-after-restart"
	curl -sk --http2 --interface 127.0.0.2 --local-port "$lp" -o /dev/null "https://127.0.0.1:$PORT$uri"
	wait_until 10 has_rec "$uri"
	equal "$name: after the restart: match exact on the new connection" "exact $lp" \
		"$(rec "$uri" | jq -r '.connection | "\(.match) \(.src_port)"')"

	stop_agent
	equal "$name: SIGTERM: the agent exits 0" "exit 0" "$STOPPED"
	check "$name: the summary counts anonymous requests on the wire from 127.0.0.2" \
		log_has "$D" "anonymous requests on the wire.* 127\.0\.0\.2=[0-9]+"
	check "$name: no sanitizer report" clean "$D/stderr"
	stop_server
}

# Debian 12's Go (1.19) by default; KAA_TEST_GO="go /usr/lib/go-1.24/bin/go ..." adds other
# toolchains (Go 1.24 and later lay out the header map as Swiss tables).
for gobin in ${KAA_TEST_GO:-go}; do
	v=$("$gobin" env GOVERSION 2>/dev/null)
	v=${v#go}
	if ! gobuild "$gobin" "$D/apiserver-$v" "" || ! gobuild "$gobin" "$D/apiserver-$v-s" "-s -w"; then
		not_ok "go build tests/data/apiserver with $gobin" "$(tail -n 5 "$D/build.log")"
		continue
	fi
	# by command name (cut to 15 bytes, as the kernel keeps it) and by absolute path
	run_case "go$v symbols" "$D/apiserver-$v" "apiserver-$v"
	run_case "go$v stripped" "$D/apiserver-$v-s" "$D/apiserver-$v-s"
done
