#!/bin/sh
# omg list and omg updates against pacman -Q and -Qu, byte for byte with
# pacman's exit status: every combination of -e/-d, -m/-n, -t/-tt, -u and
# -q, through the daemon and embedded mode, on the fixture (orphans with
# and without an optional user, a foreign package, an IgnorePkg) and the
# 2019 databases (two foreign packages, 39 updates); a repo whose Usage
# lacks Upgrade; colour; JSON; a change made by pacman -U.
. "$(dirname "$0")/lib.sh"
need python3
fixture

# check CONF SOCK CACHE LABEL: every filter combination = pacman -Q
check() {
	conf=$1 sock=$2 cache=$3 label=$4
	bad=""
	for r in "" e d; do for o in "" m n; do for t in "" t tt; do
	for u in "" u; do for q in "" q; do
		f="$r$o$t$u$q"
		pacman --config "$conf" "-Q$f" > "$T/want" 2>&1
		prc=$?
		"$OMG" --socket "$sock" list ${f:+-$f} > "$T/dmn" 2>&1
		drc=$?
		"$OMG" --no-daemon --config "$conf" --cache "$cache" list \
		    ${f:+-$f} > "$T/emb" 2>&1
		erc=$?
		if ! cmp -s "$T/dmn" "$T/want" || ! cmp -s "$T/emb" "$T/want" ||
		    [ "$drc $erc" != "$prc $prc" ]; then
			bad="$bad -Q$f"
		fi
	done; done; done; done; done
	is "${bad:-none}" none "$label: list = pacman -Q in all 90 combinations, daemon and embedded, exit status too"
	pacman --config "$conf" -Qu > "$T/want" 2>&1
	prc=$?
	"$OMG" --socket "$sock" updates > "$T/dmn" 2>&1
	drc=$?
	same "$T/dmn" "$T/want" "$label: updates = pacman -Qu ($(wc -l < "$T/want") lines)"
	is "$drc" "$prc" "$label: updates exits as pacman -Qu"
	pacman --config "$conf" --color always -Qu > "$T/want" 2>&1
	"$OMG" --socket "$sock" --color always updates > "$T/dmn" 2>&1
	same "$T/dmn" "$T/want" "$label: updates --color always = pacman --color always -Qu"
	pacman --config "$conf" --color always -Qm > "$T/want" 2>&1
	"$OMG" --socket "$sock" --color always list -m > "$T/dmn" 2>&1
	same "$T/dmn" "$T/want" "$label: list -m --color always = pacman"
}

start_daemon "$CONF" fx
check "$CONF" "$T/fx.sock" "$T/fx.db" fx

"$OMG" --socket "$T/fx.sock" updates --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
ok = d["total"] == len(d["packages"]) and any(p["ignored"] for p in d["packages"])
ok = ok and all(set(p) == {"name", "version", "update", "ignored"} for p in d["packages"])
sys.exit(0 if ok else 1)'
ok $? "updates --json: name, version, update, ignored (vim's IgnorePkg)"
"$OMG" --socket "$T/fx.sock" list -dm --json > "$T/got"
is "$? $(cat "$T/got")" '1 {"packages":[],"total":0}' "list --json with nothing: exit 1, as pacman"
"$OMG" --socket "$T/fx.sock" list bash > /dev/null 2>&1
is $? 2 "list with a name: a usage error (omg info answers that)"

# A repo whose Usage lacks Upgrade: its updates are [ignored], as pacman.
sed 's/^\[extra\]$/[extra]\nUsage = Sync Search/' "$CONF" > "$T/u.conf"
pacman --config "$T/u.conf" -Qu > "$T/want"
"$OMG" --no-daemon --config "$T/u.conf" --cache "$T/u.db" updates > "$T/got"
same "$T/got" "$T/want" "Usage without Upgrade: updates marked [ignored] as pacman -Qu"

# pacman -U: the lists follow.
pacman --config "$CONF" -U --dbonly --noconfirm -dd \
    "$T"/fx/pkgs/community/ripgrep-*.zst > /dev/null
listed() { "$OMG" --socket "$T/fx.sock" list -qe | grep -qx ripgrep; }
within2 listed
ok $? "after pacman -U ripgrep: list -e shows it within 2 s"
check "$CONF" "$T/fx.sock" "$T/fx.db" "fx after -U"

if arch2019; then
	start_daemon "$T/a19.conf" a19
	check "$T/a19.conf" "$T/a19.sock" "$T/a19.db" a19
else
	ok 0 "# SKIP ../shared/data/arch-2019 is not there"
fi
done_testing
