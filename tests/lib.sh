# lib.sh - TAP helpers and fixtures for omg's shell tests.
#
# Sourced by tests/*.t.  Every test works in its own temporary directory,
# removed by an EXIT trap that also stops any daemon it started.

set -u
LC_ALL=C
TZ=UTC
export LC_ALL TZ
unset OMG_SOCKET XDG_RUNTIME_DIR

TOP=$(cd "$(dirname "$0")/.." && pwd)
OMG=${OMG:-$TOP/omg}
T=$(mktemp -d "${TMPDIR:-/tmp}/omg-test.XXXXXX")
chmod 700 "$T"
_n=0
_failed=0
_pids=""

cleanup() {
	for p in $_pids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 129' HUP INT TERM

plan() { echo "1..$1"; }
ok() {
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
}
# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}
# same FILE_GOT FILE_WANT NAME: byte comparison with a diff on failure
same() {
	if cmp -s "$1" "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diff -u "$2" "$1" | head -20 | sed 's/^/#   /'
	fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
# Stop every daemon this test started: each must exit 0 on SIGTERM (under
# valgrind or the sanitizers an error report changes that status).
stop_daemons() {
	for p in $_pids; do
		kill "$p" 2>/dev/null
		wait "$p"
		is "$?" 0 "daemon $p exits 0 on SIGTERM"
	done
	_pids=""
}
done_testing() { stop_daemons; echo "1..$_n"; [ "$_failed" -eq 0 ]; }

# within TENTHS CMD...: true as soon as CMD succeeds, trying for TENTHS
# tenths of a second; within2 CMD...: for 2 seconds.
within() {
	_wmax=$1
	shift
	_w=0
	while [ $_w -lt "$_wmax" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_w=$((_w + 1))
	done
	return 1
}
within2() { within 20 "$@"; }

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
	done
}

# fixture: build the pacman databases of tests/mkfixture into $T/fx.
fixture() {
	need pacman repo-add bsdtar zstd
	"$TOP/tests/mkfixture" "$T/fx" >/dev/null || {
		echo "Bail out! mkfixture failed"; exit 1; }
	CONF=$T/fx/pacman.conf
}

# arch2019: a writable copy of ../shared/data/arch-2019 in $T/a19, or 1.
arch2019() {
	src=$TOP/../shared/data/arch-2019
	[ -d "$src/sync" ] || return 1
	mkdir -p "$T/a19/var/lib/pacman"
	cp -r "$src/sync" "$src/local" "$T/a19/var/lib/pacman/"
	chmod -R u+w "$T/a19"
	cat > "$T/a19.conf" <<CONF
[options]
RootDir = $T/a19
DBPath = $T/a19/var/lib/pacman/
Architecture = x86_64
SigLevel = Never
[core]
[extra]
[multilib]
CONF
	return 0
}

# repo_pkg REPO NAME VERSION DESC: a package NAME (any bytes) of VERSION
# with description DESC, made with bsdtar and added with repo-add to the
# fixture's sync repo REPO ($T/fx/repo; pacman's copy is left alone).
repo_pkg() {
	_d=$(mktemp -d "$T/pkg.XXXXXX")
	printf 'pkgname = %s\npkgbase = %s\npkgver = %s\npkgdesc = %s\nbuilddate = 1700000000\npackager = F <f@example.org>\nsize = 1\narch = x86_64\nlicense = MIT\n' \
	    "$2" "$2" "$3" "$4" > "$_d/.PKGINFO"
	(cd "$_d" && bsdtar -cf - .PKGINFO) | zstd -q > "$T/$2-$3-x86_64.pkg.tar.zst"
	LC_ALL=C.UTF-8 repo-add -q "$T/fx/repo/$1.db.tar.gz" \
	    "$T/$2-$3-x86_64.pkg.tar.zst"
}

# sync_replace REPO: the fixture repo's database put in pacman's place as
# pacman -Sy does it (a new file renamed over the old).
sync_replace() {
	cp -L "$T/fx/repo/$1.db" "$T/fx/root/var/lib/pacman/sync/$1.db.part" &&
	    mv "$T/fx/root/var/lib/pacman/sync/$1.db.part" \
	    "$T/fx/root/var/lib/pacman/sync/$1.db"
}

# edge_repo REPO NAME DESC: a sync repo REPO of the fixture holding one
# package NAME (any bytes) with description DESC, made with bsdtar and
# repo-add, and $T/REPO.conf: the fixture's pacman.conf with [REPO] last.
edge_repo() {
	repo_pkg "$1" "$2" 1.0-1 "$3" || return 1
	cp -L "$T/fx/repo/$1.db" "$T/fx/root/var/lib/pacman/sync/$1.db"
	{ cat "$CONF"; printf '[%s]\n' "$1"; } > "$T/$1.conf"
}

# start_daemon CONF NAME [ARG...]: a daemon on $T/NAME.sock with cache
# $T/NAME.db (and the further arguments), once it answers a ping.
start_daemon() {
	_conf=$1 _name=$2
	shift 2
	sock=$T/$_name.sock
	"$OMG" --daemon --socket "$sock" --config "$_conf" \
	    --cache "$T/$_name.db" "$@" 2>>"$T/$_name.log" &
	_pid=$!
	_pids="$_pids $_pid"
	i=0
	# Only the daemon can answer: embedded mode has no config to read.
	# Up to 120 s (it builds its cache before serving: seconds under ASan
	# on a loaded machine), not a moment longer once it has exited.
	while [ $i -lt 2400 ] && kill -0 "$_pid" 2>/dev/null; do
		"$OMG" --socket "$sock" --config /nonexistent ping \
		    >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "Bail out! daemon did not start"
	cat "$T/$_name.log"
	exit 1
}
