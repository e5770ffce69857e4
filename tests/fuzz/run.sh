#!/usr/bin/env bash
# Run the libFuzzer harnesses: tests/fuzz/run.sh OUT SECONDS [TARGET...] (default: every
# OUT/fuzz/fuzz_* binary). For each target, first every committed regression input under
# tests/fuzz/regress/TARGET/ is replayed, then the fuzzer runs for SECONDS from its seeds
# (generated into OUT/fuzz/seeds/ by seeds.sh) and its working corpus OUT/fuzz/corpus/TARGET/,
# with bounded memory and input size. One line per target: "PASS TARGET: ..." or
# "FAIL TARGET: ..." (with the crashing input under OUT/fuzz/crashes/); exit 1 on any failure.
# SHARED (default ../shared) supplies the conformance corpus as seeds.
set -u
out=${1:?usage: run.sh OUT SECONDS [TARGET...]}
secs=${2:?usage: run.sh OUT SECONDS [TARGET...]}
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
fz=$root/$out/fuzz
[ "${out#/}" != "$out" ] && fz=$out/fuzz
SHARED=${SHARED:-$root/../shared}
RSS_MB=${FUZZ_RSS_MB:-2048}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for b in "$fz"/fuzz_*; do [ -x "$b" ] && targets+=("$(basename "$b")"); done
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "FAIL fuzz: no harness under $fz (make fuzz-build)"
	exit 1
fi

# the largest input worth trying per target, and the dictionary that helps it
max_len() {
	case $1 in
	fuzz_config) echo 16384 ;;
	fuzz_request) echo 12288 ;; # 32 events
	fuzz_goelf | fuzz_dwarf) echo 65536 ;;
	*) echo 65536 ;;
	esac
}
dict() {
	case $1 in
	fuzz_engine | fuzz_state) echo "$root/tests/fuzz/json.dict" ;;
	fuzz_rule | fuzz_config) echo "$root/tests/fuzz/yaml.dict" ;;
	esac
}

"$root/tests/fuzz/seeds.sh" "$fz/seeds" "$root" "$SHARED" >"$fz/seeds.log" 2>&1 ||
	echo "# seeds.sh failed (see $fz/seeds.log); fuzzing from what there is"
mkdir -p "$fz/crashes" "$fz/logs"
# the harnesses that read files write them to a scratch directory: on tmpfs, fsync is free
if [ -z "${FUZZ_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then FUZZ_TMPDIR=/dev/shm; fi
export TMPDIR=${FUZZ_TMPDIR:-${TMPDIR:-/tmp}}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
for t in "${targets[@]}"; do
	bin=$fz/$t
	log=$fz/logs/$t.log
	opts=(-rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" -max_len="$(max_len "$t")"
		-timeout=30 -artifact_prefix="$fz/crashes/$t-" -print_final_stats=1)
	d=$(dict "$t")
	[ -n "$d" ] && opts+=(-dict="$d")
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: $bin is missing (make fuzz-build)"
		failed=1
		continue
	fi
	# 1. the regression inputs: each once, all must pass
	reg=("$root"/tests/fuzz/regress/"$t"/*)
	nreg=0
	if [ -e "${reg[0]}" ]; then
		nreg=${#reg[@]}
		if ! "$bin" "${opts[@]}" "${reg[@]}" >"$log" 2>&1; then
			echo "FAIL $t: a regression input crashes again ($(grep -m1 -E 'ERROR|runtime error|fuzz_' "$log")); see $log"
			failed=1
			continue
		fi
	fi
	# 2. fuzz for the given time
	mkdir -p "$fz/corpus/$t" "$fz/seeds/$t"
	start=$SECONDS
	"$bin" "${opts[@]}" -max_total_time="$secs" "$fz/corpus/$t" "$fz/seeds/$t" >>"$log" 2>&1
	status=$?
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -nE 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, ft \2, corpus \3/p')
	if [ $status -ne 0 ]; then
		art=$(sed -nE 's/.*(Test unit written to|artifact_prefix.*) ?(\/[^ ]+).*/\2/p' "$log" | tail -n 1)
		why=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz_[a-z]+: ' "$log")
		echo "FAIL $t: exit $status after $((SECONDS - start)) s: ${why:-see $log}; input: ${art:-see $log}"
		failed=1
	else
		echo "PASS $t: ${runs:-?} executions in $((SECONDS - start)) s ($cov), $nreg regression inputs, no crash"
	fi
done
exit $failed
