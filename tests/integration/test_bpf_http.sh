#!/usr/bin/env bash
# The uprobe on net/http.serverHandler.ServeHTTP (bpf/http.bpf.c) through the hidden
# `kube-audit-agent http-probe`, on the stand-in API server (tests/data/apiserver) built with
# and without symbols (-ldflags='-s -w'): HTTP/2 and HTTP/1.1 requests from known local ports,
# a bearer token (its scheme reported, the token itself nowhere), a client certificate, three
# requests on one keep-alive connection, a URI longer than the event holds, header maps large
# enough to need several buckets (HTTP/1.1 sizes the map up front, HTTP/2 grows it), and a
# server restart (the probe attaches to the new pid). Skipped, with the probe's own reason,
# when not root or when this kernel cannot load the program. Every wait is a bounded poll.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/https.sh"

VARIANTS=(symbols stripped)
CHECKS=("the probe attaches to the server"
	"HTTP/2: method, URI, remote address with curl's port, TLS, no Authorization"
	"HTTP/1.1 bearer token: the scheme is Bearer"
	"the token appears nowhere in the probe's output"
	"an Authorization value without a space: present, no scheme"
	"a client certificate is seen"
	"a keep-alive connection: three requests from the same remote port"
	"a long URI is cut to 255 bytes and its full length kept"
	"HTTP/1.1 with 24 extra headers: Authorization found, nothing cut"
	"HTTP/2 with 20 to 60 extra headers (a growing map): Authorization found, nothing cut"
	"the server restarted: detached, attached to the new pid"
	"the new server's request is seen"
	"the probe stops on SIGTERM, no event lost, no sanitizer report"
	"HTTP/1.1 with 150 extra headers, no Authorization: the search says it was cut")
skip_all() {
	local v c
	for v in "${VARIANTS[@]}"; do
		for c in "${CHECKS[@]}"; do skip "bpf http $v: $c" "$1"; done
	done
	exit 0
}

if [ "$(id -u)" != 0 ]; then
	skip_all "not root (the probe needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)"
fi
for tool in curl python3 jq openssl go; do
	command -v "$tool" >/dev/null || skip_all "$tool is not installed (make deps)"
done
SRC=$ROOT/tests/data/apiserver/main.go
[ -f "$SRC" ] || skip_all "tests/data/apiserver/main.go is missing"
curl --version | grep -q HTTP2 || skip_all "this curl has no HTTP/2"

# Names no other test's process has: the symbols build is followed by its path, the stripped
# one by its command name (cut to 15 bytes by the kernel, as the probe cuts it).
mkdir -p "$TMP/bin" "$TMP/pki"
BIN_SYMBOLS=$TMP/bin/apiserver
BIN_STRIPPED=$TMP/bin/kaahttp-s-$$
gobuild() { # OUTPUT LDFLAGS
	(cd "$TMP" && GOCACHE="$TMP/cache" GOPATH="$TMP/gopath" GOTOOLCHAIN=local CGO_ENABLED=0 \
		GOFLAGS="" go build -ldflags="$2" -o "$1" "$SRC") >>"$TMP/build.log" 2>&1
}
if ! gobuild "$BIN_SYMBOLS" "" || ! gobuild "$BIN_STRIPPED" "-s -w"; then
	not_ok "bpf http: go build tests/data/apiserver" "$(head -n 5 "$TMP/build.log")"
	exit 0
fi
if ! make_pki "$TMP/pki"; then
	not_ok "bpf http: openssl made the test CA and certificates" "$(tail -n 5 "$TMP/pki/pki.log")"
	exit 0
fi

# free loopback ports for curl's --local-port, two per variant
read -r -a LOCAL_PORTS < <(python3 - <<'PY'
import socket
keep = []
for _ in range(4):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    keep.append(s)
print(" ".join(str(s.getsockname()[1]) for s in keep))
PY
)

SRV_PID="" PORT="" EVENTS="" PERR=""
# start_server BIN DIR: the stand-in API server with the test PKI; sets SRV_PID and PORT
start_server() {
	local bin=$1 d=$2
	rm -f "$d/port"
	"$bin" -listen 127.0.0.1:0 -port-file "$d/port" -cert "$PKI/server.pem" \
		-key "$PKI/server.key" -client-ca "$PKI/ca.pem" -audit-log "$d/audit.log" \
		2>>"$d/server.err" &
	SRV_PID=$!
	PIDS="$PIDS $SRV_PID"
	wait_until 20 test -s "$d/port" || return 1
	PORT=$(cat "$d/port")
}

