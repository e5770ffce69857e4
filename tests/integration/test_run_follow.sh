#!/usr/bin/env bash
# `kube-audit-agent run` following audit logs: start_at, SIGTERM and an exact resume (also in
# the middle of a backlog), dedup windows across a restart, SIGHUP reloads (a broken rule or
# configuration refused, a new rule and a new cluster name applied), a directory that appears
# late, delete and recreate, copytruncate, an over-long line, an unreadable file (root), a full
# state directory (root) and an inotify queue overflow (root).
# Every scenario has its own directory; every wait is a bounded poll on a condition.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

is_root() { [ "$(id -u)" = 0 ]; }
reloads_ge() { [ "$(nlog "$1" "reload done")" -ge "$2" ]; }
# hook_wait_records OUT [BASE]: shell code for auditwriter's --before-rotate: wait (up to 20 s)
# until OUT has BASE + $AW_ANON records, i.e. the agent has alerted every anonymous line written
# so far
hook_wait_records() {
	echo "for i in \$(seq 400); do [ \$(cat '$1' 2>/dev/null | wc -l) -ge \$((AW_ANON + ${2:-0})) ] && break; sleep 0.05; done"
}
# hook_wait_log DIR ERE: shell code for --after-rotate: wait (up to 20 s) until DIR/stderr has
# $AW_ROTATION lines matching ERE
hook_wait_log() {
	echo "for i in \$(seq 400); do [ \$(grep -cE '$2' '$1/stderr') -ge \$AW_ROTATION ] && break; sleep 0.05; done"
}

# === start_at end, SIGTERM, exact resume ======================================================
scenario end
L=$D/logs/audit.log
anon_event E1 ua-e1 2024-05-14T09:00:01.000000Z >"$L"
e2=$(anon_event E2 ua-e2 2024-05-14T09:00:02.000000Z)
printf '%s' "${e2:0:100}" >>"$L" # kube-apiserver is in the middle of writing E2
e1_end=$(($(head -n 1 "$L" | wc -c)))
mkconfig "$D" start_at=end
start_agent "$D"
wait_until 20 log_has "$D" "following $L from byte"
equal "start_at end: the first start follows from the start of the line being written" \
	"following $L from byte $e1_end" "$(grep -oE "following $L from byte [0-9]+" "$D/stderr" | head -n 1)"
printf '%s\n' "${e2:100}" >>"$L"
anon_event E3 ua-e3 2024-05-14T09:00:03.000000Z >>"$L"
wait_until 20 has_id "$OUT" E3
equal "start_at end: lines older than the start are not alerted, newer ones are" "E2 E3" "$(ids_line "$OUT")"
jq_types=$(jq -r -s 'map(.type) | join(" ")' "$OUT" 2>&1)
equal "start_at end: two user agents, two alerts" "alert alert" "$jq_types"
equal "alert record fields" \
	'Kubernetes.API.AnonymousAccess|INFO|anonymous_access_ua-e3|1|test-cluster|test-node|true|true' \
	"$(field "$OUT" E3 '[.rule_id, .severity, .dedup, .event_count, .cluster, .node, (.alert_id | test("^[0-9a-f]{32}$")), (.source.file == "'"$L"'")] | map(tostring) | join("|")')"
equal "alert record: source.offset is the line's byte offset" "$(($(head -n 2 "$L" | wc -c)))" \
	"$(field "$OUT" E3 .source.offset)"
# a second agent on the same state directory is refused
timeout 20 "$AGENT" run --config "$D/agent.yaml" >/dev/null 2>"$D/second.err"
equal "a second agent with the same state_dir: exit 2" 2 "$?"
check "a second agent with the same state_dir: says another agent is running" \
	grep -q "another kube-audit-agent is running" "$D/second.err"
