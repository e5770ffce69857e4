#!/usr/bin/env bash
# Files the daemon writes and reads with root's power: the state (state_dir, state.json, the
# lock, spool segments and their ack file, dead letters) and alert files are created private
# (directories 0700, files 0600); a symbolic link planted where one of them goes is refused,
# never written through; as root, a configuration file, rules directory or rule file (or the
# state_dir) that is not root's alone (another owner, or writable by group or others) makes
# run exit 2 naming it, and check-config warn about it; test and eval, offline, do not check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
. "$(dirname "$0")/https.sh"

mode() { stat -c %a "$1" 2>/dev/null || echo missing; }

# --- modes of everything the agent creates -----------------------------------------------------
scenario files
L=$D/logs/audit.log
start_collector "$D" --plain --script 400,200
PKI=/nonexistent
hconfig "$D" json url="http://127.0.0.1:$PORT/ingest" ca="" more="allow_plain_http: true"
anon_batch "$L" F 1 3
start_agent "$D"
wait_until 20 test -s "$D/state/deadletter/siem.jsonl"
wait_until 20 records_ge "$OUT" 3
stop_agent TERM
equal "the run ends with exit 0" "exit 0" "$STOPPED"
got=""
for f in state state/state.json state/lock state/spool state/spool/siem state/spool/siem/ack \
	state/deadletter state/deadletter/siem.jsonl out/alerts.jsonl; do
	got+="$f=$(mode "$D/$f") "
done
equal "state_dir, the spool and dead-letter directories are 0700; state, lock, ack, dead letters and alerts 0600" \
	"state=700 state/state.json=600 state/lock=600 state/spool=700 state/spool/siem=700 state/spool/siem/ack=600 state/deadletter=700 state/deadletter/siem.jsonl=600 out/alerts.jsonl=600 " \
	"$got"
segs=$(find "$D/state/spool/siem" -name 'seg-*.log' -printf '%m\n' | sort -u | tr '\n' ' ')
equal "spool segments are 0600" "600 " "$segs"
stop_collector

# --- a symbolic link where the agent writes is refused, its target untouched --------------------
# planted LINK_PATH WHAT: a fresh scenario whose LINK_PATH (relative to it, created before the
# start) is a link to a victim file; the agent must not write the victim
planted() {
	local rel=$1 what=$2
	scenario link
	mkconfig "$D"
	anon_event L-1 link-agent 2024-05-14T09:00:00.000000Z >"$D/logs/audit.log"
	printf 'victim\n' >"$D/victim"
	mkdir -p "$(dirname "$D/$rel")"
	ln -s "$D/victim" "$D/$rel"
	start_agent "$D"
	wait_until 10 bash -c "! kill -0 $AGENT_PID 2>/dev/null"
	stop_agent TERM
	equal "$what: the agent refuses to start (exit 2)" "exit 2" "$STOPPED"
	equal "$what: the link's target is untouched" "victim" "$(cat "$D/victim")"
	check "$what: the log names the link ($rel)" log_has "$D" "$(basename "$rel").*(symbolic links|Too many levels)"
}
planted state/state.json "state.json a symlink"
planted state/lock "the lock a symlink"
planted out/alerts.jsonl "the alert file a symlink"

scenario spoollink
start_collector "$D" --plain
hconfig "$D" json url="http://127.0.0.1:$PORT/ingest" ca="" more="allow_plain_http: true"
mkdir -p "$D/state/spool/siem"
chmod 700 "$D/state" "$D/state/spool" "$D/state/spool/siem"
printf 'victim\n' >"$D/victim"
ln -s "$D/victim" "$D/state/spool/siem/seg-0000000000000001.log"
start_agent "$D"
wait_until 10 bash -c "! kill -0 $AGENT_PID 2>/dev/null"
stop_agent TERM
equal "a spool segment a symlink: the agent refuses to start (exit 2)" "exit 2" "$STOPPED"
equal "a spool segment a symlink: the link's target is untouched" "victim" "$(cat "$D/victim")"
stop_collector

scenario deadlink
L=$D/logs/audit.log
start_collector "$D" --plain --script 400,200
hconfig "$D" json url="http://127.0.0.1:$PORT/ingest" ca="" more="allow_plain_http: true"
mkdir -p "$D/state/deadletter"
chmod 700 "$D/state" "$D/state/deadletter"
printf 'victim\n' >"$D/victim"
ln -s "$D/victim" "$D/state/deadletter/siem.jsonl"
anon_batch "$L" G 1 2
start_agent "$D"
wait_until 20 log_has "$D" "cannot open the dead-letter file"
stop_agent TERM
check "a dead-letter file a symlink: not opened, and the log says so" \
	log_has "$D" "cannot open the dead-letter file $D/state/deadletter/siem.jsonl: Too many levels"
