#!/usr/bin/env bash
# The agent's own output: `log: {format: json}` (one JSON object per stderr line, any file
# name escaped and valid UTF-8), `log.level`, both switched by SIGHUP; no credential (token
# file, header values, URL user:password, Basic credentials) in anything `run` or
# `check-config` prints, failing deliveries and refused configurations included; eval's
# progress meter on a terminal (script(1) gives it one) and nowhere else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
TEXT_RE="$TS_RE (error|warn |info |debug) "

# json_lines FILE: "N bad" where N counts the lines that are not strict UTF-8 holding a JSON
# object with exactly the string members ts (UTC, milliseconds), level and msg; then the
# first bad line
json_lines() {
	python3 - "$1" <<'EOF'
import json, re, sys
bad, first = 0, ""
for raw in open(sys.argv[1], "rb").read().split(b"\n")[:-1]:
    try:
        o = json.loads(raw.decode("utf-8", "strict"))
        ok = (isinstance(o, dict) and sorted(o) == ["level", "msg", "ts"]
              and all(isinstance(v, str) for v in o.values())
              and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["ts"])
              and o["level"] in ("error", "warn", "info", "debug"))
    except ValueError:
        ok = False
    if not ok:
        bad += 1
        first = first or raw[:200].decode("utf-8", "replace")
print(bad, "bad", first)
EOF
}
# classes FILE: one letter per stderr line, runs squeezed: T text, J a JSON log line, X other
classes() {
	local l
	while IFS= read -r l; do
		if [[ $l =~ $TEXT_RE ]]; then
			printf T
		elif jq -e 'type == "object" and has("ts") and has("level") and has("msg")' \
			<<<"$l" >/dev/null 2>&1; then
			printf J
		else
			printf X
		fi
	done <"$1" | tr -s TJX
}

# === log.format json ============================================================================
scenario logjson
anon_event j-1 json-agent-1 2024-05-14T09:00:01.000000Z >"$D/logs/audit.log"
anon_event j-2 json-agent-2 2024-05-14T09:00:02.000000Z >>"$D/logs/audit.log"
# a file whose name holds invalid UTF-8, a control character, a quote and a backslash, and a
# bad line: its warning quotes the name
WEIRD="audit-$(printf '\xff\x01q"\\')x.log"
echo 'not json' >"$D/logs/$WEIRD"
mkconfig "$D" input="$D/logs/audit*.log" extra="log: {format: json, level: debug}
prefilter: false
summary_interval_seconds: 1"
start_agent "$D"
wait_until 20 records_ge "$OUT" 2
wait_until 10 log_has "$D" '"msg":"summary: '
stop_agent TERM
equal "log json: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "log json: the agent logged (stderr is not empty)" test -s "$D/stderr"
res=$(json_lines "$D/stderr")
equal "log json: every stderr line is a JSON object of strings ts, level, msg (strict UTF-8)" \
	"0 bad" "${res%% bad*} bad"
[ "${res%% bad*}" = 0 ] || echo "#   first: ${res#* bad }"
jq_ok() { jq -e "$@" >/dev/null; }
check "log json: every line parses with jq and has ts, level and msg" \
	jq_ok -s 'length > 0 and all(.[]; (.ts | test("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"))
		and (.level | IN("error", "warn", "info", "debug")) and (.msg | type) == "string")' "$D/stderr"
equal "log json: info lines (start, files, summary) and a warn line (the bad line)" "info warn" \
	"$(jq -r .level "$D/stderr" | sort -u | grep -E '^(info|warn)$' | paste -sd ' ')"
# the name as cJSON writes it: U+FFFD for \xff, \u0001, \" and \\
want_name="audit-$(printf '\xef\xbf\xbd')\\u0001q\\\"\\\\x.log"
check "log json: the bad line's warning names the file, escaped and with U+FFFD for \\xff" \
	grep -qF -- "$want_name: line at byte 0 skipped" "$D/stderr"
check "no sanitizer report (log json)" clean "$D/stderr"

