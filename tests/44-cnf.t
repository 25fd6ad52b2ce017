#!/bin/sh
# The command-not-found handlers (shell/) driven in real bash, zsh and
# fish under tmux: a command the .files databases know is offered with
# its packages in pkgfile's words, one nobody has gets the shell's own
# message; omg cnf itself against pacman -F; with no daemon and a cache
# that is not up to date it says nothing rather than rebuild.
. "$(dirname "$0")/lib.sh"
need python3
fixture
start_daemon "$CONF" fx

# omg cnf: pacman -F's answer, kept to bin directories, as pkgfile -bv.
"$OMG" --socket "$T/fx.sock" cnf go > "$T/got"
is "$?" 0 "cnf go: found"
pacman --config "$CONF" -F go | awk '
	/^[^ ]/ { pkg = $1 " " $2 }
	/^    / { p = $1; if (p ~ /^(usr\/(local\/)?)?s?bin\/[^\/]+$/) print pkg "\t/" p }' \
	> "$T/want"
same "$T/got" "$T/want" "cnf go = pacman -F go, only the binaries (not usr/lib/go/bin/go)"
"$OMG" --socket "$T/fx.sock" cnf zzzomg > "$T/got"
is "$? $(wc -c < "$T/got" | tr -d ' ')" "1 0" "cnf of a command nobody has: exit 1, nothing printed"
"$OMG" --socket "$T/fx.sock" cnf usr/bin/go > "$T/got"
is "$? $(wc -c < "$T/got" | tr -d ' ')" "1 0" "cnf of a path: exit 1, nothing printed"

# No daemon: the cache answers only when it is up to date.
"$OMG" --socket "$T/none.sock" --config "$CONF" --cache "$T/emb.db" \
    files ls > /dev/null 2>&1
"$OMG" --socket "$T/none.sock" --config "$CONF" --cache "$T/emb.db" cnf nmcli \
    > "$T/got" 2>&1
is "$? $(cat "$T/got")" "0 extra/networkmanager 1.20.4-1	/usr/bin/nmcli" \
    "no daemon, cache up to date: cnf answers from it"
gen() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT value FROM meta WHERE key = \x27generation\x27").fetchone()[0])' "$T/emb.db"
}
g0=$(gen)
touch "$T/fx/root/var/lib/pacman/sync/extra.db"
"$OMG" --socket "$T/none.sock" --config "$CONF" --cache "$T/emb.db" cnf nmcli \
    > "$T/got" 2>&1
is "$? $(wc -c < "$T/got" | tr -d ' ')" "3 0" \
    "no daemon, cache out of date: cnf says nothing (no rebuild)"
is "$(gen)" "$g0" "and the cache was left as it was (generation $g0)"

need_shell() { command -v "$1" >/dev/null 2>&1 && command -v tmux >/dev/null 2>&1; }

# drive SHELL RC-LINE...: run SHELL in tmux with the handler, type two
# commands, and keep the screen in $T/SHELL.screen.
drive() {
	sh=$1
	sock=$T/tmux-$sh.sock
	mkdir -p "$T/bin"
	ln -sf "$OMG" "$T/bin/omg"
	case $sh in
	bash)	printf 'PS1="> "\nPATH=%s:$PATH\nexport OMG_SOCKET=%s\n. %s\n' \
		    "$T/bin" "$T/fx.sock" "$TOP/shell/command-not-found.bash" \
		    > "$T/rc"
		cmd="bash --norc --noprofile" ;;
	zsh)	mkdir -p "$T/zdot"
		printf 'PROMPT="> "\npath=(%s $path)\nexport OMG_SOCKET=%s\n. %s\n' \
		    "$T/bin" "$T/fx.sock" "$TOP/shell/command-not-found.zsh" \
		    > "$T/zdot/.zshrc"
		cmd="zsh -i" ;;
	fish)	printf 'function fish_prompt; echo "> "; end\nset -gx PATH %s $PATH\nset -gx OMG_SOCKET %s\nsource %s\n' \
		    "$T/bin" "$T/fx.sock" "$TOP/shell/command-not-found.fish" \
		    > "$T/rc.fish"
		cmd="fish --no-config -C 'source $T/rc.fish'" ;;
	esac
	ZDOTDIR=$T/zdot HOME=$T tmux -S "$sock" new-session -d -x 200 -y 50 "$cmd"
	sleep 1
	[ "$sh" = bash ] && tmux -S "$sock" send-keys ". $T/rc" Enter
	tmux -S "$sock" send-keys "gofmt -l ." Enter
	tmux -S "$sock" send-keys "zzzomg" Enter
	sleep 1.5
	tmux -S "$sock" capture-pane -p > "$T/$sh.screen"
	tmux -S "$sock" kill-server 2>/dev/null
}

for sh in bash zsh fish; do
	if ! need_shell "$sh"; then
		ok 0 "# SKIP $sh or tmux is not installed"
		ok 0 "# SKIP $sh or tmux is not installed"
		continue
	fi
	drive "$sh"
	grep -q "^gofmt may be found in the following packages:" "$T/$sh.screen" &&
	    grep -q "^  community/go 2:1.13.3-1.*/usr/bin/gofmt" "$T/$sh.screen"
	ok $? "$sh: gofmt is offered from community/go, in pkgfile's words"
	case $sh in
	bash)	want="bash: zzzomg: command not found" ;;
	zsh)	want="zsh: command not found: zzzomg" ;;
	fish)	want="fish: Unknown command: zzzomg" ;;
	esac
	grep -q "^$want" "$T/$sh.screen"
	ok $? "$sh: a command nobody has gets the shell's own message"
	[ $? -eq 0 ] || sed 's/^/# /' "$T/$sh.screen" | grep -v '^# $'
done
done_testing
