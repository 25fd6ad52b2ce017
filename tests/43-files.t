#!/bin/sh
# omg owns and omg files against pacman -Qo and pacman -F/-Fx/-Fl, byte
# for byte on stdout and stderr with pacman's exit status, through the
# daemon and embedded mode: files, directories, symlinks (of files and of
# directories), relative paths, $PATH lookups, paths outside the root, a
# name with a space and one that is not UTF-8, colour, -q; a .files
# database missing; pacman -U/-R and a rewritten .files database followed
# live; the 2019 databases' real files lists.
. "$(dirname "$0")/lib.sh"
need python3
fixture
R=$T/fx/root
start_daemon "$CONF" fx

# cmp3 LABEL PACMAN-ARGS -- OMG-ARGS: stdout, stderr and status the same,
# daemon and embedded (python runs the three: every argument whole).
cmp3() {
	label=$1
	shift
	# pacman's arguments up to "--" (kept whole, "" too), then omg's.
	n=0
	for a in "$@"; do
		[ "$a" = "--" ] && break
		n=$((n + 1))
	done
	OMG=$OMG python3 - "$n" "$CONF" "$T" "$@" <<'PY'
import subprocess, sys
n = int(sys.argv[1]); conf = sys.argv[2]; t = sys.argv[3]
rest = [a.encode("utf-8", "surrogateescape") for a in sys.argv[4:]]
pac, omg = rest[:n], rest[n + 1:]
def run(argv, tag):
	r = subprocess.run(argv, capture_output=True)
	open(t + "/" + tag + ".out", "wb").write(r.stdout)
	open(t + "/" + tag + ".err", "wb").write(r.stderr)
	open(t + "/" + tag + ".rc", "w").write(str(r.returncode))
run([b"pacman", b"--config", conf.encode()] + pac, "p")
import os
run([os.environ["OMG"].encode(), b"--socket", (t + "/fx.sock").encode()] + omg, "d")
run([os.environ["OMG"].encode(), b"--no-daemon", b"--config", conf.encode(),
    b"--cache", (t + "/emb.db").encode()] + omg, "e")
PY
	prc=$(cat "$T/p.rc") drc=$(cat "$T/d.rc") erc=$(cat "$T/e.rc")
	if cmp -s "$T/p.out" "$T/d.out" && cmp -s "$T/p.out" "$T/e.out" &&
	    cmp -s "$T/p.err" "$T/d.err" && cmp -s "$T/p.err" "$T/e.err" &&
	    [ "$drc $erc" = "$prc $prc" ]; then
		ok 0 "$label"
	else
		ok 1 "$label"
		echo "# pacman $prc, daemon $drc, embedded $erc"
		diff "$T/p.out" "$T/d.out" | sed 's/^/# /' | head -10
		diff "$T/p.err" "$T/d.err" | sed 's/^/# /' | head -10
		diff "$T/p.err" "$T/e.err" | sed 's/^/# /' | head -10
	fi
}

nonutf8=$(printf 'caf\351.txt')
for p in usr/bin/ls usr/bin/sh bin/ls bin sbin/ usr/bin usr/bin/ usr/bin// \
    nonexistent nodir/x nodir/x/ usr/bin/nothere "usr/bin/my tool" \
    "usr/share/doc/firefox/$nonutf8" usr/bin/. usr/bin/.. "" / \
    usr/bin/firefox etc/../usr/bin/ls usr/bin/ls/ usr/share/doc/; do
	cmp3 "owns \$root/$p = pacman -Qo" -Qo "$R/$p" -- owns "$R/$p"
done
cmp3 "owns '' = pacman -Qo '' (no target)" -Qo "" -- owns ""
cmp3 "owns '' '' /x = pacman -Qo" -Qo "" "" /x -- owns "" "" /x
cmp3 "owns /etc/passwd (outside the root) = pacman -Qo" -Qo /etc/passwd \
    -- owns /etc/passwd