# === log.level error ===========================================================================
scenario loglevel
anon_event l-1 level-agent-1 2024-05-14T09:00:01.000000Z >"$D/logs/audit.log"
mkconfig "$D" extra="log: {level: error}"
start_agent "$D"
wait_until 20 records_ge "$OUT" 1
# a reload with a broken rule set: refused with errors, and the level stays error
mkdir -p "$D/badrules"
printf 'AnalysisType: rule\nRuleID: "X"\nSeverity: [Info\n' >"$D/badrules/x.yml"
mkconfig "$D" rules="$D/badrules" extra="log: {level: error}"
kill -HUP "$AGENT_PID"
wait_until 10 log_has "$D" ' error rules: '
stop_agent TERM
equal "log level error: SIGTERM: exit 0" "exit 0" "$STOPPED"
equal "log level error: the alert was written all the same" 1 "$(records "$OUT")"
equal "log level error: no info or warn line" 0 "$(nlog "$D" "$TS_RE (info|warn) ")"
check "log level error: the refused reload's errors are logged" log_has "$D" "$TS_RE error rules: "
equal "log level error: every line is a text error line" "$(wc -l <"$D/stderr")" \
	"$(nlog "$D" "$TS_RE error ")"
check "no sanitizer report (log level)" clean "$D/stderr"

# === SIGHUP switches the format, both ways =====================================================
scenario logswitch
anon_event s-1 switch-agent-1 2024-05-14T09:00:01.000000Z >"$D/logs/audit.log"
mkconfig "$D"
start_agent "$D"
wait_until 20 records_ge "$OUT" 1
mkconfig "$D" extra="log: {format: json}"
kill -HUP "$AGENT_PID"
wait_until 10 log_has "$D" '"msg":"reload done"'
anon_event s-2 switch-agent-2 2024-05-14T09:00:02.000000Z >>"$D/logs/audit.log"
wait_until 20 records_ge "$OUT" 2
mkconfig "$D"
kill -HUP "$AGENT_PID"
wait_until 10 log_has "$D" "$TS_RE info  reload done"
stop_agent TERM
equal "log switch: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "log switch: text, then a JSON 'reload done' after the first SIGHUP" \
	log_has "$D" '^\{"ts":"[^"]+","level":"info","msg":"reload done"\}$'
check "log switch: text again after the second SIGHUP ('reload done', 'stopped')" \
	log_has "$D" "$TS_RE info  stopped$"
equal "log switch: the lines are text, then JSON, then text (T: text, J: JSON, X: neither)" \
	TJT "$(classes "$D/stderr")"
check "no sanitizer report (log switch)" clean "$D/stderr"

# === no credential in anything run or check-config prints ======================================
scenario secrets
S=$D
TOKEN="tok3n-$$-$RANDOM-file"
HDRSECRET="hdr-$$-$RANDOM-apikey"
AUTHSECRET="auth-$$-$RANDOM-header"
URLPASS="urlpw-$$-$RANDOM-one"
URLPASS2="urlpw-$$-$RANDOM-two"
URLPASS3="urlpw-$$-$RANDOM-three"
B64_1=$(printf '%s' "kaa-user:$URLPASS" | base64 -w0)
B64_2=$(printf '%s' "kaa-basic:$URLPASS2" | base64 -w0)
SECRETS=("$TOKEN" "$HDRSECRET" "$AUTHSECRET" "$URLPASS" "$URLPASS2" "$URLPASS3" "$B64_1" "$B64_2")
printf '%s\n' "$TOKEN" >"$S/token"
# a collector that refuses everything (401) and echoes what it was sent, each value at many
# offsets so that one of them straddles the agent's cut of the answer
cat >"$S/echo.py" <<'EOF'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        sent = dict(self.headers.items())
        body = json.dumps({"error": "invalid credentials", "you_sent": sent,
                           "again": ["." * i + v for v in sent.values() for i in range(0, 600, 41)]})
        data = body.encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
