#!/usr/bin/env bash
# The HTTPS output (`type: https`) of `kube-audit-agent run` against a local collector
# (tests/integration/collector.py: TLS, optional mTLS, a required Authorization value, gzip
# bodies, scripted answers, Elasticsearch's _bulk item answers). Every scenario has its own
# directory, collector and agent, and a file output next to the https output: what the file
# output holds is what the collector must take, by (type, alert_id, event_count).
#   TLS: the right CA, a wrong CA (then the right one), mTLS with and without a client cert,
#   insecure_skip_verify, plain http only with allow_plain_http;
#   answers: a wrong token (401) and a 400 to the dead-letter file, the collector down then
#   503s, a 429 with Retry-After in seconds and a 503 with it as an HTTP-date, a SIGKILL with a batch in flight, a full spool;
#   encodings: json (NDJSON), splunk-hec, elastic-bulk (ECS, per-item 201/409/429/400), ocsf.
# Until `check-config` accepts `type: https`, every scenario is skipped with that reason.
# Every wait is a bounded poll on a condition; no check asserts how long something took,
# except Retry-After's lower bound (a request before the collector's Retry-After is a bug
# however slow the machine).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
. "$(dirname "$0")/https.sh"

SCENARIO_NAMES=("check-config: https outputs" "json over TLS, the right CA" "mTLS"
	"a wrong CA" "a wrong token (401)" "the collector down, then 503 and 429"
	"SIGKILL with a batch in flight" "a 400 answer" "a full spool" "splunk-hec encoding"
	"elastic-bulk encoding" "ocsf encoding" "insecure_skip_verify" "plain http")
skip_all() {
	local s
	for s in "${SCENARIO_NAMES[@]}"; do skip "https output: $s" "$1"; done
	exit 0
}

if ! command -v openssl >/dev/null; then
	skip_all "openssl is not installed (make deps)"
fi
scenario pki
if ! make_pki "$D"; then
	not_ok "test PKI: openssl made the CA and the certificates" "$(tail -n 5 "$D/pki.log")"
	exit 0
fi

# --- the collector itself (curl), whether or not the agent has an https output ---------------
if command -v curl >/dev/null; then
	scenario collector
	start_collector "$D" --client-ca "$PKI/ca.pem" --auth "Bearer t0k"
	printf '{"type":"alert","alert_id":"%s","event_count":1}\n' 0123456789abcdef0123456789abcdef |
		gzip | curl -s -o "$D/curl.out" --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" \
		--key "$PKI/client.key" -H 'Authorization: Bearer t0k' -H 'Content-Encoding: gzip' \
		--data-binary @- "https://127.0.0.1:$PORT/ingest" 2>"$D/curl.err"
	received "$D" json
	equal "collector.py (curl): takes a gzip'd POST over mTLS with the token, records it decoded" \
		"200 kaa-test-agent alert|0123456789abcdef0123456789abcdef|1" \
		"$(creq "$D" '"\(.status) \(.client_cn)"') $(jq -r .key "$D/received.jsonl")"
	stop_collector
else
	skip "collector.py (curl): takes a gzip'd POST over mTLS with the token" "curl is not installed"
fi

# --- does the agent have an https output yet? ---------------------------------------------------
scenario gate
cat >"$D/agent.yaml" <<EOF
state_dir: $D/state
rules: [$ROOT/rules]
inputs:
  - path: $D/logs/audit.log
outputs:
  - type: https
    url: https://127.0.0.1:1/ingest
    format: json
    ca_file: $PKI/ca.pem
    token_file: $D/token
EOF
printf 'gate-token' >"$D/token"
cc "$D"
if [ "$CC_RC" != 0 ]; then
	skip_all "check-config rejects type: https (exit $CC_RC: $(head -n 1 "$D/cc.err"))"
fi

# === check-config ===============================================================================
scenario config
PORT=8088
TOKEN=cc-secret-token-$$
hconfig "$D" splunk-hec token="$TOKEN" more="cert_file: $PKI/client.pem
key_file: $PKI/client.key
headers: {X-Tenant: blue}
batch: {max_events: 50, max_bytes: 65536, max_delay_ms: 100}
spool: {max_bytes: 1048576}
compress: true
insecure_skip_verify: false
allow_plain_http: false
index: kube-audit-alerts
sourcetype: kaa:alert
source: kaa-test"
cc "$D" full
equal "check-config: an https output with every key: exit 0" 0 "$CC_RC"
[ "$CC_RC" = 0 ] || echo "#   $(head -n 3 "$D/full.err")"
check "check-config: the effective configuration shows the https output" \
	grep -qE '^  - type: https$' "$D/full.out"
