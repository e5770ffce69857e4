#!/usr/bin/env bash
# `kube-audit-agent run` killed with SIGKILL again and again while kube-apiserver writes and
# rotates its log (tests/integration/auditwriter.py), restarted each time: at-least-once
# delivery means every anonymous request is alerted at least once in the end. Repeats are
# allowed (lines after the last checkpoint are read again) and counted in the check name; a
# missing auditID fails. The kill points are pseudo-random with a fixed seed, 50-400 ms apart,
# and some are right before or right after a rotation (auditwriter's rotation hooks).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

# crash_run NAME SEED WRITER_ARGS...: with HOLD=1, the agent is also killed just before
# rotation 9 and restarted only after rotation 10 (down across two rotations)
HOLD=0
crash_run() {
	local name=$1 seed=$2
	shift 2
	scenario "crash-$name"
	local L=$D/logs/audit.log wpid kills=0 hook_kills=0 restarts=0 i ms st
	: >"$L"
	mkconfig "$D"
	start_agent "$D"
	echo "$AGENT_PID" >"$D/agent.pid"
	wait_until 20 log_has "$D" "following $L"
	# rotations 2 and 6: killed just before the rename; 4 and 8: just after the new audit.log
	local kill_hook="p=\$(cat '$D/agent.pid'); grep -q kube-audit-agent /proc/\$p/cmdline 2>/dev/null && kill -KILL \$p"
	python3 "$WRITER" "$L" --lines 12000 --rate 4000 --rotate-lines 1000 --anon-share 0.05 \
		--probe-share 0.02 --seed "$seed" --anon-ids "$D/anon.ids" \
		--before-rotate "case \$AW_ROTATION in 2|6) $kill_hook ;; 9) [ $HOLD = 1 ] && touch '$D/hold' && $kill_hook ;; esac" \
		--after-rotate "case \$AW_ROTATION in 4|8) $kill_hook ;; 10) rm -f '$D/hold' ;; esac" \
		"$@" >"$D/writer.json" 2>"$D/writer.err" &
	wpid=$!
	RANDOM=$seed
	exec 3>&2 2>>"$D/jobs.err" # bash's "Killed" notices for the agents killed here
	# restart: start the agent again (after the writer's hold, if any, is released)
	restart() {
		wait_until 20 test ! -e "$D/hold"
		start_agent "$D"
		echo "$AGENT_PID" >"$D/agent.pid"
		restarts=$((restarts + 1))
	}
	# restart_if_dead: the writer's hook may have killed the agent
	restart_if_dead() {
		if ! alive; then
			wait "$AGENT_PID" 2>/dev/null
			hook_kills=$((hook_kills + 1))
			restart
		fi
	}
	while [ "$kills" -lt 8 ]; do
		ms=$((50 + RANDOM % 351))
		for ((i = 0; i < ms / 10; i++)); do
			sleep 0.01
			restart_if_dead
		done
		kill -KILL "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
		kills=$((kills + 1))
		restart
	done
	# the writer may still run: keep the agent up through its remaining hook kills
	while kill -0 "$wpid" 2>/dev/null; do
		sleep 0.01
		restart_if_dead
	done
	wait "$wpid"
	st=$?
	restart_if_dead
	exec 2>&3 3>&-
	local nanon rot
	nanon=$(wc -l <"$D/anon.ids")
	rot=$(jq -r .rotations "$D/writer.json" 2>/dev/null)
	check "$name: auditwriter ran ($rot rotations, $nanon anonymous lines, exit $st)" \
		test "$st" = 0 -a "${rot:-0}" -ge 11 -a ! -s "$D/writer.err"
	wait_alerted "$D/anon.ids" "$OUT"
	sleep 0.5 # let a catching-up agent finish before the final count
	stop_agent TERM
	equal "$name: the last agent stops on SIGTERM with exit 0" "exit 0" "$STOPPED"
	compare_ids "$D/anon.ids" "$OUT"
	local what="$name: $kills SIGKILLs + $hook_kills at rotations, $restarts restarts: every anonymous auditID alerted at least once ($nanon; $REPEATS repeats)"
	if [ "$MISSING" -eq 0 ]; then
		ok "$what"
	else
		not_ok "$what" "missing $MISSING: $MISSING_SAMPLE" "missing ones are in: $(where_missing "$D/logs")" \
			"stderr: $(grep -E ' (warn|error) ' "$D/stderr" | grep -v 'was renamed' | head -n 3 | tr '\n' ' ')"
	fi
	equal "$name: no record for anything but the anonymous requests" 0 "$EXTRA"
	equal "$name: every output line is a whole JSON record (none torn by a kill)" 0 "$(bad_lines "$OUT")"
	check "$name: no sanitizer report" clean "$D/stderr"
}

crash_run plain 4242
crash_run compress 4343 --compress
# down while the log rotates twice: the backup in between was never open, and must be read too
HOLD=1 crash_run down-across-two-rotations 4444
HOLD=1 crash_run down-across-two-rotations-compress 4545 --compress
