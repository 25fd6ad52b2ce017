#!/bin/sh
# info vs pacman -Si (sync fields) and pacman -Qi (what the local db adds),
# field by field, through the daemon and embedded mode, on the fixture and
# the arch-2019 databases.
. "$(dirname "$0")/lib.sh"
fixture

# fields FILE: "Key<TAB>value" per field; continuation lines join with "|".
fields() {
	awk '
	/^[A-Z][A-Za-z -]*: / {
		if (k != "") print k "\t" v
		i = index($0, ": ")
		k = substr($0, 1, i - 1); sub(/ +$/, "", k)
		v = substr($0, i + 2); next
	}
	/^ +/ { sub(/^ +/, ""); v = v "|" $0; next }
	END { if (k != "") print k "\t" v }' "$1" | sed 's/ \[installed\]//g'
}

SYNC_KEYS="Repository Name Version Description Architecture URL Licenses
Groups Provides Depends_On Optional_Deps Conflicts_With Replaces
Download_Size Installed_Size Packager Build_Date Validated_By"
LOCAL_KEYS="Required_By Optional_For Install_Date Install_Reason"
FOREIGN_KEYS="Name Version Description Architecture URL Licenses Groups
Provides Depends_On Optional_Deps Required_By Optional_For Conflicts_With
Replaces Installed_Size Packager Build_Date Install_Date Install_Reason
Validated_By"

# compare GOT WANT KEYS LABEL: every key of KEYS has the same value
compare() {
	fields "$1" > "$T/gf"
	fields "$2" > "$T/wf"
	bad=""
	for k in $3; do
		key=$(echo "$k" | tr _ ' ')
		g=$(grep "^$key	" "$T/gf")
		w=$(grep "^$key	" "$T/wf")
		[ -n "$w" ] && [ "$g" = "$w" ] || bad="$bad $key"
	done
	is "${bad:-none}" none "$4"
}

# check CONF SOCK CACHE LABEL NAMES...
check() {
	conf=$1 sock=$2 cache=$3 label=$4
	shift 4
	for p in "$@"; do
		"$OMG" --socket "$sock" info "$p" > "$T/dmn"
		"$OMG" --no-daemon --config "$conf" --cache "$cache" info "$p" \
		    > "$T/emb"
		same "$T/emb" "$T/dmn" "$label: info $p, embedded = daemon"
		awk '/^$/ { exit } { print }' "$T/dmn" > "$T/dmn1"
		mv "$T/dmn1" "$T/dmn"
		# pacman -Si prints every repo's package, so does omg:
		# the first block's fields here, every block below.
		if pacman --config "$conf" -Si "$p" 2>/dev/null |
		    awk '/^$/ { exit } { print }' > "$T/si" && [ -s "$T/si" ]; then
			compare "$T/dmn" "$T/si" "$SYNC_KEYS" \
			    "$label: info $p = pacman -Si"
			if pacman --config "$conf" -Qi "$p" > "$T/qi" 2>/dev/null
			then
				compare "$T/dmn" "$T/qi" "$LOCAL_KEYS" \
				    "$label: info $p = pacman -Qi (local fields)"
			fi
		else
			pacman --config "$conf" -Qi "$p" > "$T/qi"
			compare "$T/dmn" "$T/qi" "$FOREIGN_KEYS" \
			    "$label: foreign $p = pacman -Qi"
		fi
	done
}

start_daemon "$CONF" fx
names=$(pacman --config "$CONF" -Slq | sort -u; pacman --config "$CONF" -Qmq)
# shellcheck disable=SC2086
check "$CONF" "$T/fx.sock" "$T/fx.db" fx $names

# repo/name, local/name, several names, not found
"$OMG" --socket "$T/fx.sock" info community/python > "$T/got"
grep -q '^Version *: 3.8.0-1$' "$T/got"
ok $? "info community/python picks that repo"
"$OMG" --socket "$T/fx.sock" info python | grep -q '^Version *: 3.7.4-1$'
ok $? "info python picks the first repo"
"$OMG" --socket "$T/fx.sock" info local/zsh > "$T/got"
grep -q '^Version *: 5.8-1$' "$T/got" && ! grep -q '^Repository' "$T/got"
ok $? "info local/zsh shows the installed package"
"$OMG" --socket "$T/fx.sock" info local/ripgrep > /dev/null 2>&1
is $? 1 "info local/X for a package not installed: not found"
"$OMG" --socket "$T/fx.sock" info bash zsh > "$T/got"
is "$(grep -c '^Name' "$T/got")" 2 "two names, two blocks (one batch)"
"$OMG" --socket "$T/fx.sock" info fierfox > "$T/got" 2> "$T/err"
rc=$?
is "$rc" 1 "a missing package exits 1"
is "$(cat "$T/err")" \
    "omg: package 'fierfox' was not found; did you mean firefox?" \
    "the error names a suggestion"
"$OMG" --socket "$T/fx.sock" info bash nosuch zsh > "$T/got" 2> "$T/err"
is "$? $(grep -c '^Name' "$T/got") $(wc -l < "$T/err" | tr -d ' ')" "1 2 1" \
    "batch with one missing name: the others print, exit 1"