# E4 is half written when the agent stops
e4=$(anon_event E4 ua-e4 2024-05-14T09:00:04.000000Z)
whole=$(fsize "$L")
printf '%s' "${e4:0:80}" >>"$L"
stop_agent TERM
equal "SIGTERM: exit 0 within 5 s" "exit 0" "$STOPPED"
check "SIGTERM: state.json exists" test -s "$D/state/state.json"
equal "SIGTERM: the checkpoint is the end of the last whole line (not inside the half-written one)" \
	"$whole" "$(state_offset "$D" "$L")"
# the rest of E4 and more lines while it is down, then one after the restart
printf '%s\n' "${e4:80}" >>"$L"
other_event O5 2024-05-14T09:00:05.000000Z >>"$L"
ckpt=$(state_offset "$D" "$L")
start_agent "$D"
anon_event E6 ua-e6 2024-05-14T09:00:06.000000Z >>"$L"
wait_until 20 has_id "$OUT" E6
stop_agent TERM
equal "restart: exit 0" "exit 0" "$STOPPED"
equal "restart: resumes exactly (no old line again; E4, finished while down, and E6 alerted)" \
	"E2 E3 E4 E6" "$(ids_line "$OUT")"
check "restart: follows from the checkpoint" log_has "$D" "following $L from byte $ckpt\$"
check "no sanitizer report (start_at end, restart)" clean "$D/stderr"

# === SIGTERM in the middle of a backlog, restart: nothing lost, nothing repeated ==============
scenario backlog
L=$D/logs/audit.log
python3 "$WRITER" "$L" --lines 30000 --anon-share 0.05 --seed 41 --anon-ids "$D/anon.ids" >"$D/writer.json"
mkconfig "$D" start_at=beginning
start_agent "$D"
wait_until 20 records_ge "$OUT" 100
stop_agent TERM
n_at_stop=$(records "$OUT")
equal "SIGTERM during a backlog: exit 0 within 5 s" "exit 0" "$STOPPED"
if [ "$n_at_stop" -lt "$(wc -l <"$D/anon.ids")" ]; then
	ok "SIGTERM during a backlog: it stopped in the middle ($n_at_stop of $(wc -l <"$D/anon.ids") records)"
else
	skip "SIGTERM during a backlog: it stopped in the middle" "the whole backlog was read before SIGTERM arrived"
fi
start_agent "$D"
wait_alerted "$D/anon.ids" "$OUT"
stop_agent TERM
compare_ids "$D/anon.ids" "$OUT"
equal "SIGTERM during a backlog, restart: every line alerted exactly once (missing $MISSING, repeats $REPEATS)" \
	"0 0" "$MISSING $REPEATS"
check "no sanitizer report (backlog)" clean "$D/stderr"

# === start_at beginning; dedup windows survive a restart ======================================
scenario begin
L=$D/logs/audit.log
anon_event B1 dedup-agent/1.0 2024-05-14T09:00:00.000000Z >"$L"
anon_event B2 other-agent/2.0 2024-05-14T09:00:01.000000Z >>"$L"
mkconfig "$D" start_at=beginning
start_agent "$D"
wait_until 20 has_id "$OUT" B2
equal "start_at beginning: the existing lines are alerted" "B1 B2" "$(ids_line "$OUT")"
stop_agent TERM
equal "start_at beginning: SIGTERM exit 0" "exit 0" "$STOPPED"
start_agent "$D"
wait_until 20 log_has "$D" "restored [0-9]+ open dedup windows"
anon_event B3 dedup-agent/1.0 2024-05-14T09:10:00.000000Z >>"$L"
anon_event B4 dedup-agent/1.0 2024-05-14T10:05:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" B4
stop_agent TERM
check "restart: restores the 2 open dedup windows" log_has "$D" "restored 2 open dedup windows"
equal "dedup across a restart: same user agent 10 minutes later is an update of B1's alert" \
	"update $(field "$OUT" B1 .alert_id) 2" "$(field "$OUT" B3 '"\(.type) \(.alert_id) \(.event_count)"')"