python3 -u "$S/echo.py" >"$S/echo.port" 2>"$S/echo.err" &
ECHO_PID=$!
CLEANUP_CMDS+=("kill $ECHO_PID")
wait_until 10 test -s "$S/echo.port"
EPORT=$(head -n 1 "$S/echo.port")
anon_event x-1 secret-agent-1 2024-05-14T09:00:01.000000Z >"$S/logs/audit.log"
# secretcfg URL_OF_ECHO_TOKEN_OUTPUT: the daemon's configuration with five outputs: a file;
# three to the echo collector (token_file and X-Api-Key and URL user:password; an
# Authorization header; URL user:password alone, sent as Basic); one to a closed port (https,
# user:password, token, X-Api-Key)
secretcfg() {
	cat <<EOF
cluster: test-cluster
node: test-node
state_dir: $S/state
rules: [$ROOT/rules]
inputs:
  - path: $S/logs/audit.log
    start_at: beginning
outputs:
  - type: file
    path: $S/out/alerts.jsonl
  - type: https
    name: echo-token
    url: $1
    format: json
    allow_plain_http: true
    token_file: $S/token
    headers: {X-Api-Key: $HDRSECRET, X-Tenant: blue}
    retry: {initial_ms: 100, max_ms: 500}
  - type: https
    name: echo-header
    url: http://127.0.0.1:$EPORT/hec
    format: splunk-hec
    allow_plain_http: true
    headers: {Authorization: "Bearer $AUTHSECRET"}
  - type: https
    name: echo-basic
    url: http://kaa-basic:$URLPASS2@127.0.0.1:$EPORT/basic
    format: json
    allow_plain_http: true
  - type: https
    name: down
    url: https://kaa-down:$URLPASS3@127.0.0.1:1/ingest
    format: json
    token_file: $S/token
    headers: {X-Api-Key: $HDRSECRET}
    retry: {initial_ms: 100, max_ms: 500}
correlation:
  mode: off
summary_interval_seconds: 1
log: {level: debug}
EOF
}
secretcfg "http://kaa-user:$URLPASS@127.0.0.1:$EPORT/ingest" >"$S/agent.yaml"
OUT=$S/out/alerts.jsonl
"$AGENT" check-config --config "$S/agent.yaml" >"$S/cc.out" 2>"$S/cc.err"
equal "secrets: check-config of the configuration: exit 0" 0 $?
check "secrets: check-config shows the url with its userinfo as ***" \
	grep -qF "url: \"http://***@127.0.0.1:$EPORT/ingest\"" "$S/cc.out"
equal "secrets: check-config shows X-Api-Key and Authorization as <redacted>, X-Tenant as is" \
	"X-Api-Key: \"<redacted>\"|X-Tenant: \"blue\"|Authorization: \"<redacted>\"|X-Api-Key: \"<redacted>\"" \
	"$(grep -oE '(X-Api-Key|X-Tenant|Authorization): .*' "$S/cc.out" | paste -sd '|')"
start_agent "$S"
refused() { [ "$(nlog "$S" ' error output echo-[a-z]+: the collector refused')" -ge 3 ]; }
wait_until 20 refused
wait_until 20 log_has "$S" ' warn  output down: '
wait_until 10 log_has "$S" ' summary: '
stop_agent TERM
equal "secrets: run: SIGTERM with a failing output: exit 0" "exit 0" "$STOPPED"
check "secrets: the echo collector refused all three outputs (dead letters logged)" refused
check "secrets: the closed port is logged as a failing delivery" log_has "$S" ' warn  output down: '
check "secrets: the echoed token is logged as 'Bearer ***'" \
	grep -qE 'output echo-token: the collector refused.*Bearer \*\*\*' "$S/stderr"
check "secrets: the echoed X-Api-Key is logged as ***" \
	grep -qE 'output echo-token: the collector refused.*"X-Api-Key": "\*\*\*"' "$S/stderr"
check "secrets: the echoed Authorization header (its whole value is the secret) is logged as ***" \
	grep -qE 'output echo-header: the collector refused.*"Authorization": "\*\*\*"' "$S/stderr"
check "secrets: the echoed Basic credentials of the URL are logged as 'Basic ***'" \
	grep -qE 'output echo-basic: the collector refused.*Basic \*\*\*' "$S/stderr"
# refused configurations: plain http with user:password, a token file of two lines
secretcfg "http://kaa-user:$URLPASS@127.0.0.1:$EPORT/ingest" |
	grep -v 'allow_plain_http' >"$S/plain.yaml"
"$AGENT" check-config --config "$S/plain.yaml" >"$S/cc-plain.out" 2>"$S/cc-plain.err"
equal "secrets: check-config of http:// with user:password and no allow_plain_http: exit 2" 2 $?
check "secrets: ... the error shows the url as http://***@..." \
	grep -qF "url http://***@127.0.0.1:$EPORT/ingest is plain http" "$S/cc-plain.err"