check "check-config: the token itself is not printed (only token_file)" \
	bash -c '! grep -qF -- "$1" "$2" "$3"' _ "$TOKEN" "$D/full.out" "$D/full.err"
grep -v '^#' "$D/full.out" >"$D/printed.yaml"
"$AGENT" check-config --config "$D/printed.yaml" >"$D/again.out" 2>"$D/again.err"
rc=$?
equal "check-config: the printed configuration is valid and prints the same" \
	"0 $(grep -v '^#' "$D/full.out" | md5sum)" "$rc $(grep -v '^#' "$D/again.out" | md5sum)"
# plain http is refused unless allow_plain_http
hconfig "$D" json url="http://127.0.0.1:8088/ingest" token="$TOKEN"
cc "$D" plain
equal "check-config: an http:// url without allow_plain_http: exit 2" 2 "$CC_RC"
check "check-config: the http:// refusal says why (plain http / allow_plain_http)" \
	grep -qiE 'allow_plain_http|plain http|unencrypted' "$D/plain.err"
hconfig "$D" json url="http://127.0.0.1:8088/ingest" token="$TOKEN" more="allow_plain_http: true"
cc "$D" plainok
equal "check-config: an http:// url with allow_plain_http: true: exit 0" 0 "$CC_RC"
hconfig "$D" xml token="$TOKEN"
cc "$D" badfmt
equal "check-config: format xml for an https output: exit 2" 2 "$CC_RC"
check "check-config: format xml: the error names the line" grep -qE 'agent\.yaml:[0-9]+:' "$D/badfmt.err"
hconfig "$D" json token="$TOKEN" more="tokenfile: $D/token"
cc "$D" badkey
equal "check-config: an unknown key in an https output: exit 2" 2 "$CC_RC"
check "check-config: the unknown key is named" grep -q "tokenfile" "$D/badkey.err"

# === json over TLS with the right CA ============================================================
scenario json
L=$D/logs/audit.log
TOKEN=json-token-$$
start_collector "$D" --auth "Bearer $TOKEN"
hconfig "$D" json token="$TOKEN" more="headers: {X-Tenant: blue}"
anon_batch "$L" J 1 12 8 # 8 alerts, 4 updates
start_agent "$D"
wait_delivered "$D" json 12
anon_batch "$L" K 13 20 # 8 more alerts while it runs
wait_delivered "$D" json 20
compare_delivery "$D" json
equal "json: every record of the file output reaches the collector ($WANT records; missing $MISSING, extra $EXTRA)" \
	"0 0" "$MISSING $EXTRA"
equal "json: the collector took as many distinct records as the file output holds" \
	"$(records "$OUT")" "$UNIQUE"
equal "json: every request POSTs to the url's path" "POST $(path_of json)" \
	"$(creq "$D" '"\(.method) \(.path)"' | sort -u | paste -sd '|')"
equal "json: every request is gzip'd (Content-Encoding: gzip and a gzip body)" "gzip true" \
	"$(creq "$D" '"\(.headers["content-encoding"]) \(.gzip)"' | sort -u | paste -sd '|')"
equal "json: Authorization: Bearer TOKEN on every request" "Bearer $TOKEN" \
	"$(creq "$D" '.headers.authorization' | sort -u | paste -sd '|')"
equal "json: the configured header X-Tenant: blue on every request" "blue" \
	"$(creq "$D" '.headers["x-tenant"]' | sort -u | paste -sd '|')"
equal "json: every body is NDJSON (one JSON object per line, a newline after each)" "true" \
	"$(creq "$D" '.body | endswith("\n") and (rtrimstr("\n") | split("\n") | all(fromjson? | type == "object"))' | sort -u | paste -sd '|')"
creq "$D" 'select(.status == 200) | .body' | jq -cS . 2>/dev/null | sort -u >"$D/got.canon"
jq -cS . "$OUT" | sort -u >"$D/want.canon"
check "json: the records sent are the file output's records, field for field" \
	cmp -s "$D/want.canon" "$D/got.canon"
equal "json: one batch in flight at a time (the collector never had two requests at once)" 1 \
	"$(jq -R -r 'fromjson? | select(.event == "received") | .inflight' "$COLL_LOG" | sort -n | tail -n 1)"
stop_agent TERM
equal "json: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (json)" clean "$D/stderr"
stop_collector