b4=$(field "$OUT" B4 '"\(.type) \(.event_count)"')
equal "dedup: 65 minutes after the window opened, a new alert" "alert 1" "$b4"
check "dedup: the new window has a new alert_id" \
	test "$(field "$OUT" B4 .alert_id)" != "$(field "$OUT" B1 .alert_id)"
equal "start_at beginning + restart: every line once" "B1 B2 B3 B4" "$(ids_line "$OUT")"
check "no sanitizer report (dedup restart)" clean "$D/stderr"

# === SIGHUP: a broken rule is refused, a new valid rule applies =============================
scenario hup
L=$D/logs/audit.log
mkdir -p "$D/rules"
cp -r "$ROOT/rules/." "$D/rules/"
: >"$L"
mkconfig "$D" rules="$D/rules"
start_agent "$D"
anon_event H1 hup-agent/1 2024-05-14T09:00:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" H1
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
kill -HUP "$AGENT_PID"
wait_until 20 log_has "$D" "keeping the rules loaded before"
check "SIGHUP with a broken rule: the error names file:line and the key" \
	log_has "$D" "error +rules: $D/rules/zz_broken.yml:9: unknown key 'Colour'"
check "SIGHUP with a broken rule: the old rules are kept" log_has "$D" "keeping the rules loaded before"
check "SIGHUP with a broken rule: still running" alive
anon_event H2 hup-agent/2 2024-05-14T09:01:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" H2
equal "SIGHUP with a broken rule: the old rules still alert" "alert Kubernetes.API.AnonymousAccess" \
	"$(field "$OUT" H2 '"\(.type) \(.rule_id)"')"
rm -f "$D/rules/zz_broken.yml"
cat >"$D/rules/zz_admin_delete.yml" <<'EOF'
AnalysisType: rule
RuleID: Test.AdminDelete
DisplayName: Admin deleted something
Enabled: true
LogTypes: [Kubernetes.Audit]
Severity: High
Detection:
  - KeyPath: p_udm.username
    Condition: Equals
    Value: kubernetes-admin
  - KeyPath: verb
    Condition: Equals
    Value: delete
Tests:
  - Name: delete by admin
    ExpectedResult: true
    Log: {"user": {"username": "kubernetes-admin"}, "verb": "delete"}
  - Name: get by admin
    ExpectedResult: false
    Log: {"user": {"username": "kubernetes-admin"}, "verb": "get"}
EOF
kill -HUP "$AGENT_PID"
wait_until 20 log_has "$D" "reload done"
check "SIGHUP with a valid new rule: 2 rules loaded" log_has "$D" "loaded 2 rules \(2 enabled\)"
other_event N0 2024-05-14T09:02:00.000000Z kubernetes-admin get >>"$L"
other_event N1 2024-05-14T09:02:01.000000Z kubernetes-admin delete >>"$L"
anon_event H3 hup-agent/1 2024-05-14T09:03:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" H3
equal "SIGHUP with a valid new rule: it alerts" "alert Test.AdminDelete HIGH" \
	"$(field "$OUT" N1 '"\(.type) \(.rule_id) \(.severity)"')"
equal "SIGHUP: dedup windows survive a reload (same user agent: an update of H1's alert)" \
	"update $(field "$OUT" H1 .alert_id)" "$(field "$OUT" H3 '"\(.type) \(.alert_id)"')"
equal "SIGHUP: records in order, nothing else" "H1 H2 N1 H3" "$(ids_line "$OUT")"
# a broken configuration is refused; a changed cluster name applies
cp "$D/agent.yaml" "$D/agent.yaml.good"
echo "colour: blue" >>"$D/agent.yaml"
kill -HUP "$AGENT_PID"
wait_until 20 log_has "$D" "reload refused"
check "SIGHUP with a broken configuration: refused with file:line" \
	log_has "$D" "reload refused: $D/agent.yaml:[0-9]+: unknown key 'colour'"
