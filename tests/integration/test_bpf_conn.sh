#!/usr/bin/env bash
# The BPF connection tracker (bpf/conn.bpf.c) loaded into this kernel through the hidden
# `kube-audit-agent conntrack-probe`: a local HTTP server (python3 -m http.server) on a free
# port, curl connecting to it from a known local port, over 127.0.0.1, over ::1 and to a
# dual-stack listener on :: (an AF_INET6 socket with v4-mapped addresses). Each end
# of the connection must be reported with the right 4-tuple, the client end with curl's pid
# and comm, and the end of the connection. Skipped, with the probe's own reason, when not root
# or when this kernel cannot load the program. Every wait is a bounded poll.
. "$(dirname "$0")/lib.sh"

FAMILIES=(ipv4 ipv6 dual-stack)
CHECKS=("the client end's ESTABLISHED (active open) has the 4-tuple"
	"the client end carries curl's pid, comm and cgroup"
	"the server end's ESTABLISHED (passive open) has the 4-tuple"
	"both ends report the end of the connection (closing or close)"
	"the connection reaches CLOSE on one end at least")
DUAL_CHECK="the server end is AF_INET6, its v4-mapped addresses shown as IPv4"
skip_all() {
	local f c
	for f in "${FAMILIES[@]}"; do
		for c in "${CHECKS[@]}"; do skip "bpf conn $f: $c" "$1"; done
	done
	skip "bpf conn dual-stack: $DUAL_CHECK" "$1"
	skip "bpf conn: an unwatched port is not reported" "$1"
	skip "bpf conn: the probe stops on SIGTERM, no event lost, no sanitizer report" "$1"
	exit 0
}

if [ "$(id -u)" != 0 ]; then
	skip_all "not root (the probe needs CAP_BPF and CAP_PERFMON)"
fi
for tool in curl python3 jq; do
	command -v "$tool" >/dev/null || skip_all "$tool is not installed (make deps)"
done

# free TCP ports on loopback (the ::1 ones empty without IPv6)
read -r SERVER4 CLIENT4 UNWATCHED SERVER6 CLIENT6 SERVER46 CLIENT46 < <(python3 - <<'PY'
import socket
out, keep = [], []
for fam, host, n in ((socket.AF_INET, "127.0.0.1", 3), (socket.AF_INET6, "::1", 4)):
    for _ in range(n):
        try:
            s = socket.socket(fam)
            s.bind((host, 0))
            keep.append(s)
            out.append(str(s.getsockname()[1]))
        except OSError:
            pass
print(" ".join(out))
PY
)
[ -n "${SERVER4:-}" ] && [ -n "${UNWATCHED:-}" ] || skip_all "no free loopback ports"

probe_ports=(--port "$SERVER4")
[ -n "${CLIENT46:-}" ] && probe_ports+=(--port "$SERVER6" --port "$SERVER46")
: >"$TMP/events"
: >"$TMP/probe.err"
"$AGENT" conntrack-probe "${probe_ports[@]}" --seconds 120 >"$TMP/events" 2>"$TMP/probe.err" &
PROBE=$!
PIDS="$PIDS $PROBE"
attached() { grep -q 'attached' "$TMP/probe.err" || ! kill -0 "$PROBE" 2>/dev/null; }
if ! wait_until 30 attached; then
	not_ok "bpf conn: the probe attaches within 30 s" "$(tail -n 5 "$TMP/probe.err")"
	exit 0
fi
if ! kill -0 "$PROBE" 2>/dev/null; then
	wait "$PROBE"
	status=$?
	if [ "$status" = 3 ]; then
		skip_all "$(sed -n "s/^conntrack-probe: //p" "$TMP/probe.err" | head -n 1)"
	fi
	not_ok "bpf conn: the probe loads the program (status $status)" \
		"$(tail -n 20 "$TMP/probe.err")"
	exit 0
fi

mkdir -p "$TMP/www"
echo hello >"$TMP/www/index.html"

# event FILTER: the events (one JSON per line) that jq FILTER selects
event() { jq -c "select($1)" "$TMP/events" 2>/dev/null; }
has_event() { [ -n "$(event "$1")" ]; }

