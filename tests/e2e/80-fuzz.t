#!/bin/bash
# Every libFuzzer harness (ASan+UBSan) replays its regression inputs (the
# crashes fuzzing found, kept in tests/fuzz/regress/NAME) and then fuzzes
# from its seed corpus for a few seconds.  `make fuzz` runs them longer.
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_CHECK_SECONDS:-4}
quiet() {	# LOG COMMAND...: the command's output goes to LOG, shown on failure
	local log=$1
	shift
	"$@" >"$log" 2>&1 && return 0
	diag_file "$log"
	return 1
}
for f in "$TOP"/tests/fuzz/fuzz-*; do
	case $f in *.c|*.o|*.d) continue ;; esac
	n=${f##*/fuzz-}
	if [ -d "$TOP/tests/fuzz/regress/$n" ]; then
		ok "$n: regression inputs pass" quiet "$T/$n.regress.log" "$f" -runs=1 \
			"$TOP/tests/fuzz/regress/$n"/*
	fi
	mkdir -p "$T/corpus-$n"
	cp -r "$TOP/tests/fuzz/corpus/$n/." "$T/corpus-$n/" 2>/dev/null
	ok "$n: $secs s of fuzzing find nothing" quiet "$T/$n.log" "$f" \
		-max_total_time="$secs" -artifact_prefix="$T/crash-$n-" "$T/corpus-$n"
done
done_testing