sed 's/^cluster: test-cluster$/cluster: renamed-cluster/' "$D/agent.yaml.good" >"$D/agent.yaml"
kill -HUP "$AGENT_PID"
wait_until 20 reloads_ge "$D" 2
anon_event H4 hup-agent/4 2024-05-14T09:04:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" H4
equal "SIGHUP: the new cluster name is in new records" "renamed-cluster" "$(field "$OUT" H4 .cluster)"
stop_agent TERM
equal "SIGHUP scenario: SIGTERM exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (SIGHUP)" clean "$D/stderr"

# === a directory that appears after the start (and goes away and comes back) ================
scenario late
LD=$D/late/a/b
mkconfig "$D" input="$LD/audit.log" start_at=end
start_agent "$D"
wait_until 20 log_has "$D" "$LD does not exist yet"
check "late directory: the agent says it waits for it" log_has "$D" "$LD does not exist yet"
check "late directory: still running" alive
mkdir -p "$LD"
anon_event LATE1 late-agent 2024-05-14T09:00:00.000000Z >"$LD/audit.log"
wait_until 20 has_id "$OUT" LATE1
equal "late directory: a file created after the start is read from its beginning" "LATE1" "$(ids_line "$OUT")"
rm -rf "$D/late"
wait_until 20 log_has "$D" "$LD went away"
mkdir -p "$LD"
anon_event LATE2 late-agent-2 2024-05-14T09:01:00.000000Z >"$LD/audit.log"
wait_until 20 has_id "$OUT" LATE2
equal "late directory removed and made again: its new file is read" "LATE1 LATE2" "$(ids_line "$OUT")"
stop_agent TERM
equal "late directory: SIGTERM exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (late directory)" clean "$D/stderr"

# === delete and recreate audit.log (while the agent is stopped, so it cannot have read R2) ===
scenario delete
L=$D/logs/audit.log
anon_event R1 del-1 2024-05-14T09:00:00.000000Z >"$L"
mkconfig "$D"
start_agent "$D"
wait_until 20 has_id "$OUT" R1
kill -STOP "$AGENT_PID"
anon_event R2 del-2 2024-05-14T09:00:01.000000Z >>"$L"
rm -f "$L"
anon_event R3 del-3 2024-05-14T09:00:02.000000Z >"$L"
kill -CONT "$AGENT_PID"
wait_until 20 has_id "$OUT" R3
sleep 0.2 # a late duplicate would show up here
equal "delete + recreate: the deleted file's last line and the new file are alerted, once" \
	"R1 R2 R3" "$(ids_line "$OUT")"
# and again with auditwriter --delete-recreate (it waits for the agent before each delete)
python3 "$WRITER" "$L" --append --lines 600 --rotate-lines 150 --delete-recreate --anon-share 0.1 \
	--seed 21 --start 2024-05-14T09:01:00.000000Z --anon-ids "$D/anon.ids" \
	--before-rotate "$(hook_wait_records "$OUT" 3)" \
	>"$D/writer.json"
wait_alerted "$D/anon.ids" "$OUT"
compare_ids "$D/anon.ids" "$OUT"
equal "auditwriter --delete-recreate: every anonymous line alerted (missing $MISSING, repeats $REPEATS)" "0 0" "$MISSING $REPEATS"
stop_agent TERM
equal "delete + recreate: SIGTERM exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (delete + recreate)" clean "$D/stderr"

# === copytruncate ============================================================================
scenario copytrunc
L=$D/logs/audit.log
: >"$L"
mkconfig "$D"
start_agent "$D"
wait_until 20 log_has "$D" "following $L"
# the writer waits before each copy for the agent to be done with the file, and after the
# truncation for the agent to notice it
python3 "$WRITER" "$L" --lines 600 --rotate-lines 150 --copytruncate --anon-share 0.1 --seed 31 \
	--anon-ids "$D/anon.ids" --before-rotate "$(hook_wait_records "$OUT")" \
	--after-rotate "$(hook_wait_log "$D" 'was truncated')" >"$D/writer.json"