# connect NAME BIND_ADDR ADDR URL_HOST SERVER_PORT CLIENT_PORT: one request from CLIENT_PORT
# to a server bound to BIND_ADDR, then every check on the events of that connection (both
# ends' addresses are ADDR)
connect() {
	local fam=$1 bind=$2 addr=$3 host=$4 sport=$5 cport=$6 srv cpid cur status
	: >"$TMP/http-$fam.log"
	python3 -u -m http.server --bind "$bind" --directory "$TMP/www" "$sport" \
		>"$TMP/http-$fam.log" 2>&1 &
	srv=$!
	PIDS="$PIDS $srv"
	if ! wait_until 20 grep -q 'Serving HTTP' "$TMP/http-$fam.log"; then
		not_ok "bpf conn $fam: http.server listens on [$bind]:$sport" \
			"$(tail -n 5 "$TMP/http-$fam.log")"
		return
	fi
	curl -s -g --max-time 10 --local-port "$cport" -o "$TMP/body-$fam" \
		"http://$host:$sport/" &
	cpid=$!
	wait "$cpid"
	status=$?
	if [ "$status" != 0 ] || [ "$(cat "$TMP/body-$fam")" != hello ]; then
		not_ok "bpf conn $fam: curl fetches from [$addr]:$sport (status $status)"
		return
	fi

	local client="(.local_port==$cport and .remote_port==$sport)"
	local server="(.local_port==$sport and .remote_port==$cport)"
	local ends='(.event=="closing" or .event=="close")'
	ended() {
		has_event "$client and $ends" && has_event "$server and $ends" &&
			has_event "($client or $server) and .event==\"close\""
	}
	wait_until 20 ended
	kill "$srv" 2>/dev/null

	cur=$(event "$client and .event==\"established\"")
	if [ "$(jq -r '[.side, .local, .remote, .oldstate] | join(" ")' <<<"$cur")" == \
		"client $addr $addr SYN_SENT" ]; then
		ok "bpf conn $fam: ${CHECKS[0]}"
	else
		not_ok "bpf conn $fam: ${CHECKS[0]}" "want: [$addr]:$cport -> [$addr]:$sport" \
			"got: ${cur:-no event}" "all: $(cat "$TMP/events")"
	fi
	if [ "$(jq -r '[.pid, .comm, (.cgroup_id > 0)] | join(" ")' <<<"$cur")" == \
		"$cpid curl true" ]; then
		ok "bpf conn $fam: ${CHECKS[1]}"
	else
		not_ok "bpf conn $fam: ${CHECKS[1]}" "want: pid $cpid comm curl" "got: ${cur:-none}"
	fi
	cur=$(event "$server and .event==\"established\"")
	if [ "$(jq -r '[.side, .local, .remote, .oldstate] | join(" ")' <<<"$cur")" == \
		"server $addr $addr SYN_RECV" ]; then
		ok "bpf conn $fam: ${CHECKS[2]}"
	else
		not_ok "bpf conn $fam: ${CHECKS[2]}" "got: ${cur:-no event}" \
			"all: $(cat "$TMP/events")"
	fi
	if has_event "$client and $ends" && has_event "$server and $ends"; then
		ok "bpf conn $fam: ${CHECKS[3]}"
	else
		not_ok "bpf conn $fam: ${CHECKS[3]}" "all: $(cat "$TMP/events")"
	fi
	if has_event "($client or $server) and .event==\"close\""; then
		ok "bpf conn $fam: ${CHECKS[4]}"
	else
		not_ok "bpf conn $fam: ${CHECKS[4]}" "all: $(cat "$TMP/events")"
	fi
}

# a refused connect to a port nobody watches: no event may name it
curl -s --max-time 5 "http://127.0.0.1:$UNWATCHED/" -o /dev/null

connect ipv4 127.0.0.1 127.0.0.1 127.0.0.1 "$SERVER4" "$CLIENT4"
if [ -n "${CLIENT46:-}" ]; then
	connect ipv6 ::1 ::1 '[::1]' "$SERVER6" "$CLIENT6"
	connect dual-stack :: 127.0.0.1 127.0.0.1 "$SERVER46" "$CLIENT46"
	cur=$(event ".local_port==$SERVER46 and .remote_port==$CLIENT46 and .event==\"established\"")
	if [ "$(jq -r '[.family, .local, .remote] | join(" ")' <<<"$cur")" == \
		"inet6 127.0.0.1 127.0.0.1" ]; then
		ok "bpf conn dual-stack: $DUAL_CHECK"
	else
		not_ok "bpf conn dual-stack: $DUAL_CHECK" "got: ${cur:-no event}"
	fi
else
	for f in ipv6 dual-stack; do
		for c in "${CHECKS[@]}"; do skip "bpf conn $f: $c" "no ::1 on this machine"; done
	done
	skip "bpf conn dual-stack: $DUAL_CHECK" "no ::1 on this machine"
fi

if has_event ".local_port==$UNWATCHED or .remote_port==$UNWATCHED"; then
	not_ok "bpf conn: an unwatched port is not reported" "$(cat "$TMP/events")"
else
	ok "bpf conn: an unwatched port is not reported"
fi

kill -TERM "$PROBE"
stopped() { ! kill -0 "$PROBE" 2>/dev/null; }
if wait_until 20 stopped; then
	wait "$PROBE"
	status=$?
	if [ "$status" = 0 ] && grep -q ' 0 lost' "$TMP/probe.err" &&
		! grep -qE 'Sanitizer|runtime error:' "$TMP/probe.err"; then
		ok "bpf conn: the probe stops on SIGTERM, no event lost, no sanitizer report"
	else
		not_ok "bpf conn: the probe stops on SIGTERM, no event lost, no sanitizer report" \
			"status $status" "$(tail -n 20 "$TMP/probe.err")"
	fi
else
	not_ok "bpf conn: the probe stops on SIGTERM, no event lost, no sanitizer report" \
		"still running 20 s after SIGTERM"
fi