# === mTLS: required and missing, then presented =================================================
scenario mtls
L=$D/logs/audit.log
TOKEN=mtls-token-$$
start_collector "$D" --client-ca "$PKI/ca.pem" --auth "Bearer $TOKEN"
hconfig "$D" json token="$TOKEN"
anon_batch "$L" M 1 6
start_agent "$D"
wait_until 20 coll_event "$D" tls_error
wait_until 20 records_ge "$OUT" 6
check "mTLS required, no client certificate: the collector refuses the handshake" coll_event "$D" tls_error
equal "mTLS required, no client certificate: nothing delivered" 0 "$(ncreq "$D")"
check "mTLS required, no client certificate: the agent keeps running" alive
stop_agent TERM
equal "mTLS, no client certificate: SIGTERM with a failing output: exit 0" "exit 0" "$STOPPED"
hconfig "$D" json token="$TOKEN" more="cert_file: $PKI/client.pem
key_file: $PKI/client.key"
start_agent "$D"
anon_batch "$L" M 7 8
wait_delivered "$D" json 8
compare_delivery "$D" json
equal "mTLS presented (after a restart): the spooled records and the new ones arrive (missing $MISSING, extra $EXTRA)" \
	"0 0" "$MISSING $EXTRA"
equal "mTLS presented: the collector saw the agent's certificate (CN kaa-test-agent)" \
	"kaa-test-agent" "$(creq "$D" '.client_cn' | sort -u | paste -sd '|')"
stop_agent TERM
equal "mTLS: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (mTLS)" clean "$D/stderr"
stop_collector

# === a wrong CA, then the right one ===============================================================
scenario wrongca
L=$D/logs/audit.log
TOKEN=ca-token-$$
start_collector "$D" --auth "Bearer $TOKEN"
hconfig "$D" json token="$TOKEN" ca="$PKI/other-ca.pem"
anon_batch "$L" C 1 6 4
start_agent "$D"
tls_re=' (warn|error) .*(SSL|TLS|[Cc]ertificate|issuer)'
wait_until 20 log_has "$D" "$tls_re"
wait_until 20 records_ge "$OUT" 6
check "wrong CA: a clear TLS error in the log" log_has "$D" "$tls_re"
[ -n "$(errlines "$D" "$tls_re" 1)" ] && echo "#   $(errlines "$D" "$tls_re" 1)"
equal "wrong CA: nothing delivered" 0 "$(ncreq "$D")"
check "wrong CA: the agent keeps running" alive
equal "wrong CA: the file output is not held up (6 records)" 6 "$(records "$OUT")"
wait_until 10 spool_has_all "$D"
equal "wrong CA: every alert is kept in the spool (state_dir/spool/)" "" \
	"$(comm -23 <(file_alert_ids) <(spool_ids "$D") | head -n 3 | tr '\n' ' ')"
stop_agent TERM
equal "wrong CA: SIGTERM: exit 0" "exit 0" "$STOPPED"
hconfig "$D" json token="$TOKEN"
start_agent "$D"
wait_delivered "$D" json 6
compare_delivery "$D" json
equal "wrong CA replaced by the right one, restart: the spooled records arrive (missing $MISSING, extra $EXTRA)" \
	"0 0" "$MISSING $EXTRA"
stop_agent TERM
check "no sanitizer report (wrong CA)" clean "$D/stderr"
stop_collector

# === a wrong token: 401, dead letters ============================================================
scenario token
L=$D/logs/audit.log
start_collector "$D" --auth "Splunk right-token-$$"
# no name: the output is "https-1" (index 1 in outputs, after the file output)
hconfig "$D" splunk-hec name="" token="wrong-token-$$"
anon_batch "$L" T 1 6 4
start_agent "$D"
DL=$D/state/deadletter/https-1.jsonl
wait_until 20 records_ge "$OUT" 6
file_alert_ids >"$D/all.ids"
wait_until 20 deadletters_have "$D/all.ids" "$DL"
equal "wrong token: the collector answered 401 to Authorization: Splunk TOKEN" \
	"401 Splunk wrong-token-$$" "$(creq "$D" '"\(.status) \(.headers.authorization)"' | sort -u | paste -sd '|')"
equal "wrong token: every alert is in the dead-letter file state_dir/deadletter/https-1.jsonl (default name)" \
	"$(file_alert_ids | paste -sd ' ')" "$(deadletter_ids "$DL" | paste -sd ' ')"
[ -f "$DL" ] || echo "#   state_dir/deadletter holds: $(ls "$D/state/deadletter" 2>/dev/null | tr '\n' ' ')"
received "$D" splunk-hec
equal "wrong token: a 401 is not retried (each record sent once)" \
	"$(jq -r .key "$D/received.jsonl" | sort -u | wc -l)" "$(jq -r .key "$D/received.jsonl" | wc -l)"
check "wrong token: the log gives the status (401)" log_has "$D" '401'
check "wrong token: the log gives the collector's answer (Invalid authorization)" \
	log_has "$D" 'Invalid authorization'
check "wrong token: the agent keeps running" alive
stop_agent TERM
equal "wrong token: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (wrong token)" clean "$D/stderr"
stop_collector