wait_alerted "$D/anon.ids" "$OUT"
compare_ids "$D/anon.ids" "$OUT"
equal "copytruncate: every anonymous line alerted once (missing $MISSING, repeats $REPEATS, extra $EXTRA)" \
	"0 0 0" "$MISSING $REPEATS $EXTRA"
equal "copytruncate: each of the 3 truncations logged" 3 "$(nlog "$D" "$L was truncated")"
# copytruncate while the agent is stopped (it lags behind when logrotate runs), and the file
# grows past the old read position before it looks again: every line after the truncation
# must still be alerted
kill -STOP "$AGENT_PID"
old_size=$(fsize "$L")
cp "$L" "$D/logs/audit.log.1"
truncate -s 0 "$L"
: >"$D/anon2.ids"
python3 "$WRITER" "$L" --append --lines 300 --anon-share 0.1 --seed 32 \
	--start 2024-05-14T10:00:00.000000Z --anon-ids "$D/anon2.ids" >"$D/writer2.json"
new_size=$(fsize "$L")
kill -CONT "$AGENT_PID"
wait_alerted "$D/anon2.ids" "$OUT"
compare_ids "$D/anon2.ids" "$OUT"
name="copytruncate while the agent was stopped, file regrown past the old offset ($old_size -> 0 -> $new_size bytes): all $(wc -l <"$D/anon2.ids") new anonymous lines alerted"
if [ "$MISSING" -eq 0 ]; then
	ok "$name"
else
	not_ok "$name" "missing $MISSING: $MISSING_SAMPLE" \
		"stderr: $(grep -vE 'following|truncated \(now 0 bytes' "$D/stderr" | grep -E 'warn|error' | head -n 3 | tr '\n' ' ')"
fi
stop_agent TERM
equal "copytruncate: SIGTERM exit 0" "exit 0" "$STOPPED"
check "no sanitizer report (copytruncate)" clean "$D/stderr"

# === a line longer than max_line_bytes ========================================================
scenario long
L=$D/logs/audit.log
pad=$(head -c 3000 /dev/zero | tr '\0' a)
other_event LO1 2024-05-14T09:00:00.000000Z >"$L"
off=$(fsize "$L")
anon_event LONG1 long-agent 2024-05-14T09:00:01.000000Z "/api/v1/secrets?pad=$pad" >>"$L"
len=$(($(fsize "$L") - off - 1))
anon_event LX2 after-long 2024-05-14T09:00:02.000000Z >>"$L"
mkconfig "$D" max_line=1024
start_agent "$D"
wait_until 20 has_id "$OUT" LX2
check "long line: logged with the file, its byte offset and its length" \
	log_has "$D" "$L: line at byte $off is $len bytes, longer than max_line_bytes \(1024\); skipped"
equal "long line: skipped, the next line alerted" "LX2" "$(ids_line "$OUT")"
# a long line that arrives in two pieces
off2=$(fsize "$L")
long2=$(anon_event LONG2 long-agent-2 2024-05-14T09:00:03.000000Z "/api/v1/secrets?pad=$pad")
printf '%s' "${long2:0:2000}" >>"$L"
sleep 0.3 # give the agent a chance to read the first piece (not needed for correctness)
printf '%s\n' "${long2:2000}" >>"$L"
anon_event LX3 after-long-2 2024-05-14T09:00:04.000000Z >>"$L"
wait_until 20 has_id "$OUT" LX3
check "long line in two pieces: logged with its offset and full length" \
	log_has "$D" "$L: line at byte $off2 is ${#long2} bytes, longer than max_line_bytes \(1024\); skipped"
