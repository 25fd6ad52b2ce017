#!/bin/sh
# The unit test programs (tests/unit/*.c), each a TAP stream of its own.
. "$(dirname "$0")/lib.sh"
for u in proto fuzzy image; do
	echo "# tests/unit/$u"
	"$TOP/tests/unit/$u" > "$T/$u.tap"
	rc=$?
	grep -v '^1\.\.' "$T/$u.tap" | while IFS= read -r line; do
		case $line in
		"ok "*) echo "ok $u: ${line#ok * - }" ;;
		"not ok "*) echo "not ok $u: ${line#not ok * - }" ;;
		*) echo "$line" ;;
		esac
	done > "$T/$u.out"
	cat "$T/$u.out"
	_n=$((_n + $(grep -c '^ok \|^not ok ' "$T/$u.out")))
	_failed=$((_failed + $(grep -c '^not ok ' "$T/$u.out")))
	[ "$rc" -eq 0 ] || { echo "not ok $u exited $rc"; _n=$((_n+1)); _failed=$((_failed+1)); }
done
done_testing