# === the collector down, then 503s, a 429 and a 503 with Retry-After, then healthy ==============
scenario outage
L=$D/logs/audit.log
TOKEN=outage-token-$$
set_mode "$D" 200
start_collector "$D" --auth "Bearer $TOKEN" --mode-file "$D/mode"
set_mode "$D" down
wait_until 10 coll_event "$D" down
hconfig "$D" json token="$TOKEN" more="batch: {max_events: 5, max_delay_ms: 100}"
anon_batch "$L" O 1 10 6
start_agent "$D"
wait_until 20 records_ge "$OUT" 10
sleep 1 # the agent tries to connect and is refused (no check depends on how often)
anon_batch "$L" O 11 16 6
wait_until 20 records_ge "$OUT" 16
equal "collector down: nothing delivered yet" 0 "$(ncreq "$D")"
check "collector down: the agent logs the failure" log_has "$D" ' (warn|error) '
# the date form: 4 s after the answer, whole seconds, so more than 3 s; retry.max_ms (2 s) is
# the most the ordinary backoff would wait; a Retry-After that is neither is logged and ignored
set_mode "$D" "503,503,503,429:retry-after=2,503:retry-after-date=4,503:retry-after=soon,200"
wait_delivered "$D" json 16 30
anon_batch "$L" P 17 22
wait_delivered "$D" json 22
compare_delivery "$D" json
equal "collector down, 503s, 429, healthy: every record arrives (missing $MISSING, extra $EXTRA; $((TAKEN - UNIQUE)) repeats)" \
	"0 0" "$MISSING $EXTRA"
equal "collector down, then 503 three times, 429 once, 503 twice: the script was played" "5 1" \
	"$(ncreq "$D" 'select(.status == 503)') $(ncreq "$D" 'select(.status == 429)')"
received "$D" json
jq -r 'select(.ok | not) | .key' "$D/received.jsonl" | sort -u >"$D/refused.keys"
equal "records answered 503/429 are sent again and taken with the same alert_id ($(wc -l <"$D/refused.keys") refused)" "" \
	"$(comm -23 "$D/refused.keys" "$D/got.keys" | head -n 3 | tr '\n' ' ')"
equal "repeats keep their alert_id: nothing taken that the file output does not hold" 0 "$EXTRA"
num_ge() { jq -en "$1 >= $2" >/dev/null; } # num_ge EXPR MIN (jq arithmetic on floats)
# waited_after JQ_COND: the seconds (to the ms) from the collector's answer to the first request
# matching JQ_COND until the agent's next request; nothing when either is not in the log
waited_after() {
	local t n tnext
	t=$(creq "$D" "select($1) | .t_answered" | head -n 1)
	n=$(creq "$D" "select($1) | .n" | head -n 1)
	[ -n "$t" ] && [ -n "$n" ] || return 0
	tnext=$(jq -R -r --argjson n "$n" \
		'fromjson? | select(.event == "request" and .n == $n + 1) | .t_received' "$COLL_LOG")
	[ -n "$tnext" ] && jq -n "$tnext - $t | . * 1000 | floor / 1000"
}
w=$(waited_after '.status == 429')
if [ -n "$w" ]; then
	check "Retry-After: 2 honoured: no request within 2 s of the 429 (next after $w s)" num_ge "$w" 1.9
else
	not_ok "Retry-After: 2 honoured" "no 429 answer or no request after it in $COLL_LOG"
fi
w=$(waited_after '.status == 503 and (.retry_after // "" | test("GMT$"))')
if [ -n "$w" ]; then
	check "Retry-After as an HTTP-date 4 s ahead honoured: no request within 3 s of the 503 (next after $w s)" \
		num_ge "$w" 2.9
else
	not_ok "Retry-After as an HTTP-date honoured" "no 503 with a date or no request after it in $COLL_LOG"
fi
check "Retry-After: soon: the log says it is neither seconds nor a date" \
	log_has "$D" 'Retry-After "soon" is neither seconds nor an HTTP date'
stop_agent TERM
equal "outage: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (outage)" clean "$D/stderr"
stop_collector

# === SIGKILL with a batch in flight (a slow collector), restart ==================================
scenario sigkill
L=$D/logs/audit.log
TOKEN=kill-token-$$
set_mode "$D" "200:delay=0.7"
start_collector "$D" --auth "Bearer $TOKEN" --mode-file "$D/mode"
hconfig "$D" json token="$TOKEN" more="batch: {max_events: 4, max_delay_ms: 50}"
anon_batch "$L" S 1 24
start_agent "$D"
wait_until 20 nreceived_ge "$D" 2
inflight=$(($(nreceived "$D") - $(ncreq "$D")))
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
taken_at_kill=$(ncreq "$D" 'select(.status == 200)')
if [ "$inflight" -ge 1 ]; then
	ok "SIGKILL: a batch was in flight (the collector was holding its answer; $taken_at_kill batches taken before)"
