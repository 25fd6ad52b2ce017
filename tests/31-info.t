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
		# pacman -Si prints every repo's package; omg the first repo's.
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

if arch2019; then
	start_daemon "$T/a19.conf" a19
	set -- $(pacman --config "$T/a19.conf" -Qq | awk 'NR % 6 == 1')
	set -- "$@" $(pacman --config "$T/a19.conf" -Slq | awk 'NR % 150 == 7')
	check "$T/a19.conf" "$T/a19.sock" "$T/a19.db" a19 "$@" expac-git vifm
else
	ok 0 "# SKIP ../shared/data/arch-2019 is not there"
fi
done_testing
