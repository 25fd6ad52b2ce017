#!/bin/sh
# The command line: exit statuses, one-line errors, JSON, suggest, and the
# same bytes from the daemon and from embedded mode for every command.
. "$(dirname "$0")/lib.sh"
need python3
fixture
start_daemon "$CONF" fx
D="$OMG --socket $T/fx.sock"
E="$OMG --no-daemon --config $CONF --cache $T/emb.db"

"$OMG" --version > "$T/out"
is "$?:$(cat "$T/out")" "0:omg 0.1.0 (protocol 1)" "--version"
"$OMG" --help > "$T/out"
is "$?:$(head -c 10 "$T/out")" "0:usage: omg" "--help on stdout, exit 0"

# usage errors: exit 2, one line
for args in "" "bogus" "--bogus ping" "search --limit 0 x" "search --limit x y" \
    "search --sort size x" "search --bogus x" "info" "info --bogus x" \
    "suggest" "suggest a b" "suggest --limit 101 a" "status extra" \
    "ping --bogus" "--socket" "--color" "--color=pink ping"; do
	# shellcheck disable=SC2086
	$D $args > "$T/out" 2> "$T/err"
	is "$?:$(wc -l < "$T/err" | tr -d ' '):$(wc -c < "$T/out" | tr -d ' ')" \
	    "2:1:0" "usage error '$args': exit 2, one line, no output"
done
"$OMG" --socket "$T/none.sock" --config /nonexistent ping > /dev/null 2> "$T/err"
is "$?:$(wc -l < "$T/err" | tr -d ' ')" "3:1" "no daemon, no cache: exit 3, one line"
grep -q "no daemon on $T/none.sock" "$T/err"
ok $? "that line names the socket"
OMG_SOCKET=$T/fx.sock "$OMG" --config /nonexistent ping > "$T/out"
is "$?:$(cat "$T/out")" "0:pong" "OMG_SOCKET finds the daemon"

# the same bytes either way
for args in "search fire" "search --json linux" "search -q ^lib" \
    "search --sort repo shell" "info firefox" "info --json vim" \
    "info bash zsh" "info --json glibc mytool" "suggest fi" \
    "suggest --json --limit 3 fire" "suggest fierfox" "ping" "info nosuch" \
    "search nomatchxyz"; do
	# shellcheck disable=SC2086
	$D $args > "$T/d" 2> "$T/de"
	drc=$?
	# shellcheck disable=SC2086
	$E $args > "$T/e" 2> "$T/ee"
	erc=$?
	cat "$T/de" >> "$T/d"
	cat "$T/ee" >> "$T/e"
	same "$T/e" "$T/d" "'$args': embedded = daemon, byte for byte"
	is "$erc" "$drc" "'$args': same exit status ($drc)"
done
$D status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("server"); d["cache"].pop("path"); d["cache"].pop("generation"); d["cache"].pop("built_at"); d["cache"].pop("build_ms"); print(json.dumps(d, sort_keys=True))' > "$T/d"
$E status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("server"); d["cache"].pop("path"); d["cache"].pop("generation"); d["cache"].pop("built_at"); d["cache"].pop("build_ms"); print(json.dumps(d, sort_keys=True))' > "$T/e"
same "$T/e" "$T/d" "status: embedded = daemon but for who answered"

# JSON is JSON, with the protocol's names
for args in "search linux" "info firefox" "info bash zsh" "status" \
    "suggest fi" "ping"; do
	# shellcheck disable=SC2086
	$D $args --json 2>/dev/null | python3 -c 'import json,sys; json.load(sys.stdin)'
	ok $? "'$args --json' is one JSON document"