else
	skip "SIGKILL: a batch was in flight" "the collector had answered every request when the kill came"
fi
equal "SIGKILL: one batch in flight at a time before the kill" 1 \
	"$(jq -R -r 'fromjson? | select(.event == "received") | .inflight' "$COLL_LOG" | sort -n | tail -n 1)"
set_mode "$D" 200
start_agent "$D"
wait_delivered "$D" json 24 30
compare_delivery "$D" json
equal "SIGKILL, restart: every record arrives (missing $MISSING, extra $EXTRA; $((TAKEN - UNIQUE)) repeats)" \
	"0 0" "$MISSING $EXTRA"
equal "SIGKILL: no request body is torn (every record parses)" 0 "$(grep -c '"<bad>"' "$D/received.jsonl")"
stop_agent TERM
equal "SIGKILL: the restarted agent stops on SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (SIGKILL)" clean "$D/stderr"
stop_collector

# === a 400 answer: the batch goes to the dead-letter file ========================================
scenario http400
L=$D/logs/audit.log
TOKEN=dl-token-$$
start_collector "$D" --auth "Bearer $TOKEN" --script 400
hconfig "$D" json token="$TOKEN"
DL=$D/state/deadletter/siem.jsonl
anon_batch "$L" B 1 5
start_agent "$D"
wait_until 20 ncreq_ge "$D" 1
received "$D" json
first=$(creq "$D" 'select(.status == 400) | .n' | head -n 1)
req_ids "$D" "${first:-0}" >"$D/refused.ids"
check "400: the collector refused the first batch ($(wc -l <"$D/refused.ids") records)" test -s "$D/refused.ids"
wait_until 10 deadletters_have "$D/refused.ids" "$DL"
anon_batch "$L" B 6 10
wait_until 20 accounted "$D" json 10 "$DL"
equal "400: the refused batch is in the dead-letter file state_dir/deadletter/siem.jsonl" \
	"$(paste -sd ' ' "$D/refused.ids")" "$(deadletter_ids "$DL" | paste -sd ' ')"
[ -f "$DL" ] || echo "#   state_dir/deadletter holds: $(ls "$D/state/deadletter" 2>/dev/null | tr '\n' ' ')"
equal "400: every dead-letter line is a JSON object" 0 "$(bad_lines "$DL")"
check "400: the log names the status" log_has "$D" ' (warn|error) .*400'
equal "400: the refused batch is not sent again" "" \
	"$(jq -r --argjson n "${first:-0}" 'select(.n != $n) | .alert_id' "$D/received.jsonl" | sort -u | comm -12 - "$D/refused.ids" | tr '\n' ' ')"
compare_delivery "$D" json
equal "400: every record not refused arrives (missing $MISSING = the $(wc -l <"$D/refused.ids") dead letters)" \
	"$(wc -l <"$D/refused.ids" | tr -d ' ')" "$MISSING"
check "400: the agent keeps running" alive
stop_agent TERM
equal "400: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (400)" clean "$D/stderr"
stop_collector

# === a full spool while the collector is down: reading stops, then recovers =======================
# A backlog at start (60 records, about 150 kB, in a log the agent reads in one go), then lines
# appended while the spool is full; max_bytes 20000 holds about 8 records.
scenario spoolfull
L=$D/logs/audit.log
TOKEN=spool-token-$$
set_mode "$D" 200
start_collector "$D" --auth "Bearer $TOKEN" --mode-file "$D/mode"
set_mode "$D" down
wait_until 10 coll_event "$D" down
hconfig "$D" json token="$TOKEN" more="spool: {max_bytes: 20000}"
anon_batch "$L" F 1 60
start_agent "$D"
# offset_settled: the checkpoint has not moved for a second and a summary line gives the lag
offset_settled() {
	local a b
	a=$(state_offset "$D" "$L")
	sleep 1
	b=$(state_offset "$D" "$L")
	[ "$a" = "$b" ] && [ "$(lag_of "$D" "$L")" != none ]
}
lag_ge() { [ "$(lag_of "$D" "$L")" != none ] && [ "$(lag_of "$D" "$L")" -ge "$1" ]; }
wait_until 20 offset_settled
off=$(state_offset "$D" "$L")
size=$(fsize "$L")
n_paused=$(records "$OUT")
sb=$(spool_bytes "$D")
check "full spool, backlog at start: the spool stays near max_bytes ($sb bytes on disk for max_bytes 20000)" \
	test "$sb" -le 40000
