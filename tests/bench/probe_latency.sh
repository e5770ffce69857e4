#!/usr/bin/env bash
# What the eBPF probes cost the API server: request latency of the stand-in API server
# (tests/data/apiserver, stripped like a Kubernetes release) measured by tests/data/loadclient
# over HTTP/1.1 keep-alive and HTTP/2, in rounds that alternate three set-ups on the same
# machine in the same run:
#   none    no agent
#   log     the agent following the server's audit log, correlation off
#   probes  the same with correlation required (connection tracepoint + ServeHTTP uprobe)
# Prints a table of the medians over the rounds and the p50/p99 ratios probes/log.
# Needs root (BPF), go, openssl. Usage: tests/bench/probe_latency.sh AGENT [ROUNDS] [REQUESTS]
set -eu
AGENT=$(realpath "$1")
ROUNDS=${2:-5}
REQUESTS=${3:-20000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "probe_latency: SKIP: needs root to load the BPF programs"
	exit 0
fi
W=$(mktemp -d /tmp/kaa-bench-probe.XXXXXX)
SRV="" AG=""
cleanup() {
	[ -n "$AG" ] && kill "$AG" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

gobuild() { # OUTPUT SOURCE
	(cd "$W" && GOCACHE="$W/gocache" GOPATH="$W/gopath" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS= \
		go build -ldflags='-s -w' -o "$1" "$2")
}
gobuild "$W/kube-apiserver-standin" "$ROOT/tests/data/apiserver/main.go"
gobuild "$W/loadclient" "$ROOT/tests/data/loadclient/main.go"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1
mkdir -p "$W/logs"
: >"$W/logs/audit.log"
"$W/kube-apiserver-standin" -listen 127.0.0.1:0 -port-file "$W/port" -cert "$W/cert.pem" \
	-key "$W/key.pem" -audit-log "$W/logs/audit.log" 2>"$W/server.err" &
SRV=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.1; done
PORT=$(cat "$W/port")
URL="https://127.0.0.1:$PORT/api/v1/namespaces/default/pods"

start_agent() { # MODE
	rm -rf "$W/state" "$W/out"
	mkdir -p "$W/state" "$W/out"
	cat >"$W/agent.yaml" <<YAML
state_dir: $W/state
rules: [$ROOT/rules]
inputs:
  - path: $W/logs/audit.log
    start_at: end
outputs:
  - type: file
    path: $W/out/alerts.jsonl
correlation:
  mode: $1
  apiserver_ports: [$PORT]
  apiserver_process: $W/kube-apiserver-standin
YAML
	: >"$W/agent.err"
	"$AGENT" run --config "$W/agent.yaml" 2>"$W/agent.err" &
	AG=$!
	local want="following"
	[ "$1" = required ] && want="uprobe attached to pid $SRV"
	for _ in $(seq 200); do grep -q "$want" "$W/agent.err" && return 0; sleep 0.05; done
	echo "probe_latency: the agent did not start ($1):" >&2
	tail -n 5 "$W/agent.err" >&2
	exit 1
}
stop_agent() {
	kill -TERM "$AG"
	wait "$AG" || true
	AG=""
}

: >"$W/results"
for r in $(seq "$ROUNDS"); do
	for setup in none log probes; do
		case $setup in
		log) start_agent off ;;
		probes) start_agent required ;;
		esac
		for proto in h1 h2; do
			flag=""
			[ "$proto" = h2 ] && flag=-http2
			res=$("$W/loadclient" -url "$URL" -ca "$W/cert.pem" -n "$REQUESTS" -warmup 1000 $flag)
			echo "$setup $proto $res" >>"$W/results"
		done
		if [ "$setup" = probes ]; then
			# the probe saw the requests: its summary line counts them
			stop_agent
			grep -o 'requests=[0-9]* bpf_events_lost=[0-9]*' "$W/agent.err" | tail -n 1 |
				sed "s/^/  round $r probes: /" >>"$W/probe-counts"
		elif [ "$setup" = log ]; then
			stop_agent
		fi
	done
	echo "round $r of $ROUNDS done" >&2
done

python3 - "$W/results" "$ROUNDS" "$REQUESTS" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    setup, proto, js = line.split(" ", 2)
    rows.setdefault((setup, proto), []).append(json.loads(js))
def med(setup, proto, key):
    return statistics.median(r[key] for r in rows[(setup, proto)])
print("Request latency of the stand-in API server (Go, -s -w), %s rounds of %s requests each,"
      % (sys.argv[2], sys.argv[3]))
print("one connection, back to back; medians over the rounds, microseconds.\n")
print("| protocol | set-up | p50 | p99 |")
print("|---|---|---:|---:|")
for proto, name in (("h1", "HTTP/1.1"), ("h2", "HTTP/2")):
    for setup in ("none", "log", "probes"):
        print("| %s | %s | %d | %d |" % (name, setup, med(setup, proto, "p50_us"),
                                        med(setup, proto, "p99_us")))
print()
for proto, name in (("h1", "HTTP/1.1"), ("h2", "HTTP/2")):
    print("%s: probes/log p50 %.3f, p99 %.3f; probes/none p50 %.3f, p99 %.3f" % (
        name,
        med("probes", proto, "p50_us") / med("log", proto, "p50_us"),
        med("probes", proto, "p99_us") / med("log", proto, "p99_us"),
        med("probes", proto, "p50_us") / med("none", proto, "p50_us"),
        med("probes", proto, "p99_us") / med("none", proto, "p99_us")))
PY
echo
echo "requests the probe saw, per round (2 x (warm-up + measured) each, lost in the kernel):"
cat "$W/probe-counts"
