#!/bin/sh
# status vs the pacman commands that give the same numbers:
# total = -Qq, explicit = -Qeq, orphans = -Qdtq, updates = -Qu not [ignored].
. "$(dirname "$0")/lib.sh"
need python3
fixture

field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# check CONF SOCK CACHE LABEL
check() {
	P="pacman --config $1"
	want="$($P -Qq | wc -l) $($P -Qeq | wc -l) $($P -Qdtq | wc -l)"
	want="$want $($P -Qu | grep -vc '\[ignored\]$')"
	for how in daemon embedded; do
		if [ $how = daemon ]; then
			"$OMG" --socket "$2" status --json > "$T/st"
		else
			"$OMG" --no-daemon --config "$1" --cache "$3" status --json \
			    > "$T/st"
		fi
		got=$(field 'd["total_packages"], d["explicit_packages"], d["orphan_packages"], d["updates_available"]' \
		    < "$T/st" | tr -d '(),')
		is "$(echo $got)" "$(echo $want)" \
		    "$4 $how: total explicit orphans updates = pacman"
		is "$(field 'd["server"]["mode"]' < "$T/st")" "$how" \
		    "$4 $how: answered by $how"
		is "$(field 'd["cache"]["state"]' < "$T/st")" fresh \
		    "$4 $how: cache fresh"
	done
	# runtimes: each version is the installed one
	field '"\n".join(n + " " + v for n, v in d["runtime_versions"])' \
	    < "$T/st" | sed '/^$/d' > "$T/rt"
	bad=0
	while read -r n v; do
		[ "$($P -Q "$n" | cut -d' ' -f2)" = "$v" ] || bad=1
	done < "$T/rt"
	ok $bad "$4: runtime versions = pacman -Q ($(wc -l < "$T/rt") found)"
}

start_daemon "$CONF" fx
check "$CONF" "$T/fx.sock" "$T/fx.db" fx
grep -q '^python ' "$T/rt" && grep -q '^nodejs ' "$T/rt"
ok $? "fx: python and nodejs are listed as runtimes"
is "$(pacman --config "$CONF" -Qdtq | tr '\n' ' ')" "filesystem libfoo python " \
    "fx: the fixture's orphans are the ones it meant (hunspell, libbar are optional deps)"

"$OMG" --socket "$T/fx.sock" status > "$T/txt"
grep -q '^Packages *: 18 installed, 8 explicit, 3 orphans$' "$T/txt"
ok $? "text status reads at a glance"

if arch2019; then
	start_daemon "$T/a19.conf" a19
	check "$T/a19.conf" "$T/a19.sock" "$T/a19.db" a19
else
	ok 0 "# SKIP ../shared/data/arch-2019 is not there"
fi
done_testing