check "full spool, backlog at start: reading stops before the end of the log (checkpoint $off of $size bytes)" \
	test "$off" = none -o "${off/none/0}" -lt "$size"
check "full spool, backlog at start: the file output stops too ($n_paused of 60 records)" test "$n_paused" -lt 60
wait_until 5 lag_ge 1
check "full spool, backlog at start: the summary line shows the log's lag ($(lag_of "$D" "$L") bytes)" lag_ge 1
# more lines while the spool is full: not read
lag0=$(lag_of "$D" "$L")
size0=$(fsize "$L")
anon_batch "$L" F 61 70
added=$(($(fsize "$L") - size0))
wait_until 5 lag_ge $((${lag0/none/0} + added))
check "full spool: lines appended while it is full are not read (the lag grows by their $added bytes)" \
	lag_ge $((${lag0/none/0} + added))
equal "full spool: the checkpoint and the file output stay where they were" "$off $n_paused" \
	"$(state_offset "$D" "$L") $(records "$OUT")"
check "full spool: the agent keeps running" alive
set_mode "$D" 200
wait_delivered "$D" json 70 40
compare_delivery "$D" json
equal "full spool, collector back: every record arrives (missing $MISSING, extra $EXTRA)" "0 0" "$MISSING $EXTRA"
equal "full spool, collector back: all 70 records in the file output" 70 "$(records "$OUT")"
wait_until 10 ckpt_is "$D" "$L" "$(fsize "$L")"
equal "full spool drained: the checkpoint reaches the end of the log" "$(fsize "$L")" "$(state_offset "$D" "$L")"
stop_agent TERM
equal "full spool: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (full spool)" clean "$D/stderr"
stop_collector

# === splunk-hec ===================================================================================
scenario hec
L=$D/logs/audit.log
TOKEN=hec-token-$$
start_collector "$D" --auth "Splunk $TOKEN"
hconfig "$D" splunk-hec token="$TOKEN" more="index: kube-audit-alerts
sourcetype: kaa:alert
source: kaa-test"
anon_batch "$L" H 1 10 6
start_agent "$D"
wait_delivered "$D" splunk-hec 10
compare_delivery "$D" splunk-hec
equal "splunk-hec: every record arrives (missing $MISSING, extra $EXTRA)" "0 0" "$MISSING $EXTRA"
equal "splunk-hec: Authorization: Splunk TOKEN, POST to /services/collector/event" \
	"Splunk $TOKEN POST /services/collector/event" \
	"$(creq "$D" '"\(.headers.authorization) \(.method) \(.path)"' | sort -u | paste -sd '|')"
creq "$D" 'select(.status == 200) | .body' | jq -c . >"$D/envelopes" 2>"$D/envelopes.err"
check "splunk-hec: the bodies are a sequence of JSON objects" test -s "$D/envelopes" -a ! -s "$D/envelopes.err"
equal "splunk-hec: envelopes have only HEC's keys (time, host, source, sourcetype, index, event)" "" \
	"$(jq -r 'keys - ["time", "host", "source", "sourcetype", "index", "event", "fields"] | .[]' "$D/envelopes" | sort -u | tr '\n' ' ')"
equal "splunk-hec: host is the node, source, sourcetype and index as configured" \
	"test-node kaa-test kaa:alert kube-audit-alerts" \
	"$(jq -r '"\(.host) \(.source) \(.sourcetype) \(.index)"' "$D/envelopes" | sort -u | paste -sd '|')"
equal "splunk-hec: time is the alert's own time in epoch seconds (not ms, not the wall clock)" "true" \
	"$(jq -r '(.time | type == "number") and ((.time | floor) as $t | [.event.first_seen, .event.last_seen] | map(select(type == "string") | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) | any(. == $t))' "$D/envelopes" | sort -u | paste -sd '|')"
equal "splunk-hec: event is the agent's record" "true" \
	"$(jq -r '.event | type == "object" and (.alert_id | test("^[0-9a-f]{32}$")) and (.rule_id == "Kubernetes.API.AnonymousAccess")' "$D/envelopes" | sort -u | paste -sd '|')"
stop_agent TERM
equal "splunk-hec: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (splunk-hec)" clean "$D/stderr"
stop_collector

# === elastic-bulk: framing, ECS, _id, per-item 201 / 429 / 409 / 400 ===============================
scenario elastic
L=$D/logs/audit.log
TOKEN=es-token-$$
# 1st request: the first document created, every other one 429 (the batch must come again);
# 2nd: the first is there already (409, i.e. delivered), the second refused (400: a dead
# letter), the rest created; then Elasticsearch's own answers
start_collector "$D" --auth "ApiKey $TOKEN" --elastic \
	--script "200:items=auto/429,200:items=auto/400/auto"
