#!/usr/bin/env bash
# Hostile input, for eval and the daemon: random bytes, a line of 40 MB, JSON nested 300000
# deep, NUL bytes, invalid UTF-8, wrong JSON types where strings and lists are expected, numbers
# out of range (1e999, -0, 5000-digit integers), 100000 keys, 20000 duplicated keys, a list of
# 200000 addresses (tests/integration/hostile.py writes them, a good anonymous line after each).
# Nothing crashes or hangs (every run is under timeout), each undecodable line is reported with
# its line (eval) or byte offset (run) and a reason, peak memory stays under a stated bound
# (the sanitizer build: ASan roughly doubles it), and the good line after each one alerts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

# peak RSS bounds, in KiB, for the ASan build this suite runs (measured: about 180 MB, 370 MB
# and 190 MB; the release build needs less than half)
EVAL_MAX_KB=$((512 << 10))       # eval, default max_line_bytes (the 40 MB line is skipped)
EVAL_BIG_MAX_KB=$((1024 << 10))  # eval --max-line-bytes 64 MiB (the 40 MB line is parsed)
RUN_MAX_KB=$((512 << 10))        # the daemon, default max_line_bytes
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=""

IN=$TMP/hostile.log
python3 "$(dirname "$0")/hostile.py" "$IN" "$TMP/kinds"
mapfile -t kinds <"$TMP/kinds"
nlines=${#kinds[@]}
nbad=0 nodd=0
for k in "${kinds[@]}"; do
	case $k in bad:*) nbad=$((nbad + 1)) ;; odd*) nodd=$((nodd + 1)) ;; esac
done
equal "the hostile log has one line per kind" "$nlines" "$(wc -l <"$IN")"

# run_eval NAME ARGS...: eval under timeout and /usr/bin/time; NAME.out, NAME.err, NAME.rss (KiB)
run_eval() {
	local name=$1
	shift
	if [ -n "$TIME" ]; then
		timeout 300 "$TIME" -o "$TMP/$name.rss" -f %M "$AGENT" eval "$@" "$IN" \
			>"$TMP/$name.out" 2>"$TMP/$name.err"
	else
		timeout 300 "$AGENT" eval "$@" "$IN" >"$TMP/$name.out" 2>"$TMP/$name.err"
	fi
}
rss_under() { # NAME BOUND_KB LABEL
	if [ -z "$TIME" ]; then
		skip "$3: peak RSS under $(($2 >> 10)) MiB" "/usr/bin/time is not installed (make deps)"
		return
	fi
	local kb
	kb=$(tail -n 1 "$TMP/$1.rss")
	if [ "$kb" -lt "$2" ]; then
		ok "$3: peak RSS $((kb >> 10)) MiB, under $(($2 >> 10)) MiB"
	else
		not_ok "$3: peak RSS under $(($2 >> 10)) MiB" "peak RSS $((kb >> 10)) MiB"
	fi
}

# --- eval --each, every line decoded ---------------------------------------------------------------
# --no-prefilter: a malformed line without the rule's literal is otherwise skipped undecoded
# (counted as prefiltered, not reported; see "Bad input" in the README)
run_eval each --each --no-prefilter
equal "eval --each: exit 0 within the timeout" 0 $?
check "eval --each: no sanitizer report" clean "$TMP/each.err"
rss_under each "$EVAL_MAX_KB" "eval --each"
equal "eval --each: one verdict per line, numbered in order" "$(seq -s ' ' 1 "$nlines")" \
	"$(jq -r .line "$TMP/each.out" | paste -sd ' ')"
wrong=()
for ((i = 1; i <= nlines; i++)); do
	k=${kinds[i - 1]}
	v=$(sed -n "${i}p" "$TMP/each.out")
	case $k in
	good) [ "$(jq -r '[.matches[].dedup] | join(",")' <<<"$v")" == "anonymous_access_good/$(((i + 1) / 2))" ] ||
		wrong+=("line $i (good): $v") ;;
	bad:*) jq -e --arg re "${k#bad:}" '.error | test($re; "i")' <<<"$v" >/dev/null ||
		wrong+=("line $i ($k): $(cut -c1-200 <<<"$v")") ;;
	long) jq -e '.error | test("longer than 16777216")' <<<"$v" >/dev/null ||
		wrong+=("line $i (long): $(cut -c1-200 <<<"$v")") ;;
	odd0:*) jq -e 'has("error") | not' <<<"$v" >/dev/null && [ "$(jq '.matches | length' <<<"$v")" == 0 ] ||
		wrong+=("line $i ($k): $(cut -c1-200 <<<"$v")") ;;
	odd:*) jq -e '(has("error") | not) and (.matches | type) == "array"' <<<"$v" >/dev/null ||
		wrong+=("line $i ($k): $(cut -c1-200 <<<"$v")") ;;
	esac