done
$D search --json fire | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["total"] == 3, d
p = d["packages"][0]
assert p["name"] == "firefox" and p["source"] == "extra", p
assert p["installed"] == "70.0-1" and p["version"] == "70.0-1", p
assert "installed" not in d["packages"][1], d["packages"][1]'
ok $? "search --json: packages, source, installed, total"
$D info --json zsh | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["version"] == "1:5.7.1-2" and d["installed"] == "5.8-1", d
assert d["repo"] == "core" and d["source"] == "core", d
assert d["update"] == "1:5.7.1-2" and d["reason"] == "explicit", d
assert d["depends"] == ["glibc"] and d["licenses"] == ["MIT"], d'
ok $? "info --json: epoch version, installed, update, reason, lists"

# colour: pacman's palette, byte for byte
for q in . fire "shell bash" gnome; do
	# shellcheck disable=SC2086
	$D --color always search --sort repo --limit 1000 $q > "$T/got"
	# shellcheck disable=SC2086
	pacman --config "$CONF" --color always -Ss $q > "$T/want"
	same "$T/got" "$T/want" "--color always search '$q' = pacman --color always -Ss"
done
$D --color=always info firefox | grep -c "$(printf '\033')\[0;1m" > "$T/n"
is "$(cat "$T/n")" 23 "--color=always info: every key in pacman's title colour"
$D search fire | grep -c "$(printf '\033')" > "$T/n"
is "$(cat "$T/n")" 0 "--color auto: no escapes when stdout is not a terminal"
if command -v script >/dev/null 2>&1; then
	script -qec "$D search fire" /dev/null > "$T/tty"
	grep -q "$(printf '\033')\[1;35m" "$T/tty"
	ok $? "--color auto on a terminal: colour"
	NO_COLOR=1 script -qec "$D search fire" /dev/null > "$T/tty"
	grep -q "$(printf '\033')" "$T/tty"
	ok $(( $? == 0 )) "NO_COLOR: no colour even on a terminal"
	script -qec "$D --color=never search fire" /dev/null > "$T/tty"
	grep -q "$(printf '\033')" "$T/tty"
	ok $(( $? == 0 )) "--color=never: no colour on a terminal"
else
	ok 0 "# SKIP script(1) is not installed"
fi
$D --color sometimes ping > /dev/null 2>&1
is $? 2 "--color sometimes: usage error"

# suggest
$D suggest fi > "$T/out"
printf 'fish\nfirefox\nfilesystem\nfirefox-i18n-de\nfirefox-i18n-fr\n' > "$T/want"
same "$T/out" "$T/want" "suggest: prefix matches, shortest first, then bytes"
$D suggest FI > "$T/out"
same "$T/out" "$T/want" "suggest is case-insensitive"
$D suggest --limit 2 fi > "$T/out"
is "$(tr '\n' ' ' < "$T/out")" "fish firefox " "suggest --limit 2"
$D suggest fierfox | head -1 > "$T/out"
is "$(cat "$T/out")" firefox "suggest fierfox: firefox first (a typo)"
$D suggest zzzzzz > "$T/out"
is "$?:$(wc -c < "$T/out" | tr -d ' ')" "1:0" "suggest with no match: exit 1, nothing printed"
$D suggest my > "$T/out"
is "$(cat "$T/out")" mytool "suggest includes installed-only names"

# Global options, parsed once for both roles: a mistake is one line and
# exit 2, whichever role it names.
for args in "--bogus ping" "--socket" "--color=maybe ping" "--verbose ping" \
    "--daemon --no-daemon" "--daemon --color always" "--daemon extra" ""; do
	# shellcheck disable=SC2086
	"$OMG" $args > "$T/out" 2> "$T/err"
	rc=$?
	is "$rc $(wc -l < "$T/err" | tr -d ' ') $(wc -c < "$T/out" | tr -d ' ')" \
	    "2 1 0" "omg $args: exit 2, one line on stderr, nothing on stdout"
done
"$OMG" --socket="$T/fx.sock" --color=never ping > "$T/out"
is "$? $(cat "$T/out")" "0 pong" "--opt=VALUE works as --opt VALUE"
done_testing
