# Helpers for the HTTPS output tests (tests/integration/test_https.sh): a throwaway PKI, the
# test collector (tests/integration/collector.py) in the background, an agent configuration
# with a file output and an https output side by side, and what the collector took compared
# with what the file output holds. Sourced after lib.sh and daemon.sh; not a test itself.
# Nothing here asserts a duration: waits poll a condition for a bounded time.

COLLECTOR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/collector.py
PKI=""       # the directory of make_pki
COLL_PID=""  # the scenario's collector
COLL_LOG=""
PORT=""

# make_pki DIR: in DIR, ca.pem (the test CA), other-ca.pem (a CA nobody uses), server.pem and
# server.key (CN kaa-test-collector, SAN IP:127.0.0.1, signed by ca.pem), client.pem and
# client.key (CN kaa-test-agent, clientAuth, signed by ca.pem). P-256 keys: fast. Sets PKI.
make_pki() {
	local d=$1 ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes" c
	(
		set -e
		cd "$d"
		for c in ca other-ca; do
			# shellcheck disable=SC2086
			openssl req -x509 $ec -keyout $c.key -out $c.pem -days 2 -subj "/CN=kaa-test-$c" \
				-addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign,cRLSign
		done
		printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature \
			extendedKeyUsage=serverAuth subjectAltName=IP:127.0.0.1 \
			subjectKeyIdentifier=hash authorityKeyIdentifier=keyid >server.ext
		printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature \
			extendedKeyUsage=clientAuth subjectKeyIdentifier=hash \
			authorityKeyIdentifier=keyid >client.ext
		for c in server:kaa-test-collector client:kaa-test-agent; do
			# shellcheck disable=SC2086
			openssl req $ec -keyout "${c%%:*}.key" -out "${c%%:*}.csr" -subj "/CN=${c#*:}"
			openssl x509 -req -in "${c%%:*}.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
				-days 2 -extfile "${c%%:*}.ext" -out "${c%%:*}.pem"
		done
		openssl verify -CAfile ca.pem server.pem client.pem
	) >"$d/pki.log" 2>&1 || return 1
	PKI=$d
}

# coll_ours PID: the pid is a collector.py started here, still running
coll_ours() { [ -n "$1" ] && grep -q collector.py "/proc/$1/cmdline" 2>/dev/null; }

# start_collector DIR [ARGS...]: collector.py with the PKI's server certificate (nothing when
# ARGS has --plain), logging to DIR/collector.jsonl; waits for its port. Sets COLL_PID, PORT,
# COLL_LOG. Killed at exit if still running.
start_collector() {
	local d=$1 tls=(--cert "$PKI/server.pem" --key "$PKI/server.key") a
	shift
	for a in "$@"; do [ "$a" = --plain ] && tls=(); done
	COLL_LOG=$d/collector.jsonl
	: >"$d/collector.port"
	python3 "$COLLECTOR" "${tls[@]}" --log "$COLL_LOG" "$@" >"$d/collector.port" \
		2>>"$d/collector.err" &
	COLL_PID=$!
	CLEANUP_CMDS+=("coll_ours $COLL_PID && kill $COLL_PID")
	wait_until 10 test -s "$d/collector.port"
	PORT=$(head -n 1 "$d/collector.port")
}
stop_collector() {
	coll_ours "$COLL_PID" && kill "$COLL_PID"
	wait "$COLL_PID" 2>/dev/null
	return 0
}

# set_mode DIR TEXT: the collector's mode file (collector.py --mode-file DIR/mode), atomically
set_mode() { printf '%s\n' "$2" >"$1/mode.tmp" && mv "$1/mode.tmp" "$1/mode"; }
# coll_event DIR EVENT: the collector logged such an event (listening, down, up, tls_error)
coll_event() { grep -q "^{\"event\":\"$2\"" "$1/collector.jsonl" 2>/dev/null; }
# creq DIR [JQ_FILTER]: the filter over each request the collector logged (objects as compact
# JSON, strings raw)
creq() { jq -c -r -R "fromjson? | select(.event == \"request\") | ${2:-.}" "$1/collector.jsonl" 2>/dev/null; }
# ncreq DIR [JQ_FILTER]: how many
ncreq() { creq "$@" | wc -l | tr -d ' '; }
# ncreq_ge DIR N [JQ_FILTER]
ncreq_ge() { [ "$(ncreq "$1" "${3:-.}")" -ge "$2" ]; }
# nreceived DIR: requests whose body the collector has read (answered or not yet)
nreceived() { grep -c '^{"event":"received"' "$1/collector.jsonl" 2>/dev/null; }
nreceived_ge() { [ "$(nreceived "$1")" -ge "$2" ]; }