hconfig "$D" elastic-bulk name=es token="$TOKEN" more="index: kaa-alerts"
DL=$D/state/deadletter/es.jsonl
anon_batch "$L" E 1 10
start_agent "$D"
wait_until 20 ncreq_ge "$D" 2
anon_batch "$L" E 11 14
wait_until 20 ncreq_ge "$D" 3
wait_until 20 records_ge "$OUT" 14
received "$D" elastic-bulk
wait_until 20 accounted "$D" elastic-bulk 14 "$DL"
received "$D" elastic-bulk
equal "elastic-bulk: Authorization: ApiKey TOKEN, POST to /_bulk" "ApiKey $TOKEN POST /_bulk" \
	"$(creq "$D" '"\(.headers.authorization) \(.method) \(.path)"' | sort -u | paste -sd '|')"
equal "elastic-bulk: Content-Type is application/x-ndjson or application/json (what _bulk takes)" "" \
	"$(creq "$D" '.headers["content-type"] // "none"' | grep -vE '^application/(x-ndjson|json)( *;.*)?$' | sort -u | paste -sd '|')"
equal "elastic-bulk: framing: action line + document line pairs, a final newline (no request refused as malformed)" \
	"true" "$(creq "$D" '.body | endswith("\n") and (rtrimstr("\n") | split("\n") | (length % 2 == 0) and ([to_entries[] | select(.key % 2 == 0) | .value | fromjson? | (keys | length == 1) and (keys[0] | IN("create", "index"))] | all))' | sort -u | paste -sd '|')"
equal "elastic-bulk: every action names the configured index" "kaa-alerts" \
	"$(creq "$D" '.body | rtrimstr("\n") | split("\n") | to_entries[] | select(.key % 2 == 0) | .value | fromjson | to_entries[0].value._index' | sort -u | paste -sd '|')"
equal "elastic-bulk: _id is the alert_id (every alert has one document with its alert_id as _id)" \
	"$(file_alert_ids | paste -sd ' ')" "$(jq -r .id "$D/received.jsonl" | sort -u | paste -sd ' ')"
# ECS: nested objects or dotted names, both mean the same to Elasticsearch
creq "$D" 'select(.status == 200) | .body | rtrimstr("\n") | split("\n") | to_entries[] | select(.key % 2 == 1) | .value | fromjson' >"$D/docs"
ecs='def f($p): (try getpath($p | split(".")) catch null) // .[$p];'
equal "elastic-bulk: ECS field names: @timestamp, event.kind alert, rule.name, source.ip, user.name, user_agent.original" \
	"true" \
	"$(jq -r "$ecs"' (f("@timestamp") | type == "string" and test("^20[0-9][0-9]-")) and f("event.kind") == "alert" and (f("rule.name") | type == "string") and f("source.ip") == "198.51.100.23" and f("user.name") == "system:anonymous" and (f("user_agent.original") | type == "string" and startswith("E-agent-"))' "$D/docs" | sort -u | paste -sd '|')"
nfirst=$(jq -r 'select(.n == 1) | .id' "$D/received.jsonl" | wc -l)
if [ "$nfirst" -lt 3 ]; then
	skip "elastic-bulk: per-item answers (429 retried, 409 delivered, 400 dead letter)" \
		"the first _bulk request had $nfirst documents, fewer than the 3 the script needs"
else
	jq -r 'select(.n == 1 and .item_status == 429) | .id' "$D/received.jsonl" | sort -u >"$D/429.ids"
	equal "elastic-bulk: 429 items: the batch is sent again ($(wc -l <"$D/429.ids") items answered 429 are in the second request)" "" \
		"$(comm -23 "$D/429.ids" <(req_ids "$D" 2) | tr '\n' ' ')"
	id409=$(jq -r 'select(.n == 2 and .item_status == 409) | .id' "$D/received.jsonl" | head -n 1)
	id400=$(jq -r 'select(.n == 2 and .item_status == 400) | .id' "$D/received.jsonl" | head -n 1)
	equal "elastic-bulk: a 409 item (already there) counts as delivered: not sent again, not a dead letter" \
		"0 0" "$(jq -r --arg i "$id409" 'select(.n > 2 and .id == $i) | .id' "$D/received.jsonl" | wc -l) $(deadletter_ids "$DL" | grep -cxF -- "$id409")"
	equal "elastic-bulk: a 400 item goes, alone, to state_dir/deadletter/es.jsonl" "$id400" \
		"$(deadletter_ids "$DL" | paste -sd ' ')"
	equal "elastic-bulk: the 400 item is not sent again" 0 \
		"$(jq -r --arg i "$id400" 'select(.n > 2 and .id == $i) | .id' "$D/received.jsonl" | wc -l)"
	compare_delivery "$D" elastic-bulk
	equal "elastic-bulk: every other alert is in the index (missing $MISSING = the one dead letter, extra $EXTRA)" \
		"1 0" "$MISSING $EXTRA"
