#!/usr/bin/env bash
# Untrusted input: good anonymous lines mixed with every kind of bad line. The pass must
# complete (exit 0), name each bad line with a reason, count them exactly, keep --each aligned
# with the input, go on alerting after every bad line, and never trip a sanitizer.
. "$(dirname "$0")/lib.sh"

if ! command -v jq >/dev/null; then
	skip "bad input tests" "jq is not installed (make deps)"
	exit 0
fi
MAX=4194304 # --max-line-bytes for the mixed file: the 3 MB line fits, the 5 MB one does not
IN=$TMP/mixed.log

clean() { ! grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer' "$@"; }

# summary FILE: the counts of eval's closing stderr line, as "lines=N matches=N [alerts=N ]bad=N
# undecodable=N long=N max=N" (alerts only when the line has them: --each has no alerts)
summary() {
	tail -n 1 "$1" | sed -nE 's/^eval: ([0-9]+) lines, ([0-9]+) matches(, ([0-9]+) alerts)?; ([0-9]+) bad lines \(([0-9]+) undecodable, ([0-9]+) longer than ([0-9]+) bytes\); [0-9]+ prefiltered$/lines=\1 matches=\2 alerts=\4 bad=\5 undecodable=\6 long=\7 max=\8/p' |
		sed 's/alerts= //'
}
prefiltered() { tail -n 1 "$1" | sed -nE 's/.*; ([0-9]+) prefiltered$/\1/p'; }
# The decoder's handling of bad lines is tested with --no-prefilter: with the prefilter on, a
# line without "system:anonymous" is skipped before it is decoded (no rule could match it), so
# a malformed one is counted as prefiltered, not reported as undecodable. The section "with the
# prefilter" below checks exactly that.
NOPF=--no-prefilter
# good UA [PAD]: an anonymous request from outside that must alert, dedup anonymous_access_UA
good() {
	printf '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%s","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets","verb":"list","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["203.0.113.7"],"userAgent":"%s","responseStatus":{"metadata":{},"code":403},"requestReceivedTimestamp":"2024-05-14T09:00:00.000000Z","stageTimestamp":"2024-05-14T09:00:00.000500Z","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}%s}' \
		"$(printf '%s' "$1" | md5sum | cut -c1-32)" "$1" "${2:-}"
}
# pad N: ,"requestObject":{"data":"aaa..."} making N bytes of padding in all
pad() { printf ',"requestObject":{"data":"%s"}' "$(head -c "$(($1 - 28))" /dev/zero | tr '\0' a)"; }
# random bytes from a fixed seed (an LCG), newlines removed so that they stay one line
random_line() {
	local seed=12345 i b esc=''
	for ((i = 0; i < 4096; i++)); do
		seed=$(((seed * 1103515245 + 12345) % 2147483648))
		printf -v b '\\x%02x' $(((seed >> 16) & 255))
		esc+=$b
	done
	printf '%b' "$esc" | tr -d '\n'
}

# kinds[N] = the kind of line N: good or a bad kind; reason_re[kind] = what stderr must say
declare -a kinds=()
declare -A reason_re=(
	[notjson]='invalid JSON|not JSON|parse'
	[truncated]='truncated|unexpected end|invalid JSON'
	[nul]='NUL'
	[utf8]='UTF-8'
	[toolong]="longer than $MAX"
	[deep]='nest|deep'
	[array]='not an object|array'
	[empty]='empty'
	[random]='NUL|UTF-8|invalid JSON'
	[trailing]='after the JSON value|trailing|unexpected data'
	[string]='not an object'
	[number]='not an object'
)
declare -A good_ua=() # line -> user agent
add() { # add KIND COMMAND...: the command prints the line's bytes (no newline)
	local kind=$1
	shift
	"$@" >>"$IN"
	printf '\n' >>"$IN"
	kinds+=("$kind")
}
k=0
add_good() { k=$((k + 1)); good_ua[$((${#kinds[@]} + 1))]="good/$k"; add good good "good/$k"; }

: >"$IN"
add_good
add notjson printf 'this is not JSON at all'
add_good
add truncated printf '{"user":{"username":"system:anonymous"},"sourceIPs":["203.0.113.7"],"requestURI":"/api'
add_good
add nul printf '{"user":{"username":"system:anonymous"},"sourceIPs":["203.0.113.7"],\0"requestURI":"/api"}'
add_good
add utf8 printf '{"user":{"username":"system:anonymous"},"sourceIPs":["203.0.113.7"],"userAgent":"bad\xff\xfe\xc3(","requestURI":"/api"}'
add_good
# a 3 MB line: valid, anonymous, it must alert
good_ua[$((${#kinds[@]} + 1))]="big/1"
add good good big/1 "$(pad 3000000)"
add_good
# a 5 MB line over --max-line-bytes: skipped even though it is a valid anonymous event
add toolong good toolong/1 "$(pad 5000000)"
toolong_len=$(($(good toolong/1 "$(pad 5000000)" | wc -c)))
add_good
deep_line() {
	printf '{"user":{"username":"system:anonymous"},"deep":'
	head -c 5000 /dev/zero | tr '\0' '['
	head -c 5000 /dev/zero | tr '\0' ']'
	printf '}'
}
add deep deep_line
add_good
add array printf '[{"user":{"username":"system:anonymous"},"sourceIPs":["203.0.113.7"],"requestURI":"/api"}]'
add_good
add empty printf ''
add_good
add random random_line
add_good
add trailing printf '{"user":{"username":"system:anonymous"},"sourceIPs":["203.0.113.7"],"requestURI":"/api"} x'
add_good
add string printf '"system:anonymous"'
add_good
add number printf '42'
add_good
# a CRLF line is still good
k=$((k + 1))
good_ua[$((${#kinds[@]} + 1))]="good/$k"
crlf_good() { good "$1" && printf '\r'; }
add good crlf_good "good/$k"
# the last line has no newline
k=$((k + 1))
good_ua[$((${#kinds[@]} + 1))]="good/$k"
good "good/$k" >>"$IN"
kinds+=(good)

nlines=${#kinds[@]}
nbad=0 nundec=0
for kind in "${kinds[@]}"; do
	[ "$kind" == good ] && continue
	nbad=$((nbad + 1))
	[ "$kind" != toolong ] && nundec=$((nundec + 1))
done
ngood=$((nlines - nbad))
equal "the mixed file has the lines it was built with" "$nlines" \
	"$(($(wc -l <"$IN") + 1))" # +1: no newline at the end

# --- grouped run ----------------------------------------------------------------------------
"$AGENT" eval $NOPF --max-line-bytes "$MAX" "$IN" >"$TMP/alerts" 2>"$TMP/err"
equal "mixed input: exit 0" 0 $?
check "mixed input: no sanitizer report" clean "$TMP/err"
name=$IN
missing=() wrong=()
for ((i = 1; i <= nlines; i++)); do
	kind=${kinds[i - 1]}
	[ "$kind" == good ] && continue
	msg=$(grep -a -F -- "eval: $name:$i: " "$TMP/err" | head -n 1)
	if [ -z "$msg" ]; then
		missing+=("line $i ($kind)")
	elif ! grep -qiE -- "${reason_re[$kind]}" <<<"$msg"; then
		wrong+=("line $i ($kind): $msg")
	fi
done
equal "stderr names every bad line by number" "" "${missing[*]}"
if [ ${#wrong[@]} -eq 0 ]; then
	ok "stderr gives each bad line a fitting reason"
else
	not_ok "stderr gives each bad line a fitting reason" "${wrong[@]}"
fi
named_good=()
for l in "${!good_ua[@]}"; do
	grep -qaF -- "eval: $name:$l: " "$TMP/err" && named_good+=("$l")
done
# decode.c has its own reason for a line cut short ("truncated JSON"); a truncated line is
# the usual damage of a log rotated or copied mid-write
trunc_line=0
for ((i = 1; i <= nlines; i++)); do [ "${kinds[i - 1]}" == truncated ] && trunc_line=$i; done
msg=$(grep -a -F -- "eval: $name:$trunc_line: " "$TMP/err" | head -n 1)
if grep -qiE 'truncated|unexpected end' <<<"$msg"; then
	ok "a truncated JSON line is reported as truncated"
else
	not_ok "a truncated JSON line is reported as truncated" \
		"line $trunc_line: $(sed -n "${trunc_line}p" "$IN")" "stderr: $msg"
fi
equal "stderr names no good line" "" "${named_good[*]}"
equal "stderr: one message per bad line, nothing else but the summary" "$((nbad + 1))" \
	"$(grep -ac . "$TMP/err")"
equal "stderr summary counts are exact" \
	"lines=$nlines matches=$ngood alerts=$ngood bad=$nbad undecodable=$nundec long=1 max=$MAX" \
	"$(summary "$TMP/err")"
toolong_line=0
for ((i = 1; i <= nlines; i++)); do [ "${kinds[i - 1]}" == toolong ] && toolong_line=$i; done
check "the over-long line is reported with its length ($toolong_len bytes)" \
	grep -qaE "eval: $name:$toolong_line: line of $toolong_len bytes is longer than $MAX" "$TMP/err"

want_uas=$(printf '%s\n' "${good_ua[@]}" | sort | tr '\n' ' ')
equal "every good line alerts, the 3 MB one included (one alert per user agent)" "$want_uas" \
	"$(jq -r '.dedup | ltrimstr("anonymous_access_")' "$TMP/alerts" | sort | tr '\n' ' ')"
jqeq() { equal "$1" "$2" "$(jq -s -c -r "$3" "$4" 2>&1)"; }
jqeq "no alert from the skipped over-long line" 0 \
	'[.[] | select(.dedup == "anonymous_access_toolong/1")] | length' "$TMP/alerts"
jqeq "each alert's source line is its good line" \
	"$(for l in "${!good_ua[@]}"; do echo "$l"; done | sort -n | jq -s -c .)" \
	'[.[].source.line] | sort' "$TMP/alerts"

# --- --each ---------------------------------------------------------------------------------
"$AGENT" eval $NOPF --each --max-line-bytes "$MAX" "$IN" >"$TMP/each" 2>"$TMP/each.err"
equal "--each on mixed input: exit 0" 0 $?
check "--each on mixed input: no sanitizer report" clean "$TMP/each.err"
equal "--each: exactly one output line per input line" "$nlines" "$(wc -l <"$TMP/each")"
equal "--each: line numbers 1..N in order" "$(seq 1 "$nlines" | tr '\n' ' ')" \
	"$(jq -r .line "$TMP/each" | tr '\n' ' ')"
got_kinds=$(jq -r 'if has("error") then (if (.error | type) == "string" and .error != ""
		and .matches == [] then "bad" else "malformed" end)
	elif (.matches | length) == 1 then "good" else "nomatch" end' "$TMP/each" | tr '\n' ' ')
want_kinds=$(for kind in "${kinds[@]}"; do [ "$kind" == good ] && echo good || echo bad; done | tr '\n' ' ')
equal "--each: bad lines carry an \"error\" and no match, good lines one match and no error" \
	"$want_kinds" "$got_kinds"
# after every bad line, the next good line still alerts
after=()
for ((i = 1; i < nlines; i++)); do
	if [ "${kinds[i - 1]}" != good ] && [ "${kinds[i]}" == good ]; then
		m=$(sed -n "$((i + 1))p" "$TMP/each" | jq -r '.matches[0].dedup // "none"')
		[ "$m" == "anonymous_access_${good_ua[$((i + 1))]}" ] || after+=("line $((i + 1)) after $i (${kinds[i - 1]}): $m")
	fi
done
equal "--each: the good line after each bad line alerts" "" "${after[*]}"
equal "--each: stderr summary counts are exact" \
	"lines=$nlines matches=$ngood bad=$nbad undecodable=$nundec long=1 max=$MAX" \
	"$(summary "$TMP/each.err" | sed 's/ alerts=0//')"

# --- with the prefilter (the default) --------------------------------------------------------
# The bad lines without "system:anonymous" (not JSON, empty, random bytes, a bare number) are
# skipped undecoded: counted as prefiltered, not named on stderr, no "error" in --each; every
# other verdict is the same.
"$AGENT" eval --each --max-line-bytes "$MAX" "$IN" >"$TMP/each.pf" 2>"$TMP/each.pf.err"
equal "prefilter on: exit 0" 0 $?
check "prefilter on: no sanitizer report" clean "$TMP/each.pf.err"
nolit=0 pf_kinds=()
for ((i = 1; i <= nlines; i++)); do
	kind=${kinds[i - 1]}
	if [ "$kind" != good ] && [ "$kind" != toolong ] && ! sed -n "${i}p" "$IN" | grep -qaF system:anonymous; then
		nolit=$((nolit + 1))
		pf_kinds+=(skipped)
	elif [ "$kind" == good ]; then
		pf_kinds+=(good)
	else
		pf_kinds+=(bad)
	fi
done
equal "prefilter on: the bad lines without the literal are the not-JSON, empty, random and number ones" \
	"4" "$nolit"
equal "prefilter on: they are counted as prefiltered, the others as before" \
	"lines=$nlines matches=$ngood bad=$((nbad - nolit)) undecodable=$((nundec - nolit)) long=1 max=$MAX prefiltered=$nolit" \
	"$(summary "$TMP/each.pf.err") prefiltered=$(prefiltered "$TMP/each.pf.err")"
equal "prefilter on: --each gives them an empty verdict without \"error\"" \
	"$(printf '%s\n' "${pf_kinds[@]}" | sed 's/skipped/nomatch/' | tr '\n' ' ')" \
	"$(jq -r 'if has("error") then "bad" elif (.matches | length) == 1 then "good" else "nomatch" end' "$TMP/each.pf" | tr '\n' ' ')"
equal "prefilter on: stderr names only the decoded bad lines" "$((nbad - nolit + 1))" \
	"$(grep -ac . "$TMP/each.pf.err")"

# --- the same file on standard input --------------------------------------------------------
"$AGENT" eval $NOPF --each --max-line-bytes "$MAX" - <"$IN" >"$TMP/each.stdin" 2>"$TMP/stdin.err"
equal "--each on stdin: exit 0" 0 $?
check "--each on stdin: same verdicts as from the file" cmp -s "$TMP/each" "$TMP/each.stdin"
check "--each on stdin: no sanitizer report" clean "$TMP/stdin.err"

# --- the --max-line-bytes boundary ------------------------------------------------------------
base=$(good edge/1 | wc -c)
{
	good edge/1 "$(pad $((1024 - base)))"; echo # exactly 1024 bytes: kept
	good edge/2 "$(pad $((1025 - base)))"; echo # 1025 bytes: skipped
	good edge/3
	echo
} >"$TMP/edge.log"
equal "boundary file: lines of 1024 and 1025 bytes" "1024 1025" \
	"$(awk '{ printf "%s%d", (NR > 1 ? " " : ""), length($0) } NR == 2 { exit }' "$TMP/edge.log")"
"$AGENT" eval --each --max-line-bytes 1024 "$TMP/edge.log" >"$TMP/edge" 2>"$TMP/edge.err"
equal "--max-line-bytes 1024: exit 0" 0 $?
equal "--max-line-bytes 1024: a 1024-byte line matches, a 1025-byte line is skipped, the next matches" \
	"1:good 2:bad 3:good " \
	"$(jq -r '"\(.line):" + (if has("error") then "bad" elif (.matches | length) == 1 then "good" else "none" end)' "$TMP/edge" | tr '\n' ' ')"
check "--max-line-bytes 1024: the skipped line is reported as line 2" \
	grep -qE "eval: $TMP/edge.log:2: line of 1025 bytes is longer than 1024" "$TMP/edge.err"
check "--max-line-bytes 1024: no sanitizer report" clean "$TMP/edge.err"

# --- many bad lines: the detail is capped, the count is not -----------------------------------
{
	for ((i = 0; i < 250; i++)); do echo 'not json'; done
	good many/1
	echo
} >"$TMP/many.log"
"$AGENT" eval $NOPF "$TMP/many.log" >"$TMP/many" 2>"$TMP/many.err"
equal "250 bad lines: exit 0" 0 $?
detailed=$(grep -ac "^eval: $TMP/many.log:[0-9]*: " "$TMP/many.err")
if [ "$detailed" -ge 1 ] && [ "$detailed" -le 250 ] && [ "$(grep -ac . "$TMP/many.err")" -le 102 ]; then
	ok "250 bad lines: stderr stays bounded ($detailed detailed messages)"
else
	not_ok "250 bad lines: stderr stays bounded" "$(grep -ac . "$TMP/many.err") stderr lines"
fi
equal "250 bad lines: the summary still counts all of them" \
	"lines=251 matches=1 alerts=1 bad=250 undecodable=250 long=0 max=16777216" "$(summary "$TMP/many.err")"
jqeq "250 bad lines: the good line after them alerts" '["anonymous_access_many/1"]' '[.[].dedup]' "$TMP/many"
check "250 bad lines: no sanitizer report" clean "$TMP/many.err"

# --- many distinct dedup strings inside one window --------------------------------------------
# An attacker picks the user agent, so every request can open its own alert group. 120000
# distinct user agents within five minutes must still be a linear pass: without the bug this
# takes a few seconds under ASan; the limit leaves a wide margin.
awk 'BEGIN { for (i = 1; i <= 120000; i++)
	printf "{\"user\":{\"username\":\"system:anonymous\"},\"sourceIPs\":[\"203.0.113.7\"],\"userAgent\":\"ua/%d\",\"requestURI\":\"/api\",\"requestReceivedTimestamp\":\"2024-05-14T09:%02d:%02d.%06dZ\"}\n", i, int(i / 30000), int(i / 500) % 60, i }' >"$TMP/uas.log"
start=$SECONDS
timeout 30 "$AGENT" eval "$TMP/uas.log" >"$TMP/uas" 2>"$TMP/uas.err"
status=$?
elapsed=$((SECONDS - start))
if [ $status -eq 0 ]; then
	ok "120000 distinct user agents in one window: done in ${elapsed}s (limit 30s)"
else
	not_ok "120000 distinct user agents in one window: done within 30s" \
		"exit status $status after ${elapsed}s (124: killed by timeout)"
fi
if [ $status -eq 0 ]; then
	equal "120000 distinct user agents: 120000 alerts" \
		"lines=120000 matches=120000 alerts=120000 bad=0 undecodable=0 long=0 max=16777216" \
		"$(summary "$TMP/uas.err")"
	check "120000 distinct user agents: no sanitizer report" clean "$TMP/uas.err"
else
	skip "120000 distinct user agents: 120000 alerts" "the run did not finish"
	skip "120000 distinct user agents: no sanitizer report" "the run did not finish"
fi
