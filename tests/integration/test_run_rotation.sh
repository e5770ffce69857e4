#!/usr/bin/env bash
# `kube-audit-agent run` while kube-apiserver writes fast and rotates its log the way lumberjack
# does (tests/integration/auditwriter.py): every anonymous request is alerted exactly once,
# with plain backups, with gzip-compressed backups and a backup limit, and after a restart
# with the backups still there. Repeats (an auditID in more than one record) are counted in the
# check names; without a crash there must be none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

# rotation_run NAME INPUT WRITER_ARGS...: a fresh scenario, the agent running while the writer
# writes 20000 lines (5% anonymous, 2% kube-probe health checks) as fast as it can; then the
# checks, a restart with one more anonymous line, and the checks again. With PAUSE=1 the agent
# is stopped (SIGSTOP) while the writer runs: it falls behind by every rotation.
PAUSE=0
rotation_run() {
	local name=$1 input=$2 st
	shift 2
	scenario "rot-$name"
	local L=$D/logs/audit.log
	mkconfig "$D" input="$D/logs/$input"
	: >"$L"
	start_agent "$D"
	wait_until 20 log_has "$D" "watching $D/logs"
	wait_until 20 log_has "$D" "following $L"
	[ "$PAUSE" = 1 ] && kill -STOP "$AGENT_PID"
	python3 "$WRITER" "$L" --lines 20000 --anon-share 0.05 --probe-share 0.02 --seed 7 \
		--anon-ids "$D/anon.ids" "$@" >"$D/writer.json" 2>"$D/writer.err"
	[ "$PAUSE" = 1 ] && kill -CONT "$AGENT_PID"
	local nanon rot
	nanon=$(wc -l <"$D/anon.ids")
	rot=$(jq -r .rotations "$D/writer.json" 2>/dev/null)
	check "$name: auditwriter ran ($rot rotations, $nanon anonymous lines)" \
		test -s "$D/writer.json" -a "${rot:-0}" -ge 9 -a ! -s "$D/writer.err"
	wait_alerted "$D/anon.ids" "$OUT"
	compare_ids "$D/anon.ids" "$OUT"
	if [ "$MISSING" -eq 0 ]; then
		ok "$name: every anonymous auditID alerted ($nanon; $REPEATS repeats)"
	else
		not_ok "$name: every anonymous auditID alerted ($nanon; $REPEATS repeats)" \
			"missing $MISSING: $MISSING_SAMPLE" "missing ones are in: $(where_missing "$D/logs")" \
			"stderr: $(grep -E ' (warn|error) ' "$D/stderr" | head -n 3 | tr '\n' ' ')"
	fi
	equal "$name: no auditID repeated ($REPEATS repeats)" 0 "$REPEATS"
	equal "$name: no record for anything but the anonymous requests" 0 "$EXTRA"
	equal "$name: one alert per user agent, the rest updates" \
		"$(jq -r -s '[.[].dedup] | unique | length' "$OUT")" \
		"$(jq -r -s '[.[] | select(.type == "alert")] | length' "$OUT")"
	check "$name: still running" alive
	stop_agent TERM
	equal "$name: SIGTERM exit 0" "exit 0" "$STOPPED"

	# a restart with the backups still there: nothing again, and a new line is alerted
	local before
	before=$(records "$OUT")
	start_agent "$D"
	anon_event SENTINEL-1 "sentinel/$name" 2024-05-14T10:00:00.000000Z >>"$L"
	wait_until 20 has_id "$OUT" SENTINEL-1
	sleep 0.2 # a late duplicate would show up here
	stop_agent TERM
	equal "$name: restart: SIGTERM exit 0" "exit 0" "$STOPPED"
	echo SENTINEL-1 >>"$D/anon.ids"
	compare_ids "$D/anon.ids" "$OUT"
	equal "$name: restart with the backups present: only the new line is alerted ($((REPEATS)) repeats)" \
		"$((before + 1)) 0 0" "$(records "$OUT") $MISSING $REPEATS"
	check "$name: no sanitizer report" clean "$D/stderr"
}

# lumberjack: rename to audit-TIMESTAMP.log, create a new audit.log, keep every backup
rotation_run lumberjack audit.log --rotate-lines 2000
# with compression (gzip the backup, delete the plain file at once) and at most 3 backups
rotation_run compress audit.log --rotate-bytes 1500000 --compress --max-backups 3
# a glob that matches the backups too (audit-*.log): they must not be read twice
rotation_run glob 'audit*.log' --rotate-lines 2000
# the agent falls behind by several rotations (it is paused while all 9 happen, plain backups
# are kept): the backups it never had open must still be read
PAUSE=1 rotation_run lagging audit.log --rotate-lines 2000
