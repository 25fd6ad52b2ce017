#!/bin/sh
# Fitting in: man pages that lint clean and name every option the code
# takes, systemd units that systemd-analyze accepts, an install that
# uninstall undoes exactly, and completion in the real bash, fish and zsh
# offering the fixture's package names.
. "$(dirname "$0")/lib.sh"
fixture
start_daemon "$CONF" fx
PATH=$TOP:$PATH		# the completions call omg
export PATH

# Man pages
for m in "$TOP"/man/*.[1-9]; do
	if command -v groff >/dev/null 2>&1; then
		out=$(groff -ww -z -t -man "$m" 2>&1)
		is "$out" "" "$(basename "$m"): groff -ww finds nothing to warn about"
	else
		ok 0 "# SKIP groff is not installed"
	fi
done

# Every option the code accepts is in --help and in omg(1).
opts=$(sed -n 's/.*{ "\([a-z-]*\)",[[:space:]]*[a-z_]*_argument.*/--\1/p;
    s/.*strn*cmp(a, "\(--[a-z-]*\)".*/\1/p; s/.*strcmp(argv\[[a-z]*\], "\(--[a-z-]*\)").*/\1/p;
    s/.*{ "\(--[a-z-]*\)", offsetof.*/\1/p' \
    "$TOP"/src/cli.c "$TOP"/src/cmd_files.c "$TOP"/src/daemon.c "$TOP"/src/main.c \
    "$TOP"/src/opts.c | sort -u)
"$OMG" --help > "$T/help"
sed 's/\\-/-/g' "$TOP/man/omg.1" > "$T/man1"
miss_help="" miss_man=""
for o in $opts; do
	grep -q -- "$o\b" "$T/help" || miss_help="$miss_help $o"
	grep -q -- "$o\b" "$T/man1" || miss_man="$miss_man $o"
done
is "${miss_help:-none}" none "every option in the code is in --help ($(echo $opts | wc -w) options)"
is "${miss_man:-none}" none "every option in the code is in omg(1)"
for o in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
	echo "$opts" | grep -qx -- "$o" || miss_code="${miss_code:-} $o"
done
is "${miss_code:-none}" none "every option --help names is one the code takes"
# omg.conf(5) documents every setting the code has
sed -n 's/.*{ "\([a-z_]*\)", S(.*/\1/p' "$TOP/src/conf.c" > "$T/settings"
miss=""
for s in $(cat "$T/settings"); do
	grep -q "^\.BR $s " "$TOP/man/omg.conf.5" || miss="$miss $s"
done
is "${miss:-none}" none "omg.conf(5) documents all $(wc -l < "$T/settings") settings"

# Install into a real prefix (units name their ExecStart), then uninstall.
make -s -C "$TOP" install PREFIX="$T/usr" > /dev/null
(cd "$T/usr" && find . -type f -o -type l | sort) > "$T/installed"
cat > "$T/want" <<EOF
./bin/omg
./bin/omgd
./lib/systemd/user/omg-advisories.service
./lib/systemd/user/omg-advisories.timer
./lib/systemd/user/omgd.service
./lib/systemd/user/omgd.socket
./share/bash-completion/completions/omg
./share/fish/vendor_completions.d/omg.fish
./share/man/man1/omg.1
./share/man/man1/omgd.1
./share/man/man5/omg.conf.5
./share/man/man7/omg-protocol.7
./share/zsh/site-functions/_omg
EOF
same "$T/installed" "$T/want" "make install puts every file in its place"
grep -q "^ExecStart=$T/usr/bin/omg --daemon$" "$T/usr/lib/systemd/user/omgd.service"
ok $? "the unit runs the installed binary"
"$T/usr/bin/omgd" --socket "$T/via-link.sock" --config "$CONF" --cache "$T/l.db" 2>/dev/null &
lp=$!
i=0; while [ ! -S "$T/via-link.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
"$OMG" --socket "$T/via-link.sock" --config /nonexistent ping > /dev/null
ok $? "the omgd link runs the daemon"
kill $lp; wait $lp
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify --man=no "$T/usr/lib/systemd/user/omgd.socket" \
	    "$T/usr/lib/systemd/user/omgd.service" \
	    "$T/usr/lib/systemd/user/omg-advisories.service" \
	    "$T/usr/lib/systemd/user/omg-advisories.timer" 2>&1)
	is "$?:$out" "0:" "systemd-analyze verify: the units are clean"
	for k in NoNewPrivileges=yes SystemCallFilter=@system-service \
	    SystemCallArchitectures=native RestrictAddressFamilies=AF_UNIX \
	    LockPersonality=yes MemoryDenyWriteExecute=yes RestrictRealtime=yes \
	    RestrictNamespaces=yes UMask=0077 MemoryMax= Restart=on-failure; do
		grep -q "^$k" "$T/usr/lib/systemd/user/omgd.service" || bad="${bad:-} $k"
	done
	is "${bad:-none}" none "omgd.service has its hardening"
	grep -q '^ListenStream=%t/omg.sock$' "$T/usr/lib/systemd/user/omgd.socket" &&
	    grep -q '^SocketMode=0600$' "$T/usr/lib/systemd/user/omgd.socket"
	ok $? "omgd.socket: %t/omg.sock, mode 0600"
else
	ok 0 "# SKIP systemd-analyze is not installed"
fi
make -s -C "$TOP" uninstall PREFIX="$T/usr" > /dev/null
left=$(cd "$T/usr" && find . -type f -o -type l)
is "$left" "" "make uninstall removes exactly what install put there"

# The same with DESTDIR, the way a package is made.
make -s -C "$TOP" install DESTDIR="$T/dest" PREFIX=/usr > /dev/null
(cd "$T/dest/usr" && find . -type f -o -type l | sort) > "$T/installed"
same "$T/installed" "$T/want" "make install DESTDIR=... PREFIX=/usr: the same files"
grep -q '^ExecStart=/usr/bin/omg --daemon$' "$T/dest/usr/lib/systemd/user/omgd.service"
ok $? "with DESTDIR the unit still names /usr/bin/omg"
make -s -C "$TOP" uninstall DESTDIR="$T/dest" PREFIX=/usr > /dev/null
left=$(cd "$T/dest" && find . -type f -o -type l)
is "$left" "" "make uninstall DESTDIR=...: nothing left"

# contrib/PKGBUILD: parses, names this version, has the usual functions.
v=$("$OMG" --version | cut -d' ' -f2)
out=$(bash -c '. "$1" && echo "$pkgname $pkgver" &&
    declare -F build check package | wc -l' _ "$TOP/contrib/PKGBUILD" | tr '\n' ' ')
is "$out" "omg $v 3 " "contrib/PKGBUILD: omg $v with build, check, package"

# Completion: "omg info fir<TAB>" offers the fixture's names.
pacman --config "$CONF" -Slq | grep '^fir' | sort -u > "$T/want"
bash -c '
	. "$1"
	COMP_WORDS=(omg --socket "$2" info fir); COMP_CWORD=4; _omg
	printf "%s\n" "${COMPREPLY[@]}"
	COMP_WORDS=(omg s); COMP_CWORD=1; _omg; echo "cmds: ${COMPREPLY[*]}"
	COMP_WORDS=(omg search --l); COMP_CWORD=2; _omg; echo "opts: ${COMPREPLY[*]}"
' _ "$TOP/completion/omg.bash" "$T/fx.sock" > "$T/bash.out" 2>&1
grep -v ':' "$T/bash.out" | sort > "$T/got"
same "$T/got" "$T/want" "bash: omg info fir<TAB> offers what pacman -Slq | grep ^fir lists"
grep -q '^cmds: search status suggest$' "$T/bash.out"
ok $? "bash: omg s<TAB> offers search status suggest"
grep -q '^opts: --limit$' "$T/bash.out"
ok $? "bash: omg search --l<TAB> offers --limit"
if command -v fish >/dev/null 2>&1; then
	fish -c "source $TOP/completion/omg.fish; complete -C 'omg --socket $T/fx.sock info fir'" \
	    2>&1 | cut -f1 | sort > "$T/got"
	same "$T/got" "$T/want" "fish: omg info fir<TAB> offers the same names"
	fish -c "source $TOP/completion/omg.fish; complete -C 'omg sta'" 2>&1 |
	    cut -f1 > "$T/got"
	is "$(cat "$T/got")" status "fish: omg sta<TAB> offers status"
else
	ok 0 "# SKIP fish is not installed"
fi
if command -v zsh >/dev/null 2>&1 && command -v tmux >/dev/null 2>&1; then
	mkdir -p "$T/zdot"
	cat > "$T/zdot/.zshrc" <<EOF
fpath=($TOP/completion \$fpath)
autoload -Uz compinit && compinit -u -d $T/zdot/.zcompdump
PROMPT='> '
path=($(dirname "$OMG") \$path)
EOF
	sock=$T/tmux.sock
	ZDOTDIR=$T/zdot tmux -S "$sock" new-session -d -x 200 -y 50 "zsh -i"
	sleep 1
	tmux -S "$sock" send-keys "omg --socket $T/fx.sock info fir" Tab
	sleep 1
	tmux -S "$sock" send-keys Tab
	sleep 1
	tmux -S "$sock" capture-pane -p > "$T/zsh.screen"
	tmux -S "$sock" kill-server 2>/dev/null
	n=0
	for p in $(cat "$T/want"); do
		grep -q -- "$p" "$T/zsh.screen" && n=$((n + 1))
	done
	is "$n" "$(wc -l < "$T/want" | tr -d ' ')" "zsh (in tmux): omg info fir<TAB> shows the names"
else
	ok 0 "# SKIP zsh or tmux is not installed"
fi

# What a completion costs: the daemon vs pacman on the same databases.
if [ -x "$TOP/tests/bench/bench" ]; then
	a=$("$TOP/tests/bench/bench" --exec 50 "$OMG" --socket "$T/fx.sock" suggest fir)
	b=$("$TOP/tests/bench/bench" --exec 50 sh -c "pacman --config $CONF -Slq | grep ^fir")
	echo "# one completion: omg suggest fir $a ms; pacman -Slq | grep ^fir $b ms"
fi
done_testing