cmp3 "owns of three unowned: exit 3 as pacman" -Qo "$R/x" "$R/y" "$R/z" \
    -- owns "$R/x" "$R/y" "$R/z"
cmp3 "owns -q of a file and a directory = pacman -Qoq" -Qoq "$R/usr/bin/ls" \
    "$R/usr/bin" -- owns -q "$R/usr/bin/ls" "$R/usr/bin"
cmp3 "owns --color always = pacman" --color always -Qo "$R/usr/bin/vi" \
    "$R/nope" -- --color always owns "$R/usr/bin/vi" "$R/nope"
cd "$R/usr"
cmp3 "owns of relative paths = pacman -Qo" -Qo bin/ls ./bin ../etc/hostname \
    -- owns bin/ls ./bin ../etc/hostname
cd "$T"
oldpath=$PATH
PATH=$R/usr/bin:$PATH
cmp3 "owns NAME looks in \$PATH as pacman -Qo" -Qo vim nodejs -- owns vim nodejs
PATH=$oldpath

for a in "ls" "usr/bin/ls" "/usr/bin/ls" "//usr/bin/ls" "usr/bin/" "bin" \
    "bin/" "/" "usr" "[" "nothing" "vim vi" "ls nothing" "fish_indent"; do
	# shellcheck disable=SC2086
	cmp3 "files $a = pacman -F $a" -F $a -- files $a
done
for a in "^fi" "^FI" "usr/bin/f.*" "." "([" "([ ^fi" "^fi ([ a{1" "^py.*3$" ""; do
	# shellcheck disable=SC2086
	cmp3 "files -x $a = pacman -Fx $a" -Fx $a -- files -x $a
done
for a in "vim" "extra/vim" "core/vim" "nope" "nope nope2" "core/" "firefox"; do
	# shellcheck disable=SC2086
	cmp3 "files -l $a = pacman -Fl $a" -Fl $a -- files -l $a
done
cmp3 "files -l (every package) = pacman -Fl" -Fl -- files -l
cmp3 "files (no target) = pacman -F" -F -- files
cmp3 "files -q = pacman -Fq" -Fq vim usr/bin/ls -- files -q vim usr/bin/ls
cmp3 "files -qx = pacman -Fqx" -Fqx ^fi usr/bin/f.* -- files -qx ^fi usr/bin/f.*
cmp3 "files -ql = pacman -Fql" -Fql zsh -- files -ql zsh
cmp3 "files --color always = pacman" --color always -F ls vim usr/bin/vim -- \
    --color always files ls vim usr/bin/vim
cmp3 "files -l --color always = pacman" --color always -Fl zsh -- \
    --color always files -l zsh

"$OMG" --socket "$T/fx.sock" owns --json "$R/usr/share/doc/firefox/$nonutf8" \
    "$R/x" | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = d[0]["path"].encode("utf-8", "surrogateescape")
ok = p.endswith(b"/usr/share/doc/firefox/caf\xe9.txt")
ok = ok and d[0]["owners"] == [{"name": "firefox", "version": "70.0-1"}]
ok = ok and d[1]["owners"] == []
sys.exit(0 if ok else 1)'
ok $? "owns --json: a path that is not UTF-8 round-trips (surrogateescape)"
"$OMG" --socket "$T/fx.sock" files --json ls | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = d[0]["packages"][0]
ok = set(p) == {"repo", "name", "version", "groups", "installed", "paths"}
ok = ok and p["paths"] == ["usr/bin/ls"] and p["groups"] == ["base"]
sys.exit(0 if ok else 1)'
ok $? "files --json: the protocol's fields"

# A repo without its .files database: said as pacman says it.
mv "$R/var/lib/pacman/sync/extra.files" "$T/extra.files"
gone() { "$OMG" --socket "$T/fx.sock" files vim >/dev/null 2>&1; [ $? -eq 1 ]; }
within 30 gone
ok $? "extra.files removed: the daemon follows"
cmp3 "files without extra.files = pacman -F (its warning too)" -F ls vim -- \
    files ls vim