done
if [ ${#wrong[@]} -eq 0 ]; then
	ok "eval --each: every good line alerts, every undecodable line has its reason, every odd one a verdict"
else
	not_ok "eval --each: every line has the verdict of its kind" "${wrong[@]}"
fi
missing=()
for ((i = 1; i <= nlines; i++)); do
	case ${kinds[i - 1]} in bad:* | long)
		grep -qaE "^eval: $IN:$i: " "$TMP/each.err" || missing+=("$i (${kinds[i - 1]})") ;;
	esac
done
equal "eval --each: stderr names each undecodable line by its number" "" "${missing[*]}"
equal "eval --each: the summary counts them" \
	"eval: $nlines lines, $(grep -c '"dedup"' "$TMP/each.out") matches; $((nbad + 1)) bad lines ($nbad undecodable, 1 longer than 16777216 bytes); 0 prefiltered" \
	"$(tail -n 1 "$TMP/each.err")"

# --- eval --each with the prefilter, as the daemon runs by default ---------------------------------
run_eval pf --each
equal "eval --each with the prefilter: exit 0 within the timeout" 0 $?
check "eval --each with the prefilter: no sanitizer report" clean "$TMP/pf.err"
rss_under pf "$EVAL_MAX_KB" "eval --each with the prefilter"
equal "eval --each with the prefilter: the same matches on every line as without it" \
	"$(jq -c '[.line, .matches]' "$TMP/each.out")" "$(jq -c '[.line, .matches]' "$TMP/pf.out")"

# --- eval, grouped, with a limit that lets the 40 MB line in ---------------------------------------
run_eval big --max-line-bytes 67108864
equal "eval --max-line-bytes 64 MiB: exit 0 within the timeout" 0 $?
check "eval --max-line-bytes 64 MiB: no sanitizer report" clean "$TMP/big.err"
rss_under big "$EVAL_BIG_MAX_KB" "eval --max-line-bytes 64 MiB (the 40 MB line parsed)"
check "eval --max-line-bytes 64 MiB: the 40 MB anonymous event alerts" \
	grep -q '"dedup":"anonymous_access_long/1"' "$TMP/big.out"
goods=$(for ((i = 1; i <= nlines; i += 2)); do echo "anonymous_access_good/$(((i + 1) / 2))"; done | sort)
equal "eval: every good line alerts" "$goods" \
	"$(jq -r 'select(.dedup | startswith("anonymous_access_good/")) | .dedup' "$TMP/big.out" | sort)"

# --- the daemon ------------------------------------------------------------------------------------
scenario hostile
L=$D/logs/audit.log
mkconfig "$D" extra=$'summary_interval_seconds: 1\nprefilter: false'
cp "$IN" "$L"
start_agent "$D"
# done reading: the last good line alerted and a summary counted every line (the engine's count
# leaves out the line too long to evaluate)
read_all() { has_id "$OUT" "good-$(((nlines + 1) / 2))" && log_has "$D" "summary: lines=$((nlines - 1)) "; }
wait_until 120 read_all
check "run: the daemon read the whole hostile log and is still running" alive
anon_event after-1 after/1 2024-05-14T10:00:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" after-1
check "run: a good anonymous line appended after the hostile log alerts" has_id "$OUT" after-1
hwm=$(sed -nE 's/^VmHWM:[[:space:]]+([0-9]+) kB/\1/p' "/proc/$AGENT_PID/status")
if [ -n "$hwm" ] && [ "$hwm" -lt "$RUN_MAX_KB" ]; then
	ok "run: peak RSS (VmHWM) $((hwm >> 10)) MiB, under $((RUN_MAX_KB >> 10)) MiB"
else
	not_ok "run: peak RSS (VmHWM) under $((RUN_MAX_KB >> 10)) MiB" "VmHWM ${hwm:-?} kB"
fi
stop_agent TERM
equal "run: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "run: no sanitizer report" clean "$D/stderr"
missing=()
for ((i = 1; i <= nlines; i += 2)); do has_id "$OUT" "good-$(((i + 1) / 2))" || missing+=("good-$(((i + 1) / 2))"); done
equal "run: every good line alerts" "" "${missing[*]}"
# each undecodable line is logged with its byte offset (ten per summary interval, the rest counted)
offsets=$(python3 -c '
import sys
off = 0
kinds = open(sys.argv[2]).read().split("\n")
for i, line in enumerate(open(sys.argv[1], "rb").read().split(b"\n")[:-1]):
    if kinds[i].startswith("bad:"):
        print(off)
    off += len(line) + 1' "$IN" "$TMP/kinds")
logged=$(sed -nE "s|.* $L: line at byte ([0-9]+) skipped: .*|\1|p" "$D/stderr")
unlogged=$(sed -nE 's/.* ([0-9]+) more bad lines were not logged one by one/\1/p' "$D/stderr" |
	awk '{ n += $1 } END { print n + 0 }')
stray=$(comm -13 <(sort <<<"$offsets") <(sort <<<"$logged") | paste -sd ' ')
equal "run: each logged skip names the byte offset where an undecodable line starts" "" "$stray"
equal "run: logged skips and the 'more bad lines' count add up to the undecodable lines" "$nbad" \
	"$(($(grep -c . <<<"$logged") + ${unlogged:-0}))"
check "run: the 40 MB line is skipped and logged with its length" \
	log_has "$D" "is longer than max_line_bytes \\(16777216\\); skipped|41943606"
check "run: the summary counts the undecodable and the long lines" \
	log_has "$D" "summary: lines=$nlines .*decode_errors=$nbad .*skipped_too_long=1"
