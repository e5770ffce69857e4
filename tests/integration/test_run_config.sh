#!/usr/bin/env bash
# The daemon's configuration: `check-config` prints the effective configuration (defaults
# filled in) and refuses an unknown key, a wrong type or a missing section with exit status 2
# and the file:line; `run` refuses a broken configuration or rules that do not load the same
# way, before it touches the state directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

scenario config
C=$D/agent.yaml

# cc NAME: run check-config on $C, keep stdout, stderr and the status in $D/NAME.*
cc() {
	"$AGENT" check-config --config "$C" >"$D/$1.out" 2>"$D/$1.err"
	echo $? >"$D/$1.rc"
}
rc() { cat "$D/$1.rc"; }
line_of() { grep -n -m1 -- "$1" "$C" | cut -d: -f1; }

# --- a minimal valid configuration: defaults filled in ---------------------------------------
cat >"$C" <<EOF
state_dir: $D/state
rules:
  - $ROOT/rules
inputs:
  - path: $D/logs/audit.log
outputs:
  - type: file
    path: $D/out/alerts.jsonl
EOF
cc min
equal "check-config, minimal configuration: exit 0" 0 "$(rc min)"
cat >"$D/min.want" <<EOF
# effective configuration of $C
node: "$(NODE_NAME='' hostname)"
state_dir: "$D/state"
max_line_bytes: 16777216
summary_interval_seconds: 60
prefilter: true
rules:
  - "$ROOT/rules"
inputs:
  - path: "$D/logs/audit.log"
    log_type: "Kubernetes.Audit"
    start_at: end
outputs:
  - type: file
    name: "file-0"
    path: "$D/out/alerts.jsonl"
    format: json
correlation:
  mode: off
  apiserver_ports: [6443]
  apiserver_process: kube-apiserver
  history_seconds: 120
metrics:
  listen: "127.0.0.1:9464"
  unready_after_seconds: 300
log:
  format: text
  level: info
# rules: 1 rules and 4 data models loaded from 5 files
EOF
if [ -n "${NODE_NAME:-}" ]; then sed -i "s/^node: .*/node: \"$NODE_NAME\"/" "$D/min.want"; fi
if diff -u "$D/min.want" "$D/min.out" >"$D/min.diff"; then
	ok "check-config prints the effective configuration with every default filled in"
else
	not_ok "check-config prints the effective configuration with every default filled in" \
		"$(head -n 20 "$D/min.diff")"
fi
equal "check-config, valid: nothing on stderr" "" "$(cat "$D/min.err")"
check "check-config does not create the state directory" test ! -e "$D/state"

# the printed configuration is itself valid and prints the same
grep -v '^#' "$D/min.out" >"$D/printed.yaml"
cp "$C" "$D/orig.yaml"
cp "$D/printed.yaml" "$C"
cc again
equal "the printed configuration is valid (exit 0)" 0 "$(rc again)"
equal "the printed configuration prints the same" "$(grep -v '^#' "$D/min.out")" \
	"$(grep -v '^#' "$D/again.out")"

# every key set explicitly comes back as set
cat >"$C" <<EOF
cluster: prod-eu-1
node: cp-7
state_dir: $D/state
rules: [$ROOT/rules]
inputs:
  - path: $D/logs/audit*.log
    log_type: Kubernetes.Audit
    start_at: beginning
outputs:
  - type: stdout
    format: json
  - type: file
    path: $D/out/alerts.jsonl
correlation:
  mode: auto
max_line_bytes: 4096
summary_interval_seconds: 15
prefilter: false
EOF
cc full
equal "check-config, every key set: exit 0" 0 "$(rc full)"
equal "check-config, every key set: printed back" \
	"cluster: \"prod-eu-1\"|node: \"cp-7\"|max_line_bytes: 4096|summary_interval_seconds: 15|prefilter: false|    start_at: beginning|  - type: stdout|  - type: file|  mode: auto" \
	"$(grep -E '^(cluster|node|max_line_bytes|summary_interval_seconds|prefilter):|start_at:|^  - type:|mode:' "$D/full.out" | paste -sd '|')"

# --- refused configurations ------------------------------------------------------------------
# refused NAME WANT_LINE ERE: check-config exits 2 and stderr names $C:WANT_LINE and matches ERE
refused() {
	local name=$1 want_line=$2 ere=$3
	cc "$name"
	equal "$name: check-config exits 2" 2 "$(rc "$name")"
	if grep -qF -- "$C:$want_line:" "$D/$name.err" && grep -qE -- "$ere" "$D/$name.err"; then
		ok "$name: the error names $(basename "$C"):$want_line and says why"
	else
		not_ok "$name: the error names $(basename "$C"):$want_line and says why" \
			"want: $C:$want_line: ... /$ere/" "got:  $(head -n 3 "$D/$name.err")"
	fi
}
base() { # a valid configuration with extra lines inserted at the end of the root mapping
	cat <<EOF
state_dir: $D/state
rules:
  - $ROOT/rules
inputs:
  - path: $D/logs/audit.log
    start_at: beginning
outputs:
  - type: file
    path: $D/out/alerts.jsonl
EOF
}

