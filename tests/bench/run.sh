#!/usr/bin/env bash
# How fast the agent is and what it costs, as one table of figures measured in this run on this
# machine, each beside the limit measured with it (reading the file, grep -F for the literal):
#   eval     throughput (MB/s, events/s) and peak RSS on a native audit log of a busy cluster
#            (tests/bench/gen_audit.py: ~1 KB Metadata lines, 1 in 20 RequestResponse lines of
#            5-20 KB, BENCH_ANON_SHARE of them anonymous, default 0.001), with and without the
#            prefilter, at BENCH_SMALL and BENCH_LARGE events; and the worst case, every line
#            anonymous (every line decoded and matched).
#   run      the daemon's append-to-alert latency (p50/p99) for a writer appending anonymous
#            lines at BENCH_LAT_RATE/s (500) in BENCH_LAT_ROUNDS (3) rounds of BENCH_LAT_SECONDS
#            (10), each line carrying the time it was written (tests/bench/latency.py says what
#            the latency includes), to a file output and to an https output
#            (tests/integration/collector.py, batch max_delay_ms 20); its CPU time (from
#            /proc/PID/schedstat) following a log written at BENCH_CPU_RATE (2,000) events/s,
#            and idle, for BENCH_CPU_SECONDS (10) each.
# Medians of BENCH_RUNS runs (default 3). Nothing is asserted: the targets are printed beside
# the figures. KAA_BENCH_KEEP=1 keeps the work directory. Usage: tests/bench/run.sh AGENT
set -eu
AGENT=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/tests/bench
RUNS=${BENCH_RUNS:-3}
SMALL=${BENCH_SMALL:-200000}
LARGE=${BENCH_LARGE:-1000000}
ANON=${BENCH_ANON_SHARE:-0.001}
LAT_RATE=${BENCH_LAT_RATE:-500}
LAT_SECONDS=${BENCH_LAT_SECONDS:-10}
CPU_RATE=${BENCH_CPU_RATE:-2000}
CPU_SECONDS=${BENCH_CPU_SECONDS:-10}
SEED=${BENCH_SEED:-1}

for tool in python3 openssl; do
	command -v "$tool" >/dev/null || { echo "bench: SKIP: $tool is not installed (make deps)"; exit 0; }
done
[ -x /usr/bin/time ] || { echo "bench: SKIP: /usr/bin/time is not installed (apt-get install time)"; exit 0; }

W=$(mktemp -d /tmp/kaa-bench.XXXXXX)
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KAA_BENCH_KEEP:-}" ] && { echo "bench: kept $W"; return; }
	rm -rf "$W"
}
trap cleanup EXIT
say() { echo "bench: $*" >&2; }

# ---- the inputs ---------------------------------------------------------------------------
gen() { # NAME EVENTS [ARGS...]
	local name=$1 n=$2
	shift 2
	python3 "$B/gen_audit.py" --events "$n" --seed "$SEED" --anon-share "$ANON" "$@" \
		>"$W/$name.log" 2>"$W/$name.gen"
}
say "generating $SMALL and $LARGE events (seed $SEED, anonymous share $ANON) and $SMALL anonymous ones"
gen small "$SMALL"
gen large "$LARGE"
gen anon "$SMALL" --all-anonymous
bytes() { stat -c %s "$W/$1.log"; }

