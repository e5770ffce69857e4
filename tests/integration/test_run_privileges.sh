#!/usr/bin/env bash
# Least privilege: run as root, the daemon keeps after start-up only the capabilities the rest of
# the run uses: with correlation off only CAP_DAC_READ_SEARCH (and it still reads an audit log
# owned by another user, mode 0600); with the eBPF correlation loaded also CAP_SYS_PTRACE,
# CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN. The bounding, inheritable and ambient sets are empty,
# no_new_privs is set, and one log line says what remains and why. Started as the packaged
# systemd unit starts it (a system user with the five capabilities as ambient capabilities and a
# bounding set of those five), it keeps the same ones, and reads a root-only audit log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

if [ "$(id -u)" != 0 ]; then
	skip "capabilities after start-up" "needs root (this is uid $(id -u))"
	exit 0
fi
status_of() { sed -nE "s/^$2:[[:space:]]+//p" "/proc/$1/status"; }
# mask N...: the capability bits N as /proc/PID/status prints them
mask() { local m=0 b; for b in "$@"; do m=$((m | (1 << b))); done; printf '%016x' "$m"; }
CAP_DAC_READ_SEARCH=2 CAP_SETPCAP=8 CAP_SYS_PTRACE=19 CAP_SYS_ADMIN=21 CAP_PERFMON=38 CAP_BPF=39
if [ $(((16#$(status_of $$ CapEff) >> CAP_SETPCAP) & 1)) -eq 0 ]; then
	skip "capabilities after start-up" "this root has no CAP_SETPCAP (a restricted container)"
	exit 0
fi

# started DIR: the agent logged its privileges line (it is past start-up)
started() { log_has "$1" "privileges: " && log_has "$1" "following .*audit.log"; }

# --- correlation off -----------------------------------------------------------------------------
scenario privs-off
L=$D/logs/audit.log
mkconfig "$D"
anon_event P-1 privs-agent-1 2024-05-14T09:00:00.000000Z >"$L"
chown 65534:65534 "$L" && chmod 0600 "$L"
start_agent "$D"
wait_until 20 started "$D"
p=$AGENT_PID
equal "correlation off: CapEff is CAP_DAC_READ_SEARCH alone" "$(mask $CAP_DAC_READ_SEARCH)" \
	"$(status_of "$p" CapEff)"
equal "correlation off: CapPrm is CAP_DAC_READ_SEARCH alone" "$(mask $CAP_DAC_READ_SEARCH)" \
	"$(status_of "$p" CapPrm)"
equal "correlation off: bounding, inheritable and ambient sets are empty" \
	"0000000000000000 0000000000000000 0000000000000000" \
	"$(status_of "$p" CapBnd) $(status_of "$p" CapInh) $(status_of "$p" CapAmb)"
equal "correlation off: no_new_privs is set" 1 "$(status_of "$p" NoNewPrivs)"
check "correlation off: one log line says what remains and why" log_has "$D" \
	"privileges: capabilities kept: CAP_DAC_READ_SEARCH \\(read audit logs, rules and tokens whoever owns them\\); all others dropped, bounding set emptied"
wait_until 20 has_id "$OUT" P-1
check "the audit log of another user (mode 0600) is still read: its event alerts" has_id "$OUT" P-1
anon_event P-2 privs-agent-2 2024-05-14T09:00:01.000000Z >>"$L"
wait_until 20 has_id "$OUT" P-2
check "a line appended later alerts too" has_id "$OUT" P-2
stop_agent TERM
equal "correlation off: SIGTERM: exit 0 (the checkpoint is written without CAP_DAC_OVERRIDE)" \
	"exit 0" "$STOPPED"
check "correlation off: no sanitizer report" clean "$D/stderr"

# --- correlation with eBPF -------------------------------------------------------------------------
scenario privs-auto
L=$D/logs/audit.log
mkconfig "$D"
sed -i 's/mode: off/mode: auto/' "$D/agent.yaml"
: >"$L"
start_agent "$D"
wait_until 20 started "$D"
p=$AGENT_PID
if log_has "$D" "correlation: following TCP connections" && log_has "$D" "httpprobe: "; then
	want=$(mask $CAP_DAC_READ_SEARCH $CAP_SYS_PTRACE $CAP_SYS_ADMIN $CAP_PERFMON $CAP_BPF)
	equal "correlation on: CapEff is DAC_READ_SEARCH, SYS_PTRACE, SYS_ADMIN, PERFMON, BPF" \
		"$want" "$(status_of "$p" CapEff)"
	equal "correlation on: CapPrm the same" "$want" "$(status_of "$p" CapPrm)"
	equal "correlation on: bounding, inheritable and ambient sets are empty" \
		"0000000000000000 0000000000000000 0000000000000000" \
		"$(status_of "$p" CapBnd) $(status_of "$p" CapInh) $(status_of "$p" CapAmb)"
	equal "correlation on: no_new_privs is set" 1 "$(status_of "$p" NoNewPrivs)"
	check "correlation on: the log line gives the reasons" log_has "$D" \
		"capabilities kept: CAP_DAC_READ_SEARCH \\(.*\\), CAP_SYS_PTRACE \\(read /proc/PID/exe of other users' processes\\), CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN \\(attach the uprobe again when the API server restarts\\)"
else
	skip "correlation on: capabilities" "eBPF correlation is not available here: $(errlines "$D" 'correlation|httpprobe' 1)"
fi
anon_event P-3 privs-agent-3 2024-05-14T09:00:00.000000Z >>"$L"
wait_until 20 has_id "$OUT" P-3
check "correlation on: alerts still arrive" has_id "$OUT" P-3
stop_agent TERM
equal "correlation on: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "correlation on: no sanitizer report" clean "$D/stderr"

# --- as the packaged unit runs it: a system user with ambient capabilities ------------------------
scenario privs-unit
if ! command -v setpriv >/dev/null; then
	skip "as the packaged unit runs it" "setpriv is not installed (util-linux)"
	exit 0
fi
L=$D/logs/audit.log
mkconfig "$D"
sed -i 's/mode: off/mode: auto/' "$D/agent.yaml"
mkdir -p "$D/state" "$D/out"
chown 65534:65534 "$D/state" "$D/out"
chmod 0700 "$D/state"
anon_event P-4 privs-agent-4 2024-05-14T09:00:00.000000Z >"$L"
chmod 0600 "$L" "$D/agent.yaml" # root's alone, as the package installs agent.yaml
caps=+dac_read_search,+bpf,+perfmon,+sys_admin,+sys_ptrace
# setpriv execs the agent, so AGENT_PID is the agent itself
start_agent "$D" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,$caps \
	--ambient-caps=-all,$caps --bounding-set=-all,$caps
wait_until 20 started "$D"
p=$AGENT_PID
if log_has "$D" "correlation: following TCP connections" && log_has "$D" "httpprobe: "; then
	want=$(mask $CAP_DAC_READ_SEARCH $CAP_SYS_PTRACE $CAP_SYS_ADMIN $CAP_PERFMON $CAP_BPF)
	equal "unit: CapEff is DAC_READ_SEARCH, SYS_PTRACE, SYS_ADMIN, PERFMON, BPF" "$want" \
		"$(status_of "$p" CapEff)"
	equal "unit: CapPrm the same" "$want" "$(status_of "$p" CapPrm)"
	equal "unit: inheritable and ambient sets are empty" \
		"0000000000000000 0000000000000000" "$(status_of "$p" CapInh) $(status_of "$p" CapAmb)"
	equal "unit: the bounding set stays the unit's (no CAP_SETPCAP to change it)" "$want" \
		"$(status_of "$p" CapBnd)"
	check "unit: the log line says the bounding set is unchanged" log_has "$D" \
		"all others dropped, bounding set unchanged \\(no CAP_SETPCAP\\)"
else
	skip "unit: capabilities" "eBPF correlation is not available here: $(errlines "$D" 'correlation|httpprobe' 1)"
fi
equal "unit: no_new_privs is set" 1 "$(status_of "$p" NoNewPrivs)"
wait_until 20 has_id "$OUT" P-4
check "unit: a root-only audit log (mode 0600) is read: its event alerts" has_id "$OUT" P-4
anon_event P-5 privs-agent-5 2024-05-14T09:00:01.000000Z >>"$L"
wait_until 20 has_id "$OUT" P-5
check "unit: a line appended later alerts too" has_id "$OUT" P-5
stop_agent TERM
equal "unit: SIGTERM: exit 0" "exit 0" "$STOPPED"
check "unit: no sanitizer report" clean "$D/stderr"