"$OMG" --socket "$T/fx.sock" info vim | grep -q '^Installed *: 8.1.0000-1$'
ok $? "info shows the installed version beside the sync version"

# exact CONF SOCK CACHE LABEL: what pacman prints byte for byte, in one
# call each for many names (over the 64 of one batch):
#  - omg info local/NAME... = pacman -Qi NAME... for every installed NAME
#  - omg info NAME... = pacman -Si NAME... for every sync NAME not
#    installed (every repo's package, in pacman.conf order)
exact() {
	conf=$1 sock=$2 cache=$3 label=$4
	pacman --config "$conf" -Qq > "$T/inst"
	# shellcheck disable=SC2046
	pacman --config "$conf" -Qi $(cat "$T/inst") > "$T/want"
	# shellcheck disable=SC2046
	"$OMG" --socket "$sock" info $(sed 's|^|local/|' "$T/inst") > "$T/dmn"
	# shellcheck disable=SC2046
	"$OMG" --no-daemon --config "$conf" --cache "$cache" info \
	    $(sed 's|^|local/|' "$T/inst") > "$T/emb"
	same "$T/dmn" "$T/want" "$label: info local/NAME = pacman -Qi, all $(wc -l < "$T/inst") installed"
	same "$T/emb" "$T/want" "$label: embedded info local/NAME = pacman -Qi"
	pacman --config "$conf" -Slq | sort -u | grep -vxF -f "$T/inst" > "$T/notinst"
	# shellcheck disable=SC2046
	pacman --config "$conf" -Si $(cat "$T/notinst") > "$T/want"
	# shellcheck disable=SC2046
	"$OMG" --socket "$sock" info $(cat "$T/notinst") > "$T/dmn"
	same "$T/dmn" "$T/want" "$label: info NAME = pacman -Si, $(wc -l < "$T/notinst") names not installed, every repo"
}
exact "$CONF" "$T/fx.sock" "$T/fx.db" fx

# A name in two repos: both, in pacman.conf order, as pacman -Si.
"$OMG" --socket "$T/fx.sock" info python | grep -E '^(Repository|Version)' > "$T/got"
pacman --config "$CONF" -Si python | grep -E '^(Repository|Version)' > "$T/want"
same "$T/got" "$T/want" "info python: core's then community's, as pacman -Si"
"$OMG" --socket "$T/fx.sock" info --json python | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["repo"] == "core" and [o["repo"] for o in d["others"]] == ["community"] else 1)'
ok $? "info --json python: the first repo's package, then the others"

# Errors, as pacman says them.
"$OMG" --socket "$T/fx.sock" info foo/bar > /dev/null 2> "$T/err"
drc=$?
pacman --config "$CONF" -Si foo/bar > /dev/null 2>&1
is "$drc" "$?" "info foo/bar, no repo foo: pacman's exit status"
is "$(cat "$T/err")" "omg: repository 'foo' does not exist; package 'foo/bar' was not found" \
    "and its message"
"$OMG" --socket "$T/fx.sock" info bash foo/bar > /dev/null 2>&1
drc=$?
pacman --config "$CONF" -Si bash foo/bar > /dev/null 2>&1
is "$drc" "$?" "info bash foo/bar: pacman's exit status too"
"$OMG" --socket "$T/fx.sock" info '' > /dev/null 2> "$T/err"
is "$? $(cat "$T/err")" "1 omg: package '' was not found" "info '': no suggestions"
i=0; set --
while [ $i -lt 70 ]; do set -- "$@" bash; i=$((i + 1)); done
"$OMG" --socket "$T/fx.sock" info "$@" > "$T/got"
is "$?/$(grep -c '^Name' "$T/got")" "0/70" "info with 70 names: 70 answers (two batches)"
"$OMG" --socket "$T/fx.sock" info --json "$@" | python3 -c '
import json, sys
sys.exit(0 if len(json.load(sys.stdin)) == 70 else 1)'
ok $? "info --json with 70 names: one array of 70"

if arch2019; then
	start_daemon "$T/a19.conf" a19
	exact "$T/a19.conf" "$T/a19.sock" "$T/a19.db" a19
	set -- $(pacman --config "$T/a19.conf" -Qq | awk 'NR % 6 == 1')
	set -- "$@" $(pacman --config "$T/a19.conf" -Slq | awk 'NR % 150 == 7')
	check "$T/a19.conf" "$T/a19.sock" "$T/a19.db" a19 "$@" expac-git vifm
else
	ok 0 "# SKIP ../shared/data/arch-2019 is not there"
fi

# Removed, vim is no suggestion for what is installed.
pacman --config "$CONF" -R --dbonly --noconfirm -dd vim > /dev/null
"$OMG" --no-daemon --config "$CONF" --cache "$T/fx.db" info local/vim \
    > /dev/null 2> "$T/err"
is "$? $(cat "$T/err")" "1 omg: package 'local/vim' was not found" \
    "info local/vim after pacman -R vim: not found, vim not suggested"
done_testing