fi
stop_agent TERM
equal "elastic-bulk: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (elastic-bulk)" clean "$D/stderr"
stop_collector

# === ocsf ========================================================================================
scenario ocsf
L=$D/logs/audit.log
TOKEN=ocsf-token-$$
start_collector "$D" --auth "Bearer $TOKEN"
hconfig "$D" ocsf token="$TOKEN"
anon_batch "$L" X 1 10 6 # 6 alerts, 4 updates
start_agent "$D"
wait_delivered "$D" ocsf 10
compare_delivery "$D" ocsf
equal "ocsf: every record arrives as a finding (by finding_info.uid, activity, related_events_count; missing $MISSING, extra $EXTRA)" \
	"0 0" "$MISSING $EXTRA"
equal "ocsf: Authorization: Bearer TOKEN" "Bearer $TOKEN" \
	"$(creq "$D" '.headers.authorization' | sort -u | paste -sd '|')"
creq "$D" 'select(.status == 200) | .body' | jq -c . >"$D/findings" 2>"$D/findings.err"
equal "ocsf: every body is NDJSON" "true" \
	"$(creq "$D" '.body | endswith("\n") and (rtrimstr("\n") | split("\n") | all(fromjson? | type == "object"))' | sort -u | paste -sd '|')"
equal "ocsf: Detection Finding: class_uid 2004, category_uid 2, type_uid = class_uid * 100 + activity_id" \
	"true" "$(jq -r '.class_uid == 2004 and .category_uid == 2 and .type_uid == 200400 + .activity_id' "$D/findings" | sort -u | paste -sd '|')"
equal "ocsf: activity_id 1 (Create) for an alert, 2 (Update) for an update" "1:6 2:4" \
	"$(jq -r .activity_id "$D/findings" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }' | sed 's/ $//')"
equal "ocsf: severity_id 1 (Informational) for INFO, time in epoch milliseconds" "true" \
	"$(jq -r '.severity_id == 1 and (.time | type == "number" and . > 1e12 and . < 1e13)' "$D/findings" | sort -u | paste -sd '|')"
equal "ocsf: finding_info.title and .uid, metadata.version 1.x and metadata.product.name" "true" \
	"$(jq -r '(.finding_info.title | type == "string" and length > 0) and (.finding_info.uid | test("^[0-9a-f]{32}$")) and (.metadata.version | test("^1\\.")) and (.metadata.product.name | type == "string")' "$D/findings" | sort -u | paste -sd '|')"
stop_agent TERM
equal "ocsf: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (ocsf)" clean "$D/stderr"
stop_collector

# === insecure_skip_verify: a warning at every start ==============================================
scenario insecure
L=$D/logs/audit.log
TOKEN=insecure-token-$$
start_collector "$D" --auth "Bearer $TOKEN"
hconfig "$D" json token="$TOKEN" ca="$PKI/other-ca.pem" more="insecure_skip_verify: true"
anon_batch "$L" I 1 3
start_agent "$D"
wait_delivered "$D" json 3
compare_delivery "$D" json
equal "insecure_skip_verify: delivered although the CA does not match (missing $MISSING)" 0 "$MISSING"
check "insecure_skip_verify: a warning at start" log_has "$D" ' warn .*insecure_skip_verify'
stop_agent TERM
start_agent "$D"
warned_twice() { [ "$(nlog "$D" ' warn .*insecure_skip_verify')" -ge 2 ]; }
wait_until 20 warned_twice
equal "insecure_skip_verify: the warning again at the next start" 2 "$(nlog "$D" ' warn .*insecure_skip_verify')"
stop_agent TERM
equal "insecure_skip_verify: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (insecure_skip_verify)" clean "$D/stderr"
stop_collector

# === plain http with allow_plain_http ============================================================
scenario plain
L=$D/logs/audit.log
TOKEN=plain-token-$$
start_collector "$D" --plain --auth "Bearer $TOKEN"
hconfig "$D" json token="$TOKEN" ca="" url="http://127.0.0.1:$PORT/ingest" more="allow_plain_http: true"
anon_batch "$L" Q 1 3
start_agent "$D"
wait_delivered "$D" json 3
compare_delivery "$D" json
equal "allow_plain_http: delivered over plain http (missing $MISSING)" 0 "$MISSING"
stop_agent TERM
equal "allow_plain_http: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (plain http)" clean "$D/stderr"
stop_collector
