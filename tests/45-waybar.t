#!/bin/sh
# contrib/waybar/omg-updates: waybar's JSON (text, alt, class, tooltip)
# with the count pacman -Qu gives less [ignored], printed at once and
# again after pacman changes the databases, without polling.
. "$(dirname "$0")/lib.sh"
need jq python3 setsid
fixture
start_daemon "$CONF" fx
mkdir -p "$T/bin"
ln -s "$OMG" "$T/bin/omg"

want=$(pacman --config "$CONF" -Qu | grep -vc '\[ignored\]')
PATH=$T/bin:$PATH OMG_SOCKET=$T/fx.sock setsid \
    "$TOP/contrib/waybar/omg-updates" > "$T/bar" 2>"$T/bar.err" &
bar=$!
lines() { [ "$(wc -l < "$T/bar")" -ge "$1" ]; }
within 50 lines 1
ok $? "a line at once"
head -1 "$T/bar" | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
ok = set(d) == {"text", "alt", "class", "tooltip"} and d["text"] == sys.argv[1]
ok = ok and d["class"] == "pending" and "bash 5.0.007-1 → 5.0.011-1" in d["tooltip"]
sys.exit(0 if ok else 1)' "$want"
ok $? "text is the count pacman -Qu gives less [ignored] ($want), class pending, a tooltip line per update"

# An upgrade: the next line follows the cache, not a timer.
pacman --config "$CONF" -U --noconfirm -dd "$T"/fx/pkgs/core/bash-*.zst \
    > /dev/null
want=$(pacman --config "$CONF" -Qu | grep -vc '\[ignored\]')
newest() { tail -1 "$T/bar" | grep -q "\"text\":\"$want\""; }
within 50 newest
ok $? "after pacman -U bash: a new line with $want, within 5 s"
kill -TERM "-$bar" 2>/dev/null || kill "$bar"
wait "$bar" 2>/dev/null
done_testing