# event FILTER: the probe's events (one JSON per line) that jq FILTER selects
event() { jq -c "select($1)" "$EVENTS" 2>/dev/null; }
has_event() { [ -n "$(event "$1")" ]; }
# wait_event FILTER: poll for such an event for up to 10 s, then print it (or nothing)
wait_event() {
	wait_until 10 has_event "$1"
	event "$1" | head -n 1
}
# fields EVENT JQ_EXPRESSIONS...: the values, space separated
fields() {
	local ev=$1 expr
	shift
	expr=$(IFS=,; echo "$*")
	jq -r "[$expr] | map(tostring) | join(\" \")" <<<"$ev" 2>/dev/null
}
url() { echo "https://127.0.0.1:$PORT$1"; }
extra_headers() { # N: N extra headers
	local i
	for ((i = 1; i <= $1; i++)); do printf -- '-H\nX-Kaa-Test-%02d: value-%d\n' "$i" "$i"; done
}

# run_variant NAME BINARY PROCESS LOCAL_PORT_H2 LOCAL_PORT_H1: every check against one build
run_variant() {
	local v=$1 bin=$2 process=$3 lp2=$4 lp1=$5 d=$TMP/$1 probe ev got want status old_pid h
	local -a extra
	mkdir -p "$d"
	EVENTS=$d/events PERR=$d/probe.err
	: >"$EVENTS"
	: >"$PERR"
	if ! start_server "$bin" "$d"; then
		not_ok "bpf http $v: the server starts" "$(tail -n 5 "$d/server.err")"
		return
	fi
	"$AGENT" http-probe --process "$process" --timeout 300 >"$EVENTS" 2>"$PERR" &
	probe=$!
	PIDS="$PIDS $probe"
	attached() { grep -q 'uprobe attached to' "$PERR" || ! kill -0 "$probe" 2>/dev/null; }
	wait_until 30 attached
	if ! kill -0 "$probe" 2>/dev/null; then
		wait "$probe"
		status=$?
		if [ "$status" = 3 ]; then
			skip_all "$(sed -n 's/^http-probe: //p' "$PERR" | head -n 1)"
		fi
		not_ok "bpf http $v: the probe runs (status $status)" "$(tail -n 20 "$PERR")"
		return
	fi
	if grep -q "uprobe attached to pid $SRV_PID ($process:" "$PERR"; then
		ok "bpf http $v: ${CHECKS[0]}"
	else
		not_ok "bpf http $v: ${CHECKS[0]}" "want pid $SRV_PID" "$(cat "$PERR")"
		return
	fi

	# HTTP/2 from a known port
	got=$(curl -sk --http2 --max-time 10 --local-port "$lp2" -o /dev/null \
		-w '%{http_version}' "$(url /api/v1/namespaces/default/pods?v=h2)")
	ev=$(wait_event '.uri == "/api/v1/namespaces/default/pods?v=h2"')
	want="2 $SRV_PID GET 36 127.0.0.1:$lp2 true false  false false"
	got="$got $(fields "$ev" .pid .method .uri_len .remote_addr .tls .auth_header_present \
		.auth_scheme .client_cert_present .headers_cut)"
	equal "bpf http $v: ${CHECKS[1]}" "$want" "$got"

	# HTTP/1.1 with a bearer token, and a value without a space
	curl -sk --http1.1 --max-time 10 --local-port "$lp1" -o /dev/null \
		-H 'Authorization: Bearer secret-token-123' "$(url /api/v1/secrets?v=bearer)"
	ev=$(wait_event '.uri == "/api/v1/secrets?v=bearer"')
	equal "bpf http $v: ${CHECKS[2]}" "true Bearer 127.0.0.1:$lp1" \
		"$(fields "$ev" .auth_header_present .auth_scheme .remote_addr)"
	curl -sk --http1.1 --max-time 10 -o /dev/null -H 'Authorization: secret-token-123' \
		"$(url /api/v1/secrets?v=nospace)"
	ev=$(wait_event '.uri == "/api/v1/secrets?v=nospace"')
	equal "bpf http $v: ${CHECKS[4]}" "true " "$(fields "$ev" .auth_header_present .auth_scheme)"

	# a client certificate signed by the CA the server trusts
	curl -sk --max-time 10 -o /dev/null --cert "$PKI/client.pem" --key "$PKI/client.key" \
		"$(url /api/v1/namespaces?v=cert)"
	ev=$(wait_event '.uri == "/api/v1/namespaces?v=cert"')
	equal "bpf http $v: ${CHECKS[5]}" "true true" "$(fields "$ev" .tls .client_cert_present)"

	# three requests on one connection
	got=$(python3 - "$PORT" <<'PY'
import http.client, ssl, sys
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]),
                                context=ssl._create_unverified_context(), timeout=10)
for i in range(3):
    c.request("GET", "/api/v1/keepalive/%d" % i)
    c.getresponse().read()
