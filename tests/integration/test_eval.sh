#!/usr/bin/env bash
# `kube-audit-agent eval` on the bundled example log (examples/audit.log, made by
# examples/make-audit-log.sh): grouped alerts, --each, --log-type and the exit statuses.
. "$(dirname "$0")/lib.sh"

LOG=$ROOT/examples/audit.log
RULE=Kubernetes.API.AnonymousAccess
SCANNER=anonymous_access_python-requests/2.31.0
if ! command -v jq >/dev/null; then
	skip "eval tests" "jq is not installed (make deps)"
	exit 0
fi

clean() { ! grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$@"; }
# summary FILE: the counts of eval's closing stderr line, as "lines=N matches=N [alerts=N ]bad=N
# undecodable=N long=N max=N" (alerts only when the line has them: --each has no alerts)
summary() {
	tail -n 1 "$1" | sed -nE 's/^eval: ([0-9]+) lines, ([0-9]+) matches(, ([0-9]+) alerts)?; ([0-9]+) bad lines \(([0-9]+) undecodable, ([0-9]+) longer than ([0-9]+) bytes\); [0-9]+ prefiltered$/lines=\1 matches=\2 alerts=\4 bad=\5 undecodable=\6 long=\7 max=\8/p' |
		sed 's/alerts= //'
}
# jqeq NAME WANT JQ_FILTER FILE: the filter over FILE (slurped) prints WANT
jqeq() { equal "$1" "$2" "$(jq -s -c -r "$3" "$4" 2>&1)"; }

# --- the example itself ---------------------------------------------------------------------
if [ -r "$LOG" ]; then
	ok "examples/audit.log exists"
else
	not_ok "examples/audit.log exists" "missing: $LOG"
	exit 0
fi
if bash "$ROOT/examples/make-audit-log.sh" >"$TMP/regen.log" 2>"$TMP/regen.err"; then
	check "examples/audit.log is exactly what examples/make-audit-log.sh prints" \
		cmp -s "$LOG" "$TMP/regen.log"
else
	not_ok "examples/make-audit-log.sh runs" "$(head -n 3 "$TMP/regen.err")"
fi
nlines=$(wc -l <"$LOG")
jqeq "every example line is an audit.k8s.io/v1 Event at ResponseComplete" "$nlines" \
	'[.[] | select(.kind == "Event" and .apiVersion == "audit.k8s.io/v1"
		and .stage == "ResponseComplete" and (.auditID | test("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"))
		and (.requestReceivedTimestamp | test("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$"))
		and (.stageTimestamp | test("\\.\\d{6}Z$")))] | length' "$LOG"

# --- grouped alerts -------------------------------------------------------------------------
"$AGENT" eval "$LOG" >"$TMP/alerts" 2>"$TMP/alerts.err"
equal "eval examples/audit.log: exit 0" 0 $?
check "eval examples/audit.log: no sanitizer report" clean "$TMP/alerts.err"
# 4 alerts from 6 matching requests: curl /version; the scanner's 3 forbidden requests in one
# hour; Go-http-client on /apis; the scanner's user agent again from another address 77 minutes
# after its first request (a new dedup window)
jqeq "exactly 4 alerts" 4 'length' "$TMP/alerts"
equal "stderr summary counts" "lines=$nlines matches=6 alerts=4 bad=0 undecodable=0 long=0 max=16777216" \
	"$(summary "$TMP/alerts.err")"