# auth_of FORMAT TOKEN: the Authorization header the format calls for
auth_of() {
	case $1 in
	splunk-hec) echo "Splunk $2" ;;
	elastic-bulk) echo "ApiKey $2" ;;
	*) echo "Bearer $2" ;;
	esac
}
# path_of FORMAT: the URL path the tests give each format
path_of() {
	case $1 in
	splunk-hec) echo /services/collector/event ;;
	elastic-bulk) echo /_bulk ;;
	ocsf) echo /ocsf/findings ;;
	*) echo /ingest ;;
	esac
}

# hconfig DIR FORMAT [NAME=VALUE...]: DIR/agent.yaml as mkconfig writes it (a file output,
# start_at beginning), a summary line every second, and an https output after the file output.
# Names: name (default siem; empty: no name key), url (default
# https://127.0.0.1:$PORT$(path_of FORMAT)), ca ($PKI/ca.pem; empty: no ca_file), token (the
# token written to DIR/token; empty: no token_file), retry (default {initial_ms: 100,
# max_ms: 2000}), more (raw YAML lines for the output, without indentation, one per line).
hconfig() {
	local d=$1 fmt=$2
	shift 2
	local name=siem url="https://127.0.0.1:$PORT$(path_of "$fmt")" ca=$PKI/ca.pem token=""
	local retry="{initial_ms: 100, max_ms: 2000}" more="" kv
	for kv in "$@"; do local "$kv"; done
	mkconfig "$d" extra="summary_interval_seconds: 1"
	{
		echo "  - type: https"
		[ -n "$name" ] && echo "    name: $name"
		echo "    url: $url"
		echo "    format: $fmt"
		[ -n "$ca" ] && echo "    ca_file: $ca"
		if [ -n "$token" ]; then
			printf '%s' "$token" >"$d/token"
			echo "    token_file: $d/token"
		fi
		[ -n "$retry" ] && echo "    retry: $retry"
		[ -n "$more" ] && printf '%s\n' "$more" | sed 's/^/    /'
	} >"$d/https.yaml"
	# the https output goes right before "correlation:" (after the file output)
	awk -v f="$d/https.yaml" '/^correlation:/ { while ((getline l < f) > 0) print l } { print }' \
		"$d/agent.yaml" >"$d/agent.yaml.new" && mv "$d/agent.yaml.new" "$d/agent.yaml"
}

# cc DIR [NAME]: check-config on DIR/agent.yaml; DIR/NAME.out, DIR/NAME.err; CC_RC the status
cc() {
	local n=${2:-cc}
	"$AGENT" check-config --config "$1/agent.yaml" >"$1/$n.out" 2>"$1/$n.err"
	CC_RC=$?
}

# anon_batch LOG PREFIX FROM TO [UAS]: anonymous events PREFIX-FROM .. PREFIX-TO appended to
# LOG, one second apart (inside one dedup window). With UAS > 0 the user agents cycle through
# UAS values (so a repeat is an update record), else each event has its own (an alert each).
# Every event gives exactly one record in the file output.
anon_batch() {
	local l=$1 p=$2 from=$3 to=$4 uas=${5:-0} i ua
	for ((i = from; i <= to; i++)); do
		if [ "$uas" -gt 0 ]; then ua="$p-agent-$((i % uas))"; else ua="$p-agent-$i"; fi
		anon_event "$p-$i" "$ua" "$(printf '2024-05-14T09:%02d:%02d.000000Z' $((i / 60 % 60)) $((i % 60)))"
	done >>"$l"
}

# received DIR FORMAT: DIR/received.jsonl, one line per alert record in the collector's
# requests (collector.py extract: n, status, item_status, ok, key, alert_id, ...)
received() { python3 "$COLLECTOR" extract "$2" "$1/collector.jsonl" >"$1/received.jsonl" 2>/dev/null; }