"$AGENT" run --config "$S/plain.yaml" >"$S/run-plain.out" 2>"$S/run-plain.err"
equal "secrets: run with that configuration: exit 2" 2 $?
printf '%s\n%s\n' "$TOKEN" "$TOKEN" >"$S/token"
"$AGENT" run --config "$S/agent.yaml" >"$S/run-token.out" 2>"$S/run-token.err"
equal "secrets: run with a token_file of two lines: exit 2" 2 $?
check "secrets: ... the error names token_file" grep -q 'token_file' "$S/run-token.err"
files=("$S/stdout" "$S/stderr" "$S/cc.out" "$S/cc.err" "$S/cc-plain.out" "$S/cc-plain.err"
	"$S/run-plain.out" "$S/run-plain.err" "$S/run-token.out" "$S/run-token.err" "$OUT")
mapfile -t dead < <(find "$S/state" -path '*deadletter*' -type f)
equal "secrets: the dead-letter files of the three refused outputs exist" 3 "${#dead[@]}"
leaks=""
for s in "${SECRETS[@]}"; do
	l=$(grep -lF -- "$s" "${files[@]}" "${dead[@]}" 2>/dev/null | sed "s|$S/||" | paste -sd ,)
	[ -n "$l" ] && leaks="$leaks ${s}@$l"
done
equal "secrets: no token, header value, URL password or Basic credentials in any output, log, check-config or dead-letter file" \
	"" "$leaks"
check "no sanitizer report (secrets)" clean "$S/stderr" "$S/cc.err" "$S/run-plain.err" "$S/run-token.err"
kill "$ECHO_PID" 2>/dev/null

# === eval's progress meter =====================================================================
if ! command -v script >/dev/null; then
	skip "eval progress meter" "script(1) (util-linux) is not installed"
	exit 0
fi
BIG=$TMP/big.log
for ((i = 0; i < 60; i++)); do cat "$ROOT/examples/audit.log"; done >"$BIG" # 16 MB
nbig=$(wc -l <"$BIG")
SUMMARY_RE="eval: $nbig lines, [0-9]+ matches, [0-9]+ alerts; 0 bad lines"
# on a terminal (script's pseudo-terminal), a regular file: percent, rates, time left
# --no-prefilter: every line decoded, so the run lasts long enough for the meter to show
script -qfec "'$AGENT' eval --no-prefilter '$BIG' >/dev/null" /dev/null >"$TMP/tty.out" 2>&1
equal "progress, a file on a terminal: exit 0" 0 $?
check "progress, a file on a terminal: a percent, MB/s, events/s and the time left" \
	grep -qaE 'eval: +[0-9]+\.[0-9]%  [0-9.]+ MB/s  [0-9]+ events/s  [0-9:-]+ left' "$TMP/tty.out"
check "progress, a file on a terminal: redrawn in place with \\r, erased before the summary" \
	python3 -c 'import re, sys; t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
sys.exit(0 if re.search(r"\r[^\r\n]*left\r +\r" + sys.argv[2], t) else 1)' "$TMP/tty.out" "$SUMMARY_RE"
check "progress, a file on a terminal: never a line break inside the meter" \
	bash -c '! grep -aqE "(events/s|left) *$2?\$" "$1"' _ "$TMP/tty.out" $'\r'
# a pipe: the rates only
script -qfec "cat '$BIG' | '$AGENT' eval --no-prefilter - >/dev/null" /dev/null >"$TMP/pipe.out" 2>&1
check "progress, a pipe on a terminal: events/s and MB/s" \
	grep -qaE '[0-9.]+ MB/s  [0-9]+ events/s' "$TMP/pipe.out"
check "progress, a pipe on a terminal: no percent and no time left" \
	bash -c '! grep -aqE "%|left" "$1"' _ "$TMP/pipe.out"
# stderr not a terminal: not a byte of it, on the terminal or in the file
script -qfec "'$AGENT' eval --no-prefilter '$BIG' >/dev/null 2>'$TMP/err.txt'" /dev/null >"$TMP/notty.out" 2>&1
equal "progress, stderr to a file: the file holds the summary line alone" "1 1" \
	"$(wc -l <"$TMP/err.txt") $(grep -cE "^$SUMMARY_RE" "$TMP/err.txt")"
check "progress, stderr to a file: no meter in it" \
	bash -c '! grep -aqE "events/s|%|$2" "$1"' _ "$TMP/err.txt" $'\r'
equal "progress, stderr to a file: nothing on the terminal" 0 "$(wc -c <"$TMP/notty.out")"
check "no sanitizer report (progress)" clean "$TMP/tty.out" "$TMP/pipe.out" "$TMP/err.txt"
