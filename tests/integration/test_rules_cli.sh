#!/usr/bin/env bash
# `kube-audit-agent test`: the bundled rules pass; a wrong expectation, an unknown key, a bad
# Condition and a YAML syntax error each fail with the file and line named. Also `version` and
# every `--help`.
. "$(dirname "$0")/lib.sh"

RULE_FILE=$ROOT/rules/k8s_anonymous_api_access.yml

# sanitizer reports in a captured stderr (or stdout) file
clean() { ! grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$@"; }

# run NAME ARGS...: runs the agent, keeps stdout, stderr and the status in $TMP/NAME.*
run() {
	local name=$1
	shift
	"$AGENT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc() { cat "$TMP/$1.rc"; }
out() { cat "$TMP/$1.out" "$TMP/$1.err"; }

# a rules directory holding the data models and one rule made from the seed rule by a sed script
variant() { # variant NAME SED_SCRIPT
	mkdir -p "$TMP/$1"
	cp -r "$ROOT/rules/data_models" "$TMP/$1/"
	sed -e "$2" "$RULE_FILE" >"$TMP/$1/rule.yml"
	if cmp -s "$RULE_FILE" "$TMP/$1/rule.yml"; then
		echo "variant $1: the sed script changed nothing" >&2
		return 1
	fi
}
line_of() { grep -n -m1 -- "$1" "$TMP/$2/rule.yml" | cut -d: -f1; }

# --- the bundled rules -----------------------------------------------------------------------
run all test "$ROOT/rules"
equal "test rules: exit 0" 0 "$(rc all)"
last=$(tail -n 1 "$TMP/all.out")
if [[ $last =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] && [ "${BASH_REMATCH[1]}" -ge 20 ]; then
	ok "test rules: last line is \"N passed, 0 failed\" with N >= 20 ($last)"
else
	not_ok "test rules: last line is \"N passed, 0 failed\" with N >= 20" "got: $last"
fi
npass=$(grep -c '^PASS ' "$TMP/all.out")
equal "test rules: one PASS line per passed test" "${last%% *}" "$npass"
equal "test rules: no FAIL line" 0 "$(grep -c '^FAIL' "$TMP/all.out")"
check "test rules: no sanitizer report" clean "$TMP/all.out" "$TMP/all.err"

# --- a flipped ExpectedResult --------------------------------------------------------------
# the first test of the seed rule ("EKS Anonymous API Access") expects a match: expect none
variant flip '0,/^    ExpectedResult: true$/s//    ExpectedResult: false/'
run flip test "$TMP/flip"
equal "flipped ExpectedResult: exit 1" 1 "$(rc flip)"
equal "flipped ExpectedResult: last line" "$((npass - 1)) passed, 1 failed" \
	"$(tail -n 1 "$TMP/flip.out")"
fail=$(grep -A3 '^FAIL ' "$TMP/flip.out")
flip_line=$(line_of 'ExpectedResult: false' flip)
check "flipped ExpectedResult: a FAIL line names the rule and the test" \
	grep -qx 'FAIL Kubernetes.API.AnonymousAccess: EKS Anonymous API Access' "$TMP/flip.out"
if grep -q "expected: match=false" <<<"$fail" && grep -q "got: *match=true" <<<"$fail"; then
	ok "flipped ExpectedResult: the failure shows expected match=false and got match=true"
else
	not_ok "flipped ExpectedResult: the failure shows expected match=false and got match=true" \
		"output: $fail"
fi
# the test is reported at its own place in the file: the "- Name:" line or its ExpectedResult
name_line=$(line_of 'Name: EKS Anonymous API Access' flip)
if grep -qE "$TMP/flip/rule.yml:($name_line|$flip_line)\b" <<<"$fail"; then
	ok "flipped ExpectedResult: the failure names file:line of the test"
else
	not_ok "flipped ExpectedResult: the failure names file:line of the test" \
		"want: $TMP/flip/rule.yml:$name_line (or :$flip_line)" "output: $fail"
fi

# --- an unknown top-level key ---------------------------------------------------------------
variant unknown 's/^Severity: Info$/Severty: Info/'
run unknown test "$TMP/unknown"
equal "unknown key: exit 1" 1 "$(rc unknown)"
want="$TMP/unknown/rule.yml:$(line_of '^Severty:' unknown):"
if out unknown | grep -F -- "$want" | grep -q "Severty"; then
	ok "unknown key: reported with file:line and the key"
else
	not_ok "unknown key: reported with file:line and the key" "want a line with: $want ... Severty" \
		"got: $(out unknown | head -n 3)"
fi
check "unknown key: counted as a failure" grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' \
	"$TMP/unknown.out"

# --- a Condition that does not exist --------------------------------------------------------
variant cond '0,/Condition: Equals$/s//Condition: Equalz/'
run cond test "$TMP/cond"
equal "bad Condition: exit 1" 1 "$(rc cond)"
want="$TMP/cond/rule.yml:$(line_of 'Condition: Equalz' cond):"
if out cond | grep -F -- "$want" | grep -q "Equalz"; then
	ok "bad Condition: reported with file:line and the name"
else
	not_ok "bad Condition: reported with file:line and the name" "want a line with: $want ... Equalz" \
		"got: $(out cond | head -n 3)"
fi

# --- YAML syntax errors ---------------------------------------------------------------------
variant syntax 's/^Severity: Info$/Severity: Info: High/'
run syntax test "$TMP/syntax"
equal "YAML syntax error: exit 1" 1 "$(rc syntax)"
want="$TMP/syntax/rule.yml:$(line_of '^Severity: Info: High' syntax):"
if out syntax | grep -qF -- "$want"; then
	ok "YAML syntax error: reported with file:line"
else
	not_ok "YAML syntax error: reported with file:line" "want: $want" "got: $(out syntax | head -n 3)"
fi
variant tab 's/^Enabled: true$/\tEnabled: true/'
run tab test "$TMP/tab"
equal "YAML tab indentation: exit 1" 1 "$(rc tab)"
want="$TMP/tab/rule.yml:$(line_of 'Enabled: true' tab):"
if out tab | grep -qF -- "$want"; then
	ok "YAML tab indentation: reported with file:line"
else
	not_ok "YAML tab indentation: reported with file:line" "want: $want" "got: $(out tab | head -n 3)"
fi

# eval refuses broken rules too (exit 2), naming the same place
run evalbad eval --rules "$TMP/unknown" /dev/null
equal "eval with a broken rule: exit 2" 2 "$(rc evalbad)"
check "eval with a broken rule: names file:line and the key" \
	grep -qF "$TMP/unknown/rule.yml:$(line_of '^Severty:' unknown): unknown key 'Severty'" \
	"$TMP/evalbad.err"

dirty=
for v in flip unknown cond syntax tab evalbad; do
	clean "$TMP/$v.out" "$TMP/$v.err" || dirty+=" $v"
done
equal "no sanitizer report from the failing runs" "" "$dirty"

# --- version and --help ---------------------------------------------------------------------
run version version
equal "version: exit 0" 0 "$(rc version)"
check "version: prints \"kube-audit-agent X.Y.Z\"" \
	grep -qE '^kube-audit-agent [0-9]+\.[0-9]+\.[0-9]+' "$TMP/version.out"
for args in "--help" "help" "test --help" "eval --help"; do
	# shellcheck disable=SC2086
	"$AGENT" $args >"$TMP/help.out" 2>"$TMP/help.err"
	s=$?
	if [ $s -eq 0 ] && grep -q '^usage: kube-audit-agent' "$TMP/help.out" && clean "$TMP/help.err"; then
		ok "'$args': exit 0 with the usage on stdout"
	else
		not_ok "'$args': exit 0 with the usage on stdout" "status $s" "$(head -n 2 "$TMP/help.out" "$TMP/help.err")"
	fi
done
run nocmd
equal "no command: exit 2" 2 "$(rc nocmd)"
run badcmd frobnicate
equal "unknown command: exit 2" 2 "$(rc badcmd)"