equal "long line in two pieces: skipped, the next line alerted" "LX2 LX3" "$(ids_line "$OUT")"
stop_agent TERM
equal "long lines: SIGTERM exit 0" "exit 0" "$STOPPED"
equal "long lines: the checkpoint is the end of the file" "$(fsize "$L")" "$(state_offset "$D" "$L")"
check "no sanitizer report (long lines)" clean "$D/stderr"

# === an unreadable file (the agent runs as an unprivileged user) ==============================
if ! is_root; then
	skip "unreadable file" "needs root to run the agent as another user"
elif ! command -v setpriv >/dev/null; then
	skip "unreadable file" "setpriv is not installed (util-linux)"
else
	scenario unreadable
	L=$D/logs/audit.log
	mkdir -p "$D/state"
	chown 65534:65534 "$D/state" "$D/out"
	anon_event U1 unreadable-1 2024-05-14T09:00:00.000000Z >"$L"
	chmod 000 "$L"
	mkconfig "$D"
	start_agent "$D" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
	wait_until 20 log_has "$D" "cannot read $L"
	check "unreadable file: a clear error naming the file and the reason" \
		log_has "$D" "error +cannot read $L: Permission denied"
	check "unreadable file: still running" alive
	chmod 644 "$L"
	anon_event U2 unreadable-2 2024-05-14T09:00:01.000000Z >>"$L"
	wait_until 20 has_id "$OUT" U2
	equal "unreadable file made readable: its lines are alerted" "U1 U2" "$(ids_line "$OUT")"
	stop_agent TERM
	equal "unreadable file: SIGTERM exit 0" "exit 0" "$STOPPED"
	check "no sanitizer report (unreadable file)" clean "$D/stderr"
fi

# === a full state directory ===================================================================
if ! is_root; then
	skip "full state directory" "needs root to mount a small tmpfs"
else
	scenario fulldisk
	L=$D/logs/audit.log
	mkdir -p "$D/state"
	# mode 0700: a tmpfs is 1777 by default, and run refuses a state_dir others can write
	if ! mount -t tmpfs -o size=64k,mode=0700 kaa-test "$D/state" 2>"$D/mount.err"; then
		skip "full state directory" "mount -t tmpfs failed: $(head -n 1 "$D/mount.err")"
	else
		CLEANUP_CMDS+=("umount '$D/state'")
		anon_event F1 full-1 2024-05-14T09:00:00.000000Z >"$L"
		mkconfig "$D"
		start_agent "$D"
		wait_until 20 has_id "$OUT" F1
		size1=$(fsize "$L")
		wait_until 20 ckpt_is "$D" "$L" "$size1"
		equal "full disk: the first checkpoint is written" "$size1" "$(state_offset "$D" "$L")"
		dd if=/dev/zero of="$D/state/filler" bs=4096 count=64 2>/dev/null
		for i in 2 3 4 5; do anon_event "F$i" "full-$i" "2024-05-14T09:00:0$i.000000Z" >>"$L"; done
		wait_until 20 has_id "$OUT" F5
		equal "full state directory: alerts still reach the output" "F1 F2 F3 F4 F5" "$(ids_line "$OUT")"
		wait_until 20 log_has "$D" "cannot write the checkpoint"
		check "full state directory: a clear checkpoint error (No space left on device)" \
			log_has "$D" "error +cannot write the checkpoint: .*No space left on device"
		equal "full state directory: state.json is intact and its offset has not moved" \
			"$size1" "$(state_offset "$D" "$L")"
		check "full state directory: still running" alive
		rm -f "$D/state/filler"
		wait_until 20 ckpt_is "$D" "$L" "$(fsize "$L")"
		equal "space freed: the checkpoint advances to the end of the file" "$(fsize "$L")" "$(state_offset "$D" "$L")"
		check "space freed: logged" log_has "$D" "checkpoint written again"
		equal "full state directory: the checkpoint error is logged once, not per line" 1 \
			"$(nlog "$D" "cannot write the checkpoint")"
		stop_agent TERM
		equal "full state directory: SIGTERM exit 0" "exit 0" "$STOPPED"
		check "no sanitizer report (full state directory)" clean "$D/stderr"
	fi