# ---- one-shot commands: medians over RUNS ---------------------------------------------------
# measure KEY CMD...: RUNS runs under /usr/bin/time; sets WALL[KEY] CPU[KEY] (user + system)
# medians in seconds and RSS[KEY] (the largest, KiB). Standard output goes to $TO, a file by
# default: GNU grep stops at the first match when its output is /dev/null.
TO=$W/stdout
declare -A WALL CPU RSS
median() { sort -g | awk '{ v[NR] = $1 + 0 } END { printf "%.6f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
measure() {
	local key=$1 i
	shift
	: >"$W/t.$key"
	for ((i = 0; i < RUNS; i++)); do
		local t0 t1
		t0=$(date +%s%N)
		/usr/bin/time -f '%U %S %M' -o "$W/t.$key.$i" "$@" >"$TO" 2>"$W/err.$key" ||
			{ say "$key failed: $(tail -n 2 "$W/err.$key")"; exit 1; }
		t1=$(date +%s%N)
		echo "$(((t1 - t0) / 1000))e-6 $(tail -n 1 "$W/t.$key.$i")" >>"$W/t.$key"
	done
	WALL[$key]=$(awk '{ print $1 }' "$W/t.$key" | median)
	CPU[$key]=$(awk '{ print $2 + $3 }' "$W/t.$key" | median)
	RSS[$key]=$(awk '{ print $4 }' "$W/t.$key" | sort -n | tail -n 1)
}
for f in small large anon; do cat "$W/$f.log" >/dev/null; done # page cache: every run reads from memory
for f in small large; do
	say "measuring $f: cat, grep -F, eval, eval --no-prefilter"
	TO=/dev/null measure "cat.$f" cat "$W/$f.log"
	measure "grep.$f" grep -c -F system:anonymous "$W/$f.log"
	measure "eval.$f" "$AGENT" eval "$W/$f.log"
	measure "nopf.$f" "$AGENT" eval --no-prefilter "$W/$f.log"
done
say "measuring the worst case: every line anonymous"
measure "grep.anon" grep -c -F system:anonymous "$W/anon.log"
measure "eval.anon" "$AGENT" eval "$W/anon.log"
tail -n 1 "$W/err.eval.small" >"$W/summary.small"
tail -n 1 "$W/err.eval.anon" >"$W/summary.anon"

# ---- the daemon -----------------------------------------------------------------------------
# daemon NAME OUTPUT_YAML: start `run` on an empty log (start_at end) with that output; sets
# DPID and D (its directory)
daemon() {
	D=$W/$1
	mkdir -p "$D/logs" "$D/out"
	: >"$D/logs/audit.log"
	cat >"$D/agent.yaml" <<YAML
cluster: bench
node: bench-node
state_dir: $D/state
rules: [$ROOT/rules]
inputs:
  - path: $D/logs/audit.log
    start_at: end
outputs:
$2
summary_interval_seconds: 3600
YAML
	"$AGENT" run --config "$D/agent.yaml" 2>"$D/stderr" &
	DPID=$!
	PIDS="$PIDS $DPID"
	local i
	for ((i = 0; i < 200; i++)); do grep -qs following "$D/stderr" && return 0; sleep 0.05; done
	say "the daemon did not start: $(tail -n 3 "$D/stderr")"
	exit 1
}
stop_daemon() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null || true; }
json() { python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$1"; }
nlat=$(python3 -c "print(int($LAT_RATE * $LAT_SECONDS))")

# Latency: LAT_ROUNDS rounds of LAT_SECONDS each on one daemon; the table gives the median
# round's p50 and p99 and the largest latency seen.
LAT_ROUNDS=${BENCH_LAT_ROUNDS:-3}
lat_summary() { # FILES...: {"p50_ms": median, "p99_ms": median, "max_ms": max, "n": sum}
	python3 -c '
import json, statistics, sys
rs = [json.load(open(f)) for f in sys.argv[1:]]
ok = [r for r in rs if r.get("n")]
med = lambda k: statistics.median(r[k] for r in ok) if ok else None
print(json.dumps({"p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"),
                  "max_ms": max((r["max_ms"] for r in ok), default=None),
                  "n": sum(r.get("n") or 0 for r in rs)}))' "$@"
}

say "daemon latency, file output: $LAT_ROUNDS x $LAT_RATE anonymous lines/s for $LAT_SECONDS s"
daemon lat-file "  - type: file
    path: $W/lat-file/out/alerts.jsonl"
for ((r = 0; r < LAT_ROUNDS; r++)); do
	python3 "$B/latency.py" watch "$D/out/alerts.jsonl" --expect "$nlat" \
		--timeout "$((LAT_SECONDS + 15))" >"$W/lat.file.$r" &
	watcher=$!
	sleep 0.5
	python3 "$B/latency.py" write "$D/logs/audit.log" --rate "$LAT_RATE" --seconds "$LAT_SECONDS" >/dev/null
	wait "$watcher"
done
stop_daemon
lat_summary "$W"/lat.file.* >"$W/lat.file"

say "daemon latency, https output (collector.py, batch max_delay_ms 20)"
mkdir -p "$W/pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=kaa-bench -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$W/pki/key.pem" -out "$W/pki/cert.pem" >/dev/null 2>&1
python3 "$ROOT/tests/integration/collector.py" --cert "$W/pki/cert.pem" --key "$W/pki/key.pem" \
	--log "$W/collector.jsonl" >"$W/collector.port" 2>"$W/collector.err" &
PIDS="$PIDS $!"
for ((i = 0; i < 200; i++)); do [ -s "$W/collector.port" ] && break; sleep 0.05; done
port=$(head -n 1 "$W/collector.port")
daemon lat-https "  - type: https
    url: https://127.0.0.1:$port/kube-audit
    format: json
    ca_file: $W/pki/cert.pem
    batch: {max_events: 500, max_bytes: 1048576, max_delay_ms: 20}"
for ((r = 0; r < LAT_ROUNDS; r++)); do
	sleep 0.5
	skip=$(wc -l <"$W/collector.jsonl")
	python3 "$B/latency.py" write "$D/logs/audit.log" --rate "$LAT_RATE" --seconds "$LAT_SECONDS" >/dev/null
	for ((i = 0; i < 100; i++)); do
		python3 "$B/latency.py" collector "$W/collector.jsonl" --skip "$skip" >"$W/lat.https.$r"
		[ "$(json n <"$W/lat.https.$r")" -ge "$nlat" ] && break
		sleep 0.1
	done
done
stop_daemon
lat_summary "$W"/lat.https.* >"$W/lat.https"

say "daemon CPU: idle for $CPU_SECONDS s, then following $CPU_RATE events/s for $CPU_SECONDS s"
daemon cpu "  - type: file
    path: $W/cpu/out/alerts.jsonl"
