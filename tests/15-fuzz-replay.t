#!/bin/sh
# Replay the fuzz corpus (seeds and every crasher ever found) through both
# fuzz targets, built with a plain main(): no fuzzer needed, and under
# make check-asan the sanitizers watch every input.
. "$(dirname "$0")/lib.sh"
for t in request server; do
	"$TOP/tests/fuzz/replay-$t" "$TOP/tests/fuzz/corpus/$t" > "$T/$t.tap" 2>&1
	rc=$?
	grep -c '^ok' "$T/$t.tap" > "$T/$t.n"
	is "$rc" 0 "fuzz target $t: the corpus replays without a crash ($(cat "$T/$t.n") inputs)"
	[ "$(cat "$T/$t.n")" -gt 0 ]
	ok $? "fuzz target $t: the corpus is not empty"
done
done_testing