{ base; echo "colour: blue"; } >"$C"
refused "unknown root key" "$(line_of colour)" "unknown key 'colour'"
base | sed 's/^    start_at: beginning$/    start_at: beginning\n    follow: yes/' >"$C"
refused "unknown key in an input" "$(line_of follow)" "unknown key 'follow'"
{ base; echo "    compresss: true"; } >"$C"
refused "unknown key in an output" "$(line_of compresss)" "unknown key 'compresss'"
{ base; printf 'correlation:\n  mode: off\n  ebpf: true\n'; } >"$C"
refused "unknown key in correlation" "$(line_of ebpf)" "unknown key 'ebpf'"
base | sed 's/start_at: beginning/start_at: sideways/' >"$C"
refused "start_at: sideways" "$(line_of sideways)" "start_at.*end, beginning"
{ base; echo "max_line_bytes: lots"; } >"$C"
refused "max_line_bytes: lots" "$(line_of lots)" "max_line_bytes"
{ base; echo "max_line_bytes: 100"; } >"$C"
refused "max_line_bytes below 1024" "$(line_of 'max_line_bytes: 100')" "max_line_bytes"
{ base; echo "summary_interval_seconds: [1]"; } >"$C"
refused "summary_interval_seconds: a list" "$(line_of summary_interval)" "summary_interval_seconds"
{ base; printf 'correlation:\n  mode: maybe\n'; } >"$C"
refused "correlation.mode: maybe" "$(line_of maybe)" "off, auto, on, required"
base | sed 's/type: file/type: kafka/' >"$C"
refused "output type kafka" "$(line_of kafka)" "stdout, file"
{ base; echo "node: [a, b]"; } >"$C"
refused "node: a list" "$(line_of 'node:')" "'node' must be a string"
base | sed "s|path: $D/logs/audit.log|path: logs/audit.log|" >"$C"
refused "a relative input path" "$(line_of 'logs/audit.log')" "absolute"
{ base; echo "state_dir: /elsewhere"; } >"$C"
refused "a duplicated key" "$(grep -n 'state_dir: /elsewhere' "$C" | cut -d: -f1)" "duplicate key 'state_dir'"
base | sed '/^inputs:/,/start_at/d' >"$C"
refused "no inputs" 1 "needs 'inputs'"
base | sed '/^outputs:/,$d' >"$C"
refused "no outputs" 1 "needs 'outputs'"
base | sed '/^inputs:/,/start_at/d' | sed '1i inputs: []' >"$C"
refused "inputs: []" 1 "inputs must be a non-empty list"
printf 'inputs:\n\t- path: /a\n' >"$C"
cc tab
equal "YAML syntax error (a tab): exit 2" 2 "$(rc tab)"
check "YAML syntax error: the error names the file and a line" grep -qE -- "$C:[0-9]+:" "$D/tab.err"
rm -f "$C"
cc missing
equal "a missing configuration file: exit 2" 2 "$(rc missing)"
check "a missing configuration file: the error names it" grep -qF -- "$C" "$D/missing.err"
"$AGENT" check-config >/dev/null 2>"$D/noarg.err"
equal "check-config without --config: exit 2" 2 "$?"
# a glob is allowed in the file name only: run refuses one in the directory, so must check-config
base | sed "s|path: $D/logs/audit.log|path: $D/*/audit.log|" >"$C"
cc globdir
equal "a glob in the input's directory part: check-config exits 2 (run refuses it)" 2 "$(rc globdir)"

# --- run refuses the same configurations ---------------------------------------------------
# run_refused NAME ERE: run exits 2 at once, stderr matches ERE, no state directory
run_refused() {
	local name=$1 ere=$2 st
	rm -rf "$D/state"
	: >"$D/stderr"
	start_agent "$D"
	if wait_until 20 eval '! alive'; then
		wait "$AGENT_PID"
		st=$?
	else
		st="still running"
		stop_agent KILL >/dev/null
	fi
	equal "run, $name: exit 2" 2 "$st"
	if grep -qE -- "$ere" "$D/stderr"; then
		ok "run, $name: stderr says why"
	else
		not_ok "run, $name: stderr says why" "want: /$ere/" "got:  $(head -n 3 "$D/stderr")"
	fi
	check "run, $name: no state directory created" test ! -e "$D/state"
}
{ base; echo "colour: blue"; } >"$C"
run_refused "unknown key" "$C:$(line_of colour): unknown key 'colour'"
base | sed 's/start_at: beginning/start_at: sideways/' >"$C"
run_refused "start_at: sideways" "$C:$(line_of sideways): .*start_at"
base | sed '/^inputs:/,/start_at/d' >"$C"
run_refused "no inputs" "$C:1: .*needs 'inputs'"

# rules that do not load: run exits 2 naming the rule file and line
mkdir -p "$D/rules"
cp -r "$ROOT/rules/." "$D/rules/"
cat >"$D/rules/zz_broken.yml" <<'EOF'
AnalysisType: rule
RuleID: Test.Broken
LogTypes: [Kubernetes.Audit]
Severity: Low
Detection:
  - KeyPath: verb
    Condition: Equals
    Value: delete
Colour: blue
EOF
base | sed "s|  - $ROOT/rules|  - $D/rules|" >"$C"
run_refused "a rule with an unknown key" "$D/rules/zz_broken.yml:9: unknown key 'Colour'"
cc badrules
equal "check-config, a rule with an unknown key: exit 2" 2 "$(rc badrules)"
check "check-config, a rule with an unknown key: names file:line" \
	grep -qF -- "$D/rules/zz_broken.yml:9:" "$D/badrules.err"
base | sed "s|  - $ROOT/rules|  - $D/no-such-rules|" >"$C"
run_refused "a rules path that does not exist" "$D/no-such-rules"
# correlation.mode required without the privileges eBPF needs is refused: see
# test_run_correlation.sh (as root here, the program loads)

check "no sanitizer report from check-config or run" clean "$D"/*.err "$D/stderr"
