#!/usr/bin/env bash
# The prefilter is sound: `eval` and `eval --each` print byte-identical output with it on and
# off (--no-prefilter), on the shared conformance corpus and on a large seeded random corpus
# built to trip it (escaped spellings of system:anonymous, \/ variants, the literal in other
# fields, near misses, Unicode, JSON in JSON strings, duplicated keys, deep nesting). The
# closing summary says how many lines were skipped undecoded.
. "$(dirname "$0")/lib.sh"

CORPUS=$SHARED/conformance/corpus.jsonl
clean() { ! grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$@"; }
# prefiltered FILE: the count at the end of eval's summary line (stderr)
prefiltered() { tail -n 1 "$1" | sed -nE 's/.*; ([0-9]+) prefiltered$/\1/p'; }
lines_of() { tail -n 1 "$1" | sed -nE 's/^eval: ([0-9]+) lines,.*/\1/p'; }

# same_both_ways NAME FILE: eval --each and eval, prefilter on and off, identical stdout
same_both_ways() {
	local name=$1 in=$2 mode
	for mode in --each ""; do
		# shellcheck disable=SC2086
		"$AGENT" eval --rules "$ROOT/rules" $mode "$in" >"$TMP/on" 2>"$TMP/on.err"
		local s1=$?
		# shellcheck disable=SC2086
		"$AGENT" eval --rules "$ROOT/rules" $mode --no-prefilter "$in" >"$TMP/off" 2>"$TMP/off.err"
		local s2=$?
		local what="eval${mode:+ $mode}"
		equal "$name: $what exits 0 with the prefilter on and off" "0 0" "$s1 $s2"
		if cmp -s "$TMP/on" "$TMP/off"; then
			ok "$name: $what output is byte-identical with the prefilter on and off ($(wc -l <"$TMP/on") lines)"
		else
			not_ok "$name: $what output is byte-identical with the prefilter on and off" \
				"$(diff "$TMP/on" "$TMP/off" | head -n 6)"
		fi
		check "$name: $what: no sanitizer report" clean "$TMP/on.err" "$TMP/off.err"
		equal "$name: $what --no-prefilter skips nothing" 0 "$(prefiltered "$TMP/off.err")"
		equal "$name: $what counts every line with the prefilter on" \
			"$(lines_of "$TMP/off.err")" "$(lines_of "$TMP/on.err")"
	done
	local skipped
	skipped=$(prefiltered "$TMP/on.err")
	if [ -n "$skipped" ] && [ "$skipped" -gt 0 ]; then
		ok "$name: the prefilter skipped $skipped of $(lines_of "$TMP/on.err") lines"
	else
		not_ok "$name: the prefilter skipped some lines" "$(tail -n 1 "$TMP/on.err")"
	fi
}

if [ -r "$CORPUS" ]; then
	same_both_ways "conformance corpus" "$CORPUS"
else
	skip "conformance corpus: prefilter on and off agree" "no $CORPUS (SHARED=$SHARED)"
fi

if ! command -v python3 >/dev/null || ! command -v jq >/dev/null; then
	skip "random corpus: prefilter on and off agree" "python3 or jq is not installed (make deps)"
	exit 0
fi
python3 "$ROOT/tests/integration/prefilter_corpus.py" --seed 20240514 --lines 30000 \
	>"$TMP/random.jsonl"
same_both_ways "random corpus" "$TMP/random.jsonl"

# The corpus has teeth: lines that match although their bytes never spell system:anonymous
# (escapes) must have been decoded, and so must every malformed line holding the literal.
"$AGENT" eval --rules "$ROOT/rules" --each "$TMP/random.jsonl" >"$TMP/each" 2>/dev/null
jq -r 'select(.matches | length > 0) | .line' "$TMP/each" >"$TMP/matched"
hidden=$(awk 'NR == FNR { want[$1] = 1; next } (FNR in want) && index($0, "system:anonymous") == 0' \
	"$TMP/matched" "$TMP/random.jsonl" | wc -l)
if [ "$hidden" -gt 100 ]; then
	ok "random corpus: $hidden matching lines spell the literal only through escapes"
else
	not_ok "random corpus: many matching lines spell the literal only through escapes" \
		"only $hidden"
fi
errors=$(jq -s '[.[] | select(has("error"))] | length' "$TMP/each")
if [ "$errors" -gt 100 ]; then
	ok "random corpus: $errors malformed lines holding the literal are decoded and reported"
else
	not_ok "random corpus: malformed lines holding the literal are decoded and reported" \
		"only $errors"
fi

# A malformed line without the literal is skipped undecoded: counted as prefiltered, no error.
printf '%s\n' 'not json' '{"user":{"username":"system:anonymous"},"sourceIPs":["203.0.113.9"],"requestURI":"/api"}' \
	'{"user": broken' >"$TMP/bad.jsonl"
"$AGENT" eval --rules "$ROOT/rules" --each "$TMP/bad.jsonl" >"$TMP/bad.on" 2>"$TMP/bad.on.err"
equal "malformed lines without the literal: no error, counted as prefiltered" \
	'[] 1 [] 2' \
	"$(jq -c '.matches | if length == 0 then . else length end' "$TMP/bad.on" | tr '\n' ' ')$(prefiltered "$TMP/bad.on.err")"
"$AGENT" eval --rules "$ROOT/rules" --each --no-prefilter "$TMP/bad.jsonl" >"$TMP/bad.off" 2>/dev/null
equal "malformed lines with --no-prefilter: reported as undecodable" "true false true" \
	"$(jq -r 'has("error")' "$TMP/bad.off" | tr '\n' ' ' | sed 's/ $//')"

# --- the daemon: `prefilter: true` (the default) and `false` write the same alert records -----
. "$ROOT/tests/integration/daemon.sh"
scenario prefilter
cp "$ROOT/examples/audit.log" "$D/logs/audit.log"
# random native lines as they were written (escapes and all) whose event time is certain: an
# alert of a line without one would take the wall clock, which differs between the two runs
python3 "$ROOT/tests/integration/prefilter_corpus.py" --seed 99 --lines 6000 | python3 -c '
import json, re, sys
for raw in sys.stdin:
    try:
        ev = json.loads(raw)
    except ValueError:
        continue
    t = ev.get("requestReceivedTimestamp") if isinstance(ev, dict) else None
    if (isinstance(t, str) and re.match(r"2024-05-14T\d\d:\d\d:\d\d\.\d{6}Z$", t)
            and "p_log_type" not in ev and "p_event_time" not in ev):
        sys.stdout.write(raw)
' >>"$D/logs/audit.log"
size=$(fsize "$D/logs/audit.log")
for pf in true false; do
	rm -rf "$D/state" "$D/out"
	mkdir -p "$D/out"
	: >"$D/stderr"
	mkconfig "$D" start_at=beginning extra="prefilter: $pf"
	start_agent "$D"
	if wait_until 60 ckpt_is "$D" "$D/logs/audit.log" "$size"; then
		ok "daemon, prefilter: $pf: the whole log is read"
	else
		not_ok "daemon, prefilter: $pf: the whole log is read" "checkpoint $(state_offset "$D" "$D/logs/audit.log") of $size"
	fi
	stop_agent
	equal "daemon, prefilter: $pf: SIGTERM exits 0" "exit 0" "$STOPPED"
	check "daemon, prefilter: $pf: no sanitizer report" clean "$D/stderr"
	cp "$OUT" "$D/alerts.$pf"
	cp "$D/stderr" "$D/stderr.$pf"
done
check "daemon: the log says what the prefilter skips" \
	grep -qF 'prefilter: Kubernetes.Audit lines without "system:anonymous" are skipped before decoding' "$D/stderr.true"
check "daemon: the log says when it is off" grep -qF 'prefilter: off (prefilter: false)' "$D/stderr.false"
skipped=$(grep -oE ' prefiltered=[0-9]+' "$D/stderr.true" | tail -n 1 | cut -d= -f2)
if [ -n "$skipped" ] && [ "$skipped" -gt 0 ]; then
	ok "daemon: the summary counts $skipped prefiltered lines"
else
	not_ok "daemon: the summary counts prefiltered lines" "$(grep ' summary: ' "$D/stderr.true" | tail -n 1)"
fi
equal "daemon, prefilter: false: the summary counts none" " prefiltered=0" \
	"$(grep -oE ' prefiltered=[0-9]+' "$D/stderr.false" | tail -n 1)"
if [ -s "$D/alerts.true" ] && cmp -s "$D/alerts.true" "$D/alerts.false"; then
	ok "daemon: the same alert records with the prefilter on and off ($(records "$D/alerts.true"))"
else
	not_ok "daemon: the same alert records with the prefilter on and off" \
		"$(diff "$D/alerts.true" "$D/alerts.false" | head -n 4 | cut -c1-200)"
fi