fi

# === inotify queue overflow ===================================================================
QE=/proc/sys/fs/inotify/max_queued_events
if ! is_root; then
	skip "inotify queue overflow" "needs root to lower $QE"
elif ! old_qe=$(cat "$QE" 2>/dev/null) || ! echo 16 2>/dev/null >"$QE"; then
	skip "inotify queue overflow" "cannot write $QE"
else
	CLEANUP_CMDS+=("echo $old_qe >$QE")
	# two agents take the limit of 16 queued events for their inotify instance: one follows
	# audit.log, the other a glob that also matches the backups (audit*.log)
	scenario overflow
	D1=$D L1=$D/logs/audit.log
	anon_event V0 overflow-0 2024-05-14T09:00:00.000000Z >"$L1"
	mkconfig "$D1"
	OUT1=$OUT
	start_agent "$D1"
	P1=$AGENT_PID
	scenario overflow-glob
	D2=$D L2=$D/logs/audit.log
	anon_event G0 glob-0 2024-05-14T09:00:00.000000Z >"$L2"
	mkconfig "$D2" input="$D2/logs/audit*.log"
	OUT2=$OUT
	start_agent "$D2"
	P2=$AGENT_PID
	wait_until 20 has_id "$OUT1" V0
	wait_until 20 has_id "$OUT2" G0
	echo "$old_qe" >"$QE"

	# burst DIR PID PREFIX ROUND: while the agent is stopped, an anonymous line, 40 files
	# created and renamed, a lumberjack rotation, two anonymous lines in the new audit.log
	burst() {
		local d=$1 pid=$2 x=$3 round=$4 i
		kill -STOP "$pid"
		anon_event "$x${round}a" "$x-${round}a" "2024-05-14T09:0$round:01.000000Z" >>"$d/logs/audit.log"
		for i in $(seq 40); do
			: >"$d/logs/junk-$round-$i"
			mv "$d/logs/junk-$round-$i" "$d/logs/junk-$round-$i.old"
		done
		mv "$d/logs/audit.log" "$d/logs/audit-2024-05-14T09-0$round-02.000.log"
		anon_event "$x${round}b" "$x-${round}b" "2024-05-14T09:0$round:03.000000Z" >"$d/logs/audit.log"
		anon_event "$x${round}c" "$x-${round}c" "2024-05-14T09:0$round:04.000000Z" >>"$d/logs/audit.log"
		kill -CONT "$pid"
	}
	for round in 1 2; do
		burst "$D1" "$P1" V "$round"
		burst "$D2" "$P2" G "$round"
		wait_until 20 has_id "$OUT1" "V${round}c"
		wait_until 20 has_id "$OUT2" "G${round}c"
		wait_until 5 has_id "$OUT1" "V${round}a"
		wait_until 5 has_id "$OUT2" "G${round}a"
	done
	sleep 0.3 # a late duplicate would show up here
	check "inotify overflow: logged" log_has "$D1" "inotify queue overflowed"
	equal "inotify overflow (twice): every anonymous line alerted once, in order" \
		"V0 V1a V1b V1c V2a V2b V2c" "$(ids_line "$OUT1")"
	check "inotify overflow, glob input: logged" log_has "$D2" "inotify queue overflowed"
	equal "inotify overflow (twice), glob input matching the backups: every line once (a rescan must not read a finished backup again)" \
		"G0 G1a G1b G1c G2a G2b G2c" "$(ids_line "$OUT2")"
	for AGENT_PID in $P1 $P2; do
		stop_agent TERM
		equal "inotify overflow: SIGTERM exit 0 (agent $AGENT_PID)" "exit 0" "$STOPPED"
	done
	check "no sanitizer report (inotify overflow)" clean "$D1/stderr" "$D2/stderr"
fi
