#!/usr/bin/env bash
# The agent against the reference verdicts: `eval --each` over the shared conformance corpus
# must agree with corpus.expected.jsonl on every line (match, title, severity, dedup). Lines
# marked "ambiguous" in the expectations may go either way.
. "$(dirname "$0")/lib.sh"

RULE=Kubernetes.API.AnonymousAccess
CONF=$SHARED/conformance
CORPUS=$CONF/corpus.jsonl
EXPECTED=$CONF/corpus.expected.jsonl

if [ ! -d "$CONF" ] || [ ! -r "$CORPUS" ] || [ ! -r "$EXPECTED" ]; then
	skip "conformance corpus" "no $CORPUS or $EXPECTED (SHARED=$SHARED)"
	exit 0
fi
if ! command -v jq >/dev/null; then
	skip "conformance corpus" "jq is not installed (make deps)"
	exit 0
fi

"$AGENT" eval --rules "$ROOT/rules" --each "$CORPUS" >"$TMP/out" 2>"$TMP/err"
status=$?
equal "eval --each over the corpus exits 0" 0 "$status"
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$TMP/err"; then
	not_ok "no sanitizer report" "$(grep -m3 -E 'Sanitizer|runtime error:' "$TMP/err")"
else
	ok "no sanitizer report"
fi

want_lines=$(wc -l <"$CORPUS")
equal "one output line per corpus line" "$want_lines" "$(wc -l <"$TMP/out")"
equal "expected verdicts are line-aligned with the corpus" "$want_lines" "$(wc -l <"$EXPECTED")"
equal "output lines are numbered 1..N in order" "$(seq 1 "$want_lines" | tr '\n' ' ')" \
	"$(jq -r '.line' "$TMP/out" 2>/dev/null | tr '\n' ' ')"
equal "no corpus line is reported as undecodable" 0 \
	"$(jq -s '[.[] | select(has("error"))] | length' "$TMP/out" 2>/dev/null || echo jq-failed)"

# One record per line: what the reference says and what the agent says (our rule only; other
# rules may be installed beside it).
jq -n --slurpfile got "$TMP/out" --slurpfile exp "$EXPECTED" --arg rule "$RULE" '
	range(0; [($exp | length), ($got | length)] | max) as $i
	| ($exp[$i] // {}) as $e
	| ([($got[$i] // {}).matches // [] | .[] | select(.rule_id == $rule)]) as $m
	| {line: ($i + 1), ambiguous: ($e.ambiguous // false),
	   want: {match: $e.match, title: $e.title, severity: $e.severity, dedup: $e.dedup},
	   got: {match: ($m | length > 0), title: $m[0].title, severity: $m[0].severity,
	         dedup: $m[0].dedup, n: ($m | length)}}' >"$TMP/pairs" 2>"$TMP/jqerr" ||
	not_ok "comparison ran" "$(head -3 "$TMP/jqerr")"

# aspect NAME JQ_FILTER: the filter selects the disagreeing records of one aspect
aspect() {
	local bad
	bad=$(jq -c "select(.ambiguous | not) | select($2)" "$TMP/pairs")
	if [ -z "$bad" ]; then
		ok "corpus: $1 agrees on every line"
	else
		local -a first
		mapfile -t first < <(head -n 5 <<<"$bad")
		not_ok "corpus: $1 agrees on every line ($(wc -l <<<"$bad") lines differ)" "${first[@]}"
	fi
}
aspect "match" '.want.match != .got.match'
aspect "single match per line (no duplicates)" '.got.n > 1'
aspect "title" '.want.match == true and .got.match and .want.title != .got.title'
aspect "severity" '.want.match == true and .got.match and .want.severity != .got.severity'
aspect "dedup" '.want.match == true and .got.match and .want.dedup != .got.dedup'

differs='.want.match != .got.match or (.want.match == true and (.want.title != .got.title
	or .want.severity != .got.severity or .want.dedup != .got.dedup))'
disagree=$(jq -s "[.[] | select(.ambiguous | not) | select($differs)] | length" "$TMP/pairs")
equal "count of disagreeing lines" 0 "$disagree"
if [ "$disagree" != 0 ]; then
	jq -s -r "[.[] | select(.ambiguous | not) | select($differs)] | .[:5][]
		| \"#   line \\(.line): want \\(.want | tojson)\n#     got \\(.got | tojson)\"" "$TMP/pairs"
fi