jqeq "every alert has rule_id, title, severity, dedup, first_seen, last_seen, event_count, alert_context" \
	0 '[.[] | select(
		(.rule_id | type) != "string" or (.title | type) != "string"
		or (.severity | type) != "string" or (.dedup | type) != "string"
		or ((.first_seen // "") | test("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$") | not)
		or ((.last_seen // "") | test("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$") | not)
		or (.event_count | type) != "number" or .event_count < 1
		or (.alert_context | type) != "object")] | length' "$TMP/alerts"
jqeq "every alert context has the rule's ten keys" \
	'["annotations","cluster","namespace","requestURI","resource","responseStatus","sourceIPs","userAgent","username","verb"]' \
	'[.[].alert_context | keys] | unique | if length == 1 then .[0] else . end' "$TMP/alerts"
jqeq "every alert is the anonymous-access rule with severity INFO" '["Kubernetes.API.AnonymousAccess","INFO"]' \
	'[.[] | [.rule_id, .severity]] | unique | if length == 1 then .[0] else . end' "$TMP/alerts"
jqeq "alert ids are 32 hex digits and distinct" 4 \
	'[.[].alert_id | select(type == "string" and test("^[0-9a-f]{32}$"))] | unique | length' "$TMP/alerts"

# the scanner: three forbidden requests inside one hour are one alert
jqeq "scanner's first hour: one alert" 1 \
	"[.[] | select(.dedup == \"$SCANNER\" and .first_seen == \"2024-05-14T09:07:30.118930Z\")] | length" \
	"$TMP/alerts"
jqeq "scanner's first hour: grouped with event_count 3, last_seen of the third request" \
	'[3,"2024-05-14T09:12:05.640019Z","Failed Anonymous Kubernetes API Access Attempt(s) Detected",["198.51.100.77"]]' \
	"[.[] | select(.dedup == \"$SCANNER\" and .first_seen == \"2024-05-14T09:07:30.118930Z\")
		| [.event_count, .last_seen, .title, .alert_context.sourceIPs]] | .[0]" "$TMP/alerts"
jqeq "scanner's first alert: its context is the first request's" \
	'["system:anonymous","/api/v1/namespaces/default/secrets","list","secrets","default",403,"forbid"]' \
	"[.[] | select(.dedup == \"$SCANNER\" and .first_seen == \"2024-05-14T09:07:30.118930Z\")
		| .alert_context | [.username, .requestURI, .verb, .resource, .namespace, .responseStatus.code,
			.annotations[\"authorization.k8s.io/decision\"]]] | .[0]" "$TMP/alerts"
# ... and after the 60-minute window the same user agent opens a second alert
jqeq "same user agent after the 60-minute window: a second alert" \
	'[1,"2024-05-14T10:24:10.265733Z","2024-05-14T10:24:10.265733Z",["203.0.113.99"]]' \
	"[.[] | select(.dedup == \"$SCANNER\" and .first_seen != \"2024-05-14T09:07:30.118930Z\")
		| [.event_count, .first_seen, .last_seen, .alert_context.sourceIPs]] | if length == 1 then .[0] else . end" \
	"$TMP/alerts"
jqeq "curl on /version: the /version title" \
	'[1,"Anonymous Kubernetes API Access to /version Endpoint Detected","2024-05-14T09:04:12.481203Z",["203.0.113.45"]]' \
	'[.[] | select(.dedup == "anonymous_access_curl/8.4.0") | [.event_count, .title, .first_seen, .alert_context.sourceIPs]]
		| if length == 1 then .[0] else . end' "$TMP/alerts"
jqeq "Go-http-client on /apis: the detailed title" \
	'[1,"Anonymous API access detected on Kubernetes API server from [192.0.2.10] to [/apis]","2024-05-14T09:15:40.337861Z"]' \
	'[.[] | select(.dedup == "anonymous_access_Go-http-client/1.1") | [.event_count, .title, .first_seen]]
		| if length == 1 then .[0] else . end' "$TMP/alerts"
jqeq "event counts add up to the 6 matching requests" 6 'map(.event_count) | add' "$TMP/alerts"

# each alert points at its first request: source line and the event itself
first_lines=$(jq -r '.source.line' "$TMP/alerts" | sort -n | tr '\n' ' ')
ok_src=0
for l in $first_lines; do
	want=$(sed -n "${l}p" "$LOG" | jq -r .auditID)
	got=$(jq -r --argjson l "$l" 'select(.source.line == $l) | .event.auditID' "$TMP/alerts")
	[ -n "$want" ] && [ "$want" == "$got" ] && ok_src=$((ok_src + 1))
done
equal "each alert's source.line is its first request (same auditID)" 4 "$ok_src"
jqeq "each alert's source.file is the input" "[\"$LOG\"]" '[.[].source.file] | unique' "$TMP/alerts"

# health checks and localhost never alert
jqeq "no alert for kube-probe, health URIs or 127.0.0.1" 0 \
	'[.[] | select((.alert_context.userAgent // "" | startswith("kube-probe/"))
		or (.alert_context.requestURI // "" | test("^/(apis/)?(healthz|readyz|livez)"))
		or .alert_context.sourceIPs == ["127.0.0.1"])] | length' "$TMP/alerts"

# the same run again gives the same bytes (alert ids are stable)
"$AGENT" eval "$LOG" 2>/dev/null | cmp -s - "$TMP/alerts"
equal "a second run prints the same alerts byte for byte" 0 $?
# standard input gives the same alerts (only source.file differs)
"$AGENT" eval - <"$LOG" 2>/dev/null | jq -c 'del(.source.file)' >"$TMP/stdin.alerts"
jq -c 'del(.source.file)' "$TMP/alerts" | cmp -s - "$TMP/stdin.alerts"
equal "eval - (stdin) gives the same alerts as eval FILE" 0 $?

# --- --each ---------------------------------------------------------------------------------
"$AGENT" eval --each "$LOG" >"$TMP/each" 2>"$TMP/each.err"
equal "eval --each: exit 0" 0 $?
check "eval --each: no sanitizer report" clean "$TMP/each.err"
equal "eval --each: one output line per input line" "$nlines" "$(wc -l <"$TMP/each")"
equal "eval --each: line numbers are 1..N in order" "$(seq 1 "$nlines" | tr '\n' ' ')" \
	"$(jq -r .line "$TMP/each" | tr '\n' ' ')"
jqeq "eval --each: every line has a matches array and no error" "$nlines" \
	'[.[] | select((.matches | type) == "array" and (has("error") | not))] | length' "$TMP/each"
# the anonymous requests that must alert, straight from the log
must=$(jq -r '[input_line_number, .] | select(.[1].user.username == "system:anonymous"
		and .[1].sourceIPs != ["127.0.0.1"] and (.[1].userAgent | startswith("kube-probe/") | not)
		and (.[1].requestURI | test("^/(apis/)?(healthz|readyz|livez)") | not)) | .[0]' "$LOG" | tr '\n' ' ')
equal "the example has 6 anonymous requests that must alert" 6 "$(wc -w <<<"$must")"
equal "eval --each: exactly those lines match" "$must" \
	"$(jq -r 'select(.matches | length > 0) | .line' "$TMP/each" | tr '\n' ' ')"
quiet=$(jq -r '[input_line_number, .] | select(.[1].user.username == "system:anonymous"
		and (.[1].sourceIPs == ["127.0.0.1"] or (.[1].userAgent | startswith("kube-probe/"))
		or (.[1].requestURI | test("^/(apis/)?(healthz|readyz|livez)")))) | .[0]' "$LOG")
nquiet=$(wc -w <<<"$quiet")
if [ "$nquiet" -ge 40 ] && grep -q '"127.0.0.1"' <<<"$(for l in $quiet; do sed -n "${l}p" "$LOG"; done)"; then
	ok "the example has anonymous health checks and a localhost request ($nquiet lines)"
else
	not_ok "the example has anonymous health checks and a localhost request" "found $nquiet lines"
fi
matched_quiet=0
for l in $quiet; do
	m=$(sed -n "${l}p" "$TMP/each" | jq ".matches | length")
	[ "$m" != 0 ] && matched_quiet=$((matched_quiet + 1))
done
equal "eval --each: no health check or localhost line matches" 0 "$matched_quiet"
jqeq "eval --each: a match carries rule_id, title, severity, dedup, alert_context" 6 \
	"[.[].matches[] | select(.rule_id == \"$RULE\" and (.title | type) == \"string\"
		and .severity == \"INFO\" and (.dedup | startswith(\"anonymous_access_\"))
		and (.alert_context | type) == \"object\")] | length" "$TMP/each"
equal "eval --each: stderr summary counts" "lines=$nlines matches=6 bad=0 undecodable=0 long=0 max=16777216" \
	"$(summary "$TMP/each.err" | sed 's/ alerts=0//')"

# --- dedup window edges (event time decides) ------------------------------------------------
anon() { # anon TIME UA
	printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","user":{"username":"system:anonymous"},"sourceIPs":["198.51.100.5"],"userAgent":"%s","requestURI":"/api","annotations":{"authorization.k8s.io/decision":"allow"},"requestReceivedTimestamp":"%s"}\n' "$2" "$1"
}
{
	anon 2024-05-14T09:00:00.000000Z edge/1
	anon 2024-05-14T09:59:59.000000Z edge/1
	anon 2024-05-14T10:00:01.000000Z edge/1
	anon 2024-05-14T10:30:00.000000Z edge/2
	anon 2024-05-14T10:59:00.000000Z edge/1
	anon 2024-05-14T11:00:02.000000Z edge/1
} >"$TMP/edges.log"
"$AGENT" eval "$TMP/edges.log" >"$TMP/edges" 2>"$TMP/edges.err"
equal "dedup edges: exit 0" 0 $?
jqeq "dedup edges: windows open at the first match and last 60 minutes, per dedup string" \
	'[["anonymous_access_edge/1","2024-05-14T09:00:00.000000Z","2024-05-14T09:59:59.000000Z",2],["anonymous_access_edge/1","2024-05-14T10:00:01.000000Z","2024-05-14T10:59:00.000000Z",2],["anonymous_access_edge/1","2024-05-14T11:00:02.000000Z","2024-05-14T11:00:02.000000Z",1],["anonymous_access_edge/2","2024-05-14T10:30:00.000000Z","2024-05-14T10:30:00.000000Z",1]]' \
	'map([.dedup, .first_seen, .last_seen, .event_count]) | sort' "$TMP/edges"

# --- --log-type and p_log_type --------------------------------------------------------------
native='"user":{"username":"system:anonymous"},"sourceIPs":["198.51.100.9"],"userAgent":"lt-test","requestURI":"/api","annotations":{"authorization.k8s.io/decision":"allow"}'
aks_log='{\"kind\":\"Event\",\"user\":{\"username\":\"system:anonymous\"},\"sourceIPs\":[\"198.51.100.9\"],\"userAgent\":\"lt-test\",\"requestURI\":\"/api\",\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"}}'
aks='"category":"kube-audit","properties":{"log":"'$aks_log'"}'
gke='"protoPayload":{"serviceName":"k8s.io","authenticationInfo":{"authoritySelector":"system:anonymous"},"requestMetadata":{"callerIp":"198.51.100.9","callerSuppliedUserAgent":"lt-test"},"resourceName":"core/v1/pods"}'
{
	echo "{$native}"                                          # 1 no p_log_type, native shape
	echo "{$aks}"                                             # 2 no p_log_type, AKS shape
	echo "{\"p_log_type\":\"Kubernetes.Audit\",$native}"      # 3
	echo "{\"p_log_type\":\"Azure.MonitorActivity\",$aks}"    # 4
	echo "{\"p_log_type\":\"Azure.MonitorActivity\",$native}" # 5 p_log_type says AKS: no audit fields
	echo "{$gke}"                                             # 6 no p_log_type, GKE shape
	echo "{\"p_log_type\":\"GCP.AuditLog\",$gke}"             # 7
} >"$TMP/lt.log"
verdicts() { jq -r '.matches | length' | tr '\n' ' '; }
"$AGENT" eval --each "$TMP/lt.log" >"$TMP/lt.def" 2>"$TMP/lt.err"
equal "no --log-type: Kubernetes.Audit for lines without p_log_type, p_log_type where given" \
	"1 0 1 1 0 0 1 " "$(verdicts <"$TMP/lt.def")"
"$AGENT" eval --each --log-type Azure.MonitorActivity "$TMP/lt.log" >"$TMP/lt.aks" 2>>"$TMP/lt.err"
equal "--log-type Azure.MonitorActivity: applies to lines without p_log_type only" \
	"0 1 1 1 0 0 1 " "$(verdicts <"$TMP/lt.aks")"
"$AGENT" eval --each --log-type GCP.AuditLog "$TMP/lt.log" >"$TMP/lt.gke" 2>>"$TMP/lt.err"
equal "--log-type GCP.AuditLog: applies to lines without p_log_type only" \
	"0 0 1 1 0 1 1 " "$(verdicts <"$TMP/lt.gke")"
"$AGENT" eval --each --log-type No.Such.Type "$TMP/lt.log" >"$TMP/lt.none" 2>>"$TMP/lt.err"
equal "--log-type with no rules: lines without p_log_type match nothing, the others still do" \
	"0 0 1 1 0 0 1 " "$(verdicts <"$TMP/lt.none")"
check "--log-type runs: no sanitizer report" clean "$TMP/lt.err"

# --- exit statuses --------------------------------------------------------------------------
status_of() { "$AGENT" "$@" </dev/null >"$TMP/st.out" 2>>"$TMP/st.err"; echo $?; }
equal "unknown option: exit 2" 2 "$(status_of eval --no-such-option "$LOG")"
equal "missing input file: exit 2" 2 "$(status_of eval "$TMP/does-not-exist.log")"
equal "missing rules path: exit 2" 2 "$(status_of eval --rules "$TMP/no-rules-here" "$LOG")"
mkdir -p "$TMP/broken-rules"
printf 'AnalysisType: rule\nRuleID: "X"\nSeverity: [Info\n' >"$TMP/broken-rules/x.yml"
equal "broken rule file: exit 2" 2 "$(status_of eval --rules "$TMP/broken-rules" "$LOG")"
equal "broken rules: nothing is printed on stdout" 0 "$(wc -c <"$TMP/st.out")"
equal "two inputs: exit 2" 2 "$(status_of eval "$LOG" "$LOG")"
equal "--max-line-bytes below 1024: exit 2" 2 "$(status_of eval --max-line-bytes 10 "$LOG")"
equal "empty input: exit 0" 0 "$(status_of eval /dev/null)"
equal "stdin input: exit 0" 0 "$(status_of eval -)"
equal "explicit --rules rules/ on the example: exit 0" 0 "$(status_of eval --rules "$ROOT/rules" "$LOG")"
equal "--rules given twice (file and data models): exit 0" 0 \
	"$(status_of eval --rules "$ROOT/rules/k8s_anonymous_api_access.yml" --rules "$ROOT/rules/data_models" "$LOG")"
jqeq "--rules file + data models: the same 4 alerts" 4 'length' "$TMP/st.out"
check "exit-status runs: no sanitizer report" clean "$TMP/st.err"