cmp3 "files -l without extra.files = pacman -Fl" -Fl zsh vim -- files -l zsh vim
mv "$T/extra.files" "$R/var/lib/pacman/sync/extra.files"

# Live: pacman -U and -R, and a rewritten .files database.
pacman --config "$CONF" -U --noconfirm -dd "$T"/fx/pkgs/community/ripgrep-*.zst \
    > /dev/null
owned() { "$OMG" --socket "$T/fx.sock" owns -q "$R/usr/bin/rg" | grep -qx ripgrep; }
within 30 owned
ok $? "after pacman -U ripgrep: owns sees its files"
cmp3 "after -U: owns = pacman -Qo" -Qo "$R/usr/bin/rg" "$R/usr/bin" -- \
    owns "$R/usr/bin/rg" "$R/usr/bin"
pacman --config "$CONF" -R --noconfirm -dd ripgrep > /dev/null
unowned() { ! "$OMG" --socket "$T/fx.sock" owns "$R/usr/bin/rg"; }
within 30 unowned
ok $? "after pacman -R ripgrep: no package owns its files"
cmp3 "after -R: owns = pacman -Qo" -Qo "$R/usr/bin/rg" -- owns "$R/usr/bin/rg"
d=$(mktemp -d "$T/pkg.XXXXXX")
printf 'pkgname = fd\npkgbase = fd\npkgver = 7.4.0-1\npkgdesc = find\nbuilddate = 1700000000\npackager = F <f@example.org>\nsize = 1\narch = x86_64\n' \
    > "$d/.PKGINFO"
mkdir -p "$d/usr/bin" && echo fd > "$d/usr/bin/fd"
(cd "$d" && bsdtar -cf - .PKGINFO usr) | zstd -q > "$T/fd-7.4.0-1-x86_64.pkg.tar.zst"
repo-add -q "$T/fx/repo/community.db.tar.gz" "$T/fd-7.4.0-1-x86_64.pkg.tar.zst"
cp -L "$T/fx/repo/community.files" "$R/var/lib/pacman/sync/community.files"
found() { "$OMG" --socket "$T/fx.sock" files -q fd | grep -qx community/fd; }
within 30 found
ok $? "a rewritten community.files: files sees the new package"
cmp3 "after the rewrite: files = pacman -F" -F fd rg -- files fd rg

if arch2019; then
	# Every 7th path of the 132 real files lists, under the root (the
	# files are not there: pacman resolves what it can, as omg).
	find "$T/a19/var/lib/pacman/local" -name files -exec cat {} + |
	    grep -v '^%' | grep . | awk 'NR % 7 == 0' |
	    sed "s|^|$T/a19/|" > "$T/paths"
	n=$(wc -l < "$T/paths")
	tr '\n' '\0' < "$T/paths" | xargs -0 pacman --config "$T/a19.conf" -Qo \
	    > "$T/want" 2> "$T/want.err"
	prc=$?
	tr '\n' '\0' < "$T/paths" | xargs -0 "$OMG" --no-daemon \
	    --config "$T/a19.conf" --cache "$T/a19.db" owns > "$T/got" \
	    2> "$T/got.err"
	orc=$?
	same "$T/got" "$T/want" "2019: owns of $n real paths = pacman -Qo"
	same "$T/got.err" "$T/want.err" "2019: and the same errors"
	is "$orc" "$prc" "2019: and exit status"
	pacman --config "$T/a19.conf" -F ls > "$T/want" 2>&1
	prc=$?
	"$OMG" --no-daemon --config "$T/a19.conf" --cache "$T/a19.db" files ls \
	    > "$T/got" 2>&1
	orc=$?
	same "$T/got" "$T/want" "2019 (no .files databases): files warns for each repo as pacman -F"
	is "$orc" "$prc" "2019: and exits as pacman -F"
else
	ok 0 "# SKIP ../shared/data/arch-2019 is not there"
fi
done_testing
