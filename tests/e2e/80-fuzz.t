#!/bin/bash
# Every libFuzzer harness (ASan+UBSan) replays its regression inputs (the
# crashes fuzzing found, kept in tests/fuzz/regress/NAME) and then fuzzes
# from its seed corpus for a few seconds.  `make fuzz` runs them longer.
# Two harnesses run at a time; the results are reported in order.
. "$(dirname "$0")/lib.sh"
valgrind_skip "libFuzzer harnesses are ASan builds, which valgrind cannot run"

secs=${FUZZ_CHECK_SECONDS:-3}
jobs=${FUZZ_CHECK_JOBS:-2}
names=
# one harness: regressions, then fuzzing; its status files say how each went
run() {
	local n=$1 f=$2
	if [ -d "$TOP/tests/fuzz/regress/$n" ]; then
		"$f" -runs=1 "$TOP/tests/fuzz/regress/$n"/* >"$T/$n.regress.log" 2>&1
		echo $? >"$T/$n.regress.st"
	fi
	mkdir -p "$T/corpus-$n"
	cp -r "$TOP/tests/fuzz/corpus/$n/." "$T/corpus-$n/" 2>/dev/null
	"$f" -max_total_time="$secs" -artifact_prefix="$T/crash-$n-" \
		"$T/corpus-$n" >"$T/$n.log" 2>&1
	echo $? >"$T/$n.st"
}
for f in "$TOP"/tests/fuzz/fuzz-*; do
	case $f in *.c|*.o|*.d|*.h) continue ;; esac
	n=${f##*/fuzz-}
	names="$names $n"
	while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run "$n" "$f" &
done
wait
for n in $names; do
	if [ -e "$T/$n.regress.st" ]; then
		ok "$n: regression inputs pass" test "$(cat "$T/$n.regress.st")" = 0 ||
			diag_file "$T/$n.regress.log"
	fi
	ok "$n: $secs s of fuzzing find nothing" test "$(cat "$T/$n.st" 2>/dev/null)" = 0 ||
		diag_file "$T/$n.log"
done
done_testing