print(c.sock.getsockname()[1])
c.close()
PY
	)
	three() { [ "$(event '.uri | startswith("/api/v1/keepalive/")' | wc -l)" -ge 3 ]; }
	wait_until 10 three
	equal "bpf http $v: ${CHECKS[6]}" "3 127.0.0.1:$got" \
		"$(event '.uri | startswith("/api/v1/keepalive/")' | jq -rs \
			'"\(length) \(map(.remote_addr) | unique | join(","))"')"

	# a URI longer than the event's 256 bytes
	want="/api/v1/namespaces/default/configmaps?v=long&pad=$(printf 'a%.0s' $(seq 300))"
	curl -sk --max-time 10 -o /dev/null "$(url "$want")"
	ev=$(wait_event '.uri | startswith("/api/v1/namespaces/default/configmaps?v=long")')
	equal "bpf http $v: ${CHECKS[7]}" "${want:0:255} ${#want}" "$(fields "$ev" .uri .uri_len)"

	# big header maps: Authorization among many others
	mapfile -t extra < <(extra_headers 24)
	curl -sk --http1.1 --max-time 10 -o /dev/null "${extra[@]}" \
		-H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' "$(url /api/v1/nodes?v=h1-24)"
	ev=$(wait_event '.uri == "/api/v1/nodes?v=h1-24"')
	equal "bpf http $v: ${CHECKS[8]}" "true Basic false" \
		"$(fields "$ev" .auth_header_present .auth_scheme .headers_cut)"
	# HTTP/2 fills the map one header at a time: at 27 and 53 entries (with curl's own two and
	# Authorization) it starts to grow, and Authorization, sent first, may still be in the old
	# buckets when the request is served
	got="" want=""
	for h in 20 24 25 50 51 60; do
		mapfile -t extra < <(extra_headers "$h")
		curl -sk --http2 --max-time 10 -o /dev/null \
			-H 'Authorization: Bearer secret-token-123' "${extra[@]}" \
			"$(url "/api/v1/nodes?v=h2-$h")"
		ev=$(wait_event ".uri == \"/api/v1/nodes?v=h2-$h\"")
		got="$got$h: $(fields "$ev" .auth_header_present .auth_scheme .headers_cut); "
		want="$want$h: true Bearer false; "
	done
	equal "bpf http $v: ${CHECKS[9]}" "$want" "$got"

	# 150 headers: 2^5 buckets (Go <= 1.23), more than the program searches
	mapfile -t extra < <(extra_headers 150)
	curl -sk --http1.1 --max-time 10 -o /dev/null "${extra[@]}" "$(url /api/v1/nodes?v=h1-150)"
	ev=$(wait_event '.uri == "/api/v1/nodes?v=h1-150"')
	equal "bpf http $v: ${CHECKS[13]}" "false true" \
		"$(fields "$ev" .auth_header_present .headers_cut)"

	if grep -q 'secret-token-123' "$EVENTS" "$PERR"; then
		not_ok "bpf http $v: ${CHECKS[3]}" "$(grep -h 'secret-token-123' "$EVENTS" "$PERR")"
	else
		ok "bpf http $v: ${CHECKS[3]}"
	fi

	# the server goes, another starts: the probe follows
	old_pid=$SRV_PID
	kill -TERM "$SRV_PID"
	gone() { ! kill -0 "$old_pid" 2>/dev/null; }
	wait_until 10 gone
	wait "$old_pid" 2>/dev/null
	wait_until 10 grep -q "pid $old_pid exited" "$PERR"
	if ! start_server "$bin" "$d"; then
		not_ok "bpf http $v: the server starts again" "$(tail -n 5 "$d/server.err")"
		return
	fi
	reattached() { grep -q "uprobe attached to pid $SRV_PID ($process:" "$PERR"; }
	if wait_until 20 reattached && grep -q "pid $old_pid exited" "$PERR"; then
		ok "bpf http $v: ${CHECKS[10]}"
	else
		not_ok "bpf http $v: ${CHECKS[10]}" "old pid $old_pid, new pid $SRV_PID" \
			"$(cat "$PERR")"
	fi
	curl -sk --max-time 10 -o /dev/null "$(url /api/v1/pods?v=restarted)"
	ev=$(wait_event '.uri == "/api/v1/pods?v=restarted"')
	equal "bpf http $v: ${CHECKS[11]}" "$SRV_PID GET" "$(fields "$ev" .pid .method)"

	kill -TERM "$SRV_PID"
	kill -TERM "$probe"
	stopped() { ! kill -0 "$probe" 2>/dev/null; }
	if wait_until 20 stopped; then
		wait "$probe"
		status=$?
		if [ "$status" = 0 ] && grep -q ' 0 lost' "$PERR" &&
			! grep -qE 'Sanitizer|runtime error:' "$PERR"; then
			ok "bpf http $v: ${CHECKS[12]}"
		else
			not_ok "bpf http $v: ${CHECKS[12]}" "status $status" "$(tail -n 20 "$PERR")"
		fi
	else
		not_ok "bpf http $v: ${CHECKS[12]}" "still running 20 s after SIGTERM"
	fi
}

run_variant symbols "$BIN_SYMBOLS" "$BIN_SYMBOLS" "${LOCAL_PORTS[0]}" "${LOCAL_PORTS[1]}"
run_variant stripped "$BIN_STRIPPED" "$(basename "$BIN_STRIPPED")" "${LOCAL_PORTS[2]}" \
	"${LOCAL_PORTS[3]}"