# compare_delivery DIR FORMAT: compares the records the collector took (ok) with the file
# output $OUT by key ("type|alert_id|event_count"; for elastic-bulk the alert's alert_id, the
# document _id). Sets MISSING (file records the collector did not take), EXTRA (taken but not
# in the file output), TAKEN (records taken, repeats included), UNIQUE (distinct records
# taken), WANT (distinct records in the file output), MISSING_SAMPLE.
compare_delivery() {
	local d=$1 fmt=$2
	received "$d" "$fmt"
	if [ "$fmt" = elastic-bulk ]; then
		jq -r 'select(.type == "alert") | .alert_id' "$OUT" 2>/dev/null | sort -u >"$d/want.keys"
	else
		jq -r '"\(.type)|\(.alert_id)|\(.event_count)"' "$OUT" 2>/dev/null | sort -u >"$d/want.keys"
	fi
	jq -r 'select(.ok) | .key' "$d/received.jsonl" | sort >"$d/got.all"
	sort -u "$d/got.all" >"$d/got.keys"
	MISSING=$(comm -23 "$d/want.keys" "$d/got.keys" | wc -l | tr -d ' ')
	EXTRA=$(comm -13 "$d/want.keys" "$d/got.keys" | wc -l | tr -d ' ')
	MISSING_SAMPLE=$(comm -23 "$d/want.keys" "$d/got.keys" | head -n 3 | tr '\n' ' ')
	TAKEN=$(wc -l <"$d/got.all" | tr -d ' ')
	UNIQUE=$(wc -l <"$d/got.keys" | tr -d ' ')
	WANT=$(wc -l <"$d/want.keys" | tr -d ' ')
}
# delivered_all DIR FORMAT N: the file output has N records and the collector took them all
delivered_all() {
	[ "$(records "$OUT")" -ge "$3" ] || return 1
	compare_delivery "$1" "$2"
	[ "$MISSING" -eq 0 ]
}
# wait_delivered DIR FORMAT N [SECONDS]: wait (default 20 s) until delivered_all, or until
# neither the collector's log nor the file output has changed for 6 s (three times the
# tests' longest retry interval: the agent has stopped trying)
wait_delivered() {
	local d=$1 fmt=$2 want=$3 deadline=$((SECONDS + ${4:-20} + 1)) last="" same=0 now
	while [ "$SECONDS" -lt "$deadline" ]; do
		delivered_all "$d" "$fmt" "$want" && return 0
		now="$(fsize "$d/collector.jsonl" 2>/dev/null) $(records "$OUT")"
		if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0 last=$now; fi
		[ "$same" -ge 30 ] && break
		sleep 0.2
	done
	delivered_all "$d" "$fmt" "$want"
}

# deadletter_ids FILE: the alert_ids in a dead-letter file, sorted, unique (whatever wraps
# the records there: an "alert_id" member anywhere on a line)
deadletter_ids() {
	[ -f "$1" ] && grep -aoE '"alert_id" *: *"[0-9a-f]{32}"' "$1" | grep -oE '[0-9a-f]{32}' | sort -u
}
# spool_ids DIR: the alert_ids found in the files under DIR/state/spool, sorted, unique
spool_ids() {
	[ -d "$1/state/spool" ] &&
		grep -raoE '"alert_id" *: *"[0-9a-f]{32}"' "$1/state/spool" | grep -oE '[0-9a-f]{32}' | sort -u
}
# spool_bytes DIR: the bytes of every file under DIR/state/spool
spool_bytes() {
	find "$1/state/spool" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
# file_alert_ids: the alert_ids in the file output $OUT, sorted, unique
file_alert_ids() { jq -r .alert_id "$OUT" 2>/dev/null | sort -u; }
# spool_has_all DIR: every alert_id of the file output is in a file under DIR/state/spool
spool_has_all() { [ -s "$OUT" ] && [ -z "$(comm -23 <(file_alert_ids) <(spool_ids "$1"))" ]; }
# accounted DIR FORMAT N DEADLETTER_FILE: the file output has N records, and the alert_id of
# each was taken by the collector or is in the dead-letter file
accounted() {
	[ "$(records "$OUT")" -ge "$3" ] || return 1
	received "$1" "$2"
	[ -z "$(comm -23 <(file_alert_ids) <(cat <(jq -r 'select(.ok) | .alert_id' "$1/received.jsonl") \
		<(deadletter_ids "$4") | sort -u))" ]
}
# deadletters_have IDS_FILE DEADLETTER_FILE: every alert_id listed is in the dead-letter file
deadletters_have() { [ -s "$1" ] && [ -z "$(comm -23 <(sort -u "$1") <(deadletter_ids "$2"))" ]; }
# req_ids DIR N: the alert_ids (elastic-bulk: document _ids) in request N, sorted, unique
# (after `received`)
req_ids() { jq -r --argjson n "$2" 'select(.n == $n) | .alert_id' "$1/received.jsonl" | sort -u; }
# lag_of DIR FILE: the lag of FILE in the agent's last summary line ("none" when not there)
lag_of() {
	local l
	l=$(grep -E ' summary: ' "$1/stderr" | tail -n 1 | grep -oE " $2=[0-9]+" | cut -d= -f2)
	echo "${l:-none}"
}