sleep 1
python3 "$B/latency.py" cpu "$DPID" "$CPU_SECONDS" >"$W/cpu.idle"
python3 "$B/latency.py" cpu "$DPID" "$CPU_SECONDS" >"$W/cpu.busy" &
cpuw=$!
python3 "$B/latency.py" replay "$D/logs/audit.log" --from "$W/small.log" --rate "$CPU_RATE" \
	--seconds "$CPU_SECONDS" >/dev/null
wait "$cpuw"
busy_lines=$(wc -l <"$D/logs/audit.log")
stop_daemon

# ---- the table ------------------------------------------------------------------------------
calc() { python3 -c "print($1)"; }
fmt() { python3 -c "v = $1; print('%.${2:-1}f' % v)"; }
mb() { fmt "$(bytes "$1") / 1e6 / ${WALL[$2]}" 0; }
evs() { fmt "$3 / ${WALL[$2]}" 0; }
row() { printf '| %s | %s | %s | %s |\n' "$@"; }
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)

echo
echo "## kube-audit-agent benchmark ($(date -u +%Y-%m-%d))"
echo
echo "Machine: $(nproc) CPUs, $cpu_model, $mem RAM, Linux $(uname -r); $("$AGENT" version 2>/dev/null | head -n 1)."
echo "Inputs: native audit logs from tests/bench/gen_audit.py (seed $SEED): $SMALL events"
echo "($(fmt "$(bytes small) / 1e6" 0) MB) and $LARGE events ($(fmt "$(bytes large) / 1e6" 0) MB), $(calc "$ANON * 100")% anonymous; $SMALL anonymous events"
echo "($(fmt "$(bytes anon) / 1e6" 0) MB). Files in the page cache; wall-clock medians of $RUNS runs; \"CPU\" is user + system."
echo "Latency: the median over $LAT_ROUNDS rounds of each round's p50 and p99, and the largest seen."
echo
row "measure" "result" "ratio to the limit (same run)" "target"
row "---" "---" "---" "---"
for f in small large; do
	n=$SMALL
	[ $f = large ] && n=$LARGE
	row "limit: \`cat > /dev/null\`, $n events" "$(mb $f cat.$f) MB/s" "" ""
	row "limit: \`grep -c -F system:anonymous\`, $n events" "$(mb $f grep.$f) MB/s ($(evs $f grep.$f $n) events/s)" "" ""
	row "**eval**, $n events" "$(mb $f eval.$f) MB/s, $(evs $f eval.$f $n) events/s, peak RSS $(fmt "${RSS[eval.$f]} / 1024" 1) MiB" \
		"$(fmt "${WALL[grep.$f]} / ${WALL[eval.$f]}" 2) x grep, $(fmt "${WALL[cat.$f]} / ${WALL[eval.$f]}" 2) x cat" \
		"$([ $f = large ] && echo '>= 0.5 x grep; RSS < 32 MiB' || echo '>= 0.5 x grep')"
	row "eval --no-prefilter, $n events" "$(mb $f nopf.$f) MB/s, $(evs $f nopf.$f $n) events/s, peak RSS $(fmt "${RSS[nopf.$f]} / 1024" 1) MiB" \
		"$(fmt "${WALL[grep.$f]} / ${WALL[nopf.$f]}" 2) x grep; prefilter speed-up $(fmt "${WALL[nopf.$f]} / ${WALL[eval.$f]}" 1) x" ""
done
row "**eval, every line anonymous**, $SMALL events" \
	"$(evs anon eval.anon "$SMALL") events/s ($(fmt "$SMALL / ${CPU[eval.anon]}" 0) per CPU-second), $(mb anon eval.anon) MB/s" \
	"$(fmt "${WALL[grep.anon]} / ${WALL[eval.anon]}" 2) x grep" ">= 150,000 events/s on one core"
row "**run: append to alert, file output** ($LAT_RATE lines/s, $LAT_ROUNDS x $LAT_SECONDS s)" \
	"p50 $(json p50_ms <"$W/lat.file") ms, p99 $(json p99_ms <"$W/lat.file") ms, max $(json max_ms <"$W/lat.file") ms ($(json n <"$W/lat.file") of $((nlat * LAT_ROUNDS)) records)" "" "p99 < 50 ms"
row "**run: append to alert, https output** (collector.py, max_delay_ms 20, same load)" \
	"p50 $(json p50_ms <"$W/lat.https") ms, p99 $(json p99_ms <"$W/lat.https") ms, max $(json max_ms <"$W/lat.https") ms ($(json n <"$W/lat.https") of $((nlat * LAT_ROUNDS)) records)" "" "p99 < 100 ms"
row "**run: CPU, idle** ($CPU_SECONDS s)" "$(json pct_core <"$W/cpu.idle") % of a core ($(json cpu_s <"$W/cpu.idle") s)" "" "~0"
row "**run: CPU at $CPU_RATE events/s** ($CPU_SECONDS s, $busy_lines lines)" "$(json pct_core <"$W/cpu.busy") % of a core ($(json cpu_s <"$W/cpu.busy") s)" "" "< 2 % of a core"
echo
echo "eval summaries: $(cat "$W/summary.small")"
echo "                $(cat "$W/summary.anon")"
