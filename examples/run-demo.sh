#!/usr/bin/env bash
# make run: the daemon on the bundled example while it is being written. A writer replays
# examples/audit.log into a scratch audit.log (about 25 lines a second) and rotates it once
# halfway, as kube-apiserver does (rename to audit-TIMESTAMP.log, create a new audit.log);
# the agent follows it and prints each alert record on stdout. Ctrl-C stops both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
agent=${AGENT:-$root/build/kube-audit-agent}
work=$(mktemp -d /tmp/kube-audit-agent-demo.XXXXXX)
mkdir -p "$work/log" "$work/state"

cat >"$work/agent.yaml" <<YAML
cluster: demo
node: $(hostname)
state_dir: $work/state
rules: [$root/rules]
inputs:
  - path: $work/log/audit.log
    start_at: beginning
outputs:
  - type: stdout
summary_interval_seconds: 10
YAML

writer() {
	local n=0 half
	half=$(($(wc -l <"$root/examples/audit.log") / 2))
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$work/log/audit.log"
		n=$((n + 1))
		if [ "$n" -eq "$half" ]; then
			mv "$work/log/audit.log" "$work/log/audit-$(date -u +%Y-%m-%dT%H-%M-%S.000).log"
			: >"$work/log/audit.log"
		fi
		sleep 0.04
	done <"$root/examples/audit.log"
	echo "demo: the whole example is written; the agent waits for more (Ctrl-C to stop)" >&2
}

writer &
writer_pid=$!
trap 'kill $writer_pid 2>/dev/null || true; rm -rf "$work"' EXIT
echo "demo: following $work/log/audit.log; alert records follow, the agent's log is on stderr" >&2
"$agent" run --config "$work/agent.yaml"