equal "a dead-letter file a symlink: the link's target is untouched" "victim" "$(cat "$D/victim")"
stop_collector
check "no sanitizer report" clean "$D/stderr"

# --- as root: the configuration, rules and state_dir must be root's alone ----------------------
if [ "$(id -u)" != 0 ]; then
	skip "ownership and mode checks" "they apply when the agent runs as root; this is uid $(id -u)"
	exit 0
fi

# refused SETUP_CMD NAME WHAT_RE: in a fresh scenario (rules copied into DIR/rules), run SETUP_CMD
# (with D set), then run must exit 2 naming NAME (a path) with WHAT_RE
refused() {
	local setup=$1 name=$2 what=$3 label=$4
	scenario trust
	cp -r "$ROOT/rules" "$D/rules"
	mkconfig "$D" rules="$D/rules"
	eval "$setup"
	start_agent "$D"
	wait_until 10 bash -c "! kill -0 $AGENT_PID 2>/dev/null"
	stop_agent TERM
	equal "$label: run exits 2" "exit 2" "$STOPPED"
	check "$label: the log names $(basename "$name") and says why" \
		log_has "$D" "$(eval echo "$name"): refused: $what"
	cc "$D"
	equal "$label: check-config only warns (exit 0)" 0 "$CC_RC"
	check "$label: check-config's warning names it" \
		grep -qE "^check-config: warning: $(eval echo "$name"): $what" "$D/cc.err"
}
refused 'chmod g+w "$D/agent.yaml"' '$D/agent.yaml' "writable by its group \\(mode 0664\\)" \
	"configuration chmod g+w"
refused 'chmod o+w "$D/agent.yaml"' '$D/agent.yaml' "writable by everyone \\(mode 0646\\)" \
	"configuration chmod o+w"
refused 'chown 65534 "$D/agent.yaml"' '$D/agent.yaml' "owned by uid 65534, not root" \
	"configuration owned by nobody"
refused 'chmod g+w "$D/rules"' '$D/rules' "writable by its group \\(mode 0775\\)" \
	"rules directory chmod g+w"
refused 'chmod g+w "$D/rules/k8s_anonymous_api_access.yml"' '$D/rules/k8s_anonymous_api_access.yml' \
	"writable by its group \\(mode 0664\\)" "rule file chmod g+w"
refused 'chown 65534 "$D/rules/data_models/gcp_audit.yml"' '$D/rules/data_models/gcp_audit.yml' \
	"owned by uid 65534, not root" "data model in a subdirectory owned by nobody"

scenario trust-state
mkconfig "$D"
mkdir -p "$D/state" && chmod 0777 "$D/state"
start_agent "$D"
wait_until 10 bash -c "! kill -0 $AGENT_PID 2>/dev/null"
stop_agent TERM
equal "state_dir writable by everyone: run exits 2" "exit 2" "$STOPPED"
check "state_dir writable by everyone: the log names it" \
	log_has "$D" "state_dir $D/state: refused: writable by everyone \\(mode 0777\\)"

# a link to a root-owned file is followed: Kubernetes mounts a ConfigMap as links
scenario trust-link
mkconfig "$D"
mkdir "$D/cm" && mv "$D/agent.yaml" "$D/cm/agent.yaml" && ln -s "$D/cm/agent.yaml" "$D/agent.yaml"
cc "$D"
equal "a configuration reached through a symlink to a root-owned file is accepted" "0 " \
	"$CC_RC $(cat "$D/cc.err")"

# offline commands: a rule author's files are theirs
scenario trust-offline
cp -r "$ROOT/rules" "$D/rules"
chmod -R g+w "$D/rules" && chown -R 65534 "$D/rules"
"$AGENT" test "$D/rules" >"$D/test.out" 2>&1
equal "test on rules owned by someone else and group-writable: no check (exit 0)" 0 $?
printf '%s\n' "$(anon_event E-1 eval-agent 2024-05-14T09:00:00.000000Z)" >"$D/e.log"
"$AGENT" eval --rules "$D/rules" "$D/e.log" >"$D/eval.out" 2>&1
equal "eval on them: no check either (exit 0, one alert)" "0 1" "$? $(grep -c alert_id "$D/eval.out")"
