#!/bin/sh
# The daemon's own files changing under it, and healing without a restart:
# the cache removed, replaced by garbage, zeroed or truncated in place; a
# rebuild that fails (retried soon, not at the 30 s safety check); a
# SIGHUP during the first build; files in the runtime directory that are
# not the daemon's; the message when pacman changes databases during a
# rebuild.  Answers are checked against pacman, and the cache with
# PRAGMA integrity_check.
. "$(dirname "$0")/lib.sh"
need python3
fixture
DB=$T/fx/root/var/lib/pacman
P="pacman --config $CONF"

answers() {	# the daemon on $T/d.sock answers search . as pacman -Ss .
	"$OMG" --socket "$T/d.sock" search -q --sort repo . > "$T/got" 2>/dev/null &&
	    $P -Ssq > "$T/want" && cmp -s "$T/got" "$T/want"
}
within5() { within 150 "$@"; }	# 15 s: under valgrind a heal is slow
integrity() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
sys.exit(0 if c.execute("PRAGMA integrity_check").fetchone()[0] == "ok" else 1)' "$1"
}
state() {
	"$OMG" --socket "$T/d.sock" status --json | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["cache"]["state"])'
}
deleted_fd() { ls -l "/proc/$dpid/fd" 2>/dev/null | grep -qF "$T/d.db (deleted)"; }

cp "$DB/sync/extra.db" "$T/extra.A"
repo-add -q "$T/fx/repo/extra.db.tar.gz" "$T"/fx/pkgs/community/fish-*.zst
cp -L "$T/fx/repo/extra.db" "$T/extra.B"
cp "$T/extra.A" "$DB/sync/extra.db"
swap() { cp "$T/extra.$1" "$DB/sync/extra.db.part"
	mv "$DB/sync/extra.db.part" "$DB/sync/extra.db"; }

start_daemon "$CONF" d
dpid=${_pids##* }
answers
ok $? "started: answers = pacman"
is "$(stat -c %a "$T/d.db")" 600 "the cache is created 0600: it lists what is installed"

# 1. The cache removed while the daemon runs, then a sync db changes.
t0=$(date +%s%N)
rm -f "$T/d.db" "$T/d.db-wal" "$T/d.db-shm"
swap B
healed_new() { ! deleted_fd && integrity "$T/d.db" && answers; }
within5 healed_new
ok $? "cache removed, extra.db changed: a whole new cache, no fd on the old, answers = pacman (fish is there)"
echo "# healed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
grep -q "was removed or replaced" "$T/d.log"
ok $? "the log says so"
is "$(state)" fresh "state fresh, and true"

# 1b. Garbage put in its place: set aside, rebuilt, no change of pacman's.
t0=$(date +%s%N)
head -c 8192 /dev/urandom > "$T/garbage"
mv "$T/garbage" "$T/d.db"
rm -f "$T/d.db-wal" "$T/d.db-shm"
healed_aside() { [ -e "$T/d.db.corrupt" ] && integrity "$T/d.db" && answers; }
within5 healed_aside
ok $? "garbage at the cache's path: moved to d.db.corrupt, a whole cache, answers = pacman"
echo "# healed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# 2. Zeroed in place (same inode, same size).
rm -f "$T/d.db.corrupt"
t0=$(date +%s%N)
sz=$(stat -c %s "$T/d.db")
dd if=/dev/zero of="$T/d.db" bs="$sz" count=1 conv=notrunc 2>/dev/null
info_glibc() { "$OMG" --socket "$T/d.sock" info glibc | grep -q '^Name *: glibc$'; }
"$OMG" --socket "$T/d.sock" refresh -q > /dev/null 2>&1
healed() { integrity "$T/d.db" && info_glibc && answers; }
within5 healed
ok $? "zeroed in place, then a refresh: a whole cache, info and search = pacman, no restart"
echo "# healed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
# 2b. Truncated in place.
t0=$(date +%s%N)
truncate -s 0 "$T/d.db"
"$OMG" --socket "$T/d.sock" status > /dev/null 2>&1
"$OMG" --socket "$T/d.sock" refresh -q > /dev/null 2>&1
within5 healed
ok $? "truncated to 0 bytes in place: a whole cache, info and search answer again"
echo "# healed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# 4. A rebuild that fails is tried again soon, with no change of the
# databases: a sync db that is a FIFO holds the rebuilder, which is killed.
rebuilder() { pgrep -f -- "rebuild-cache .*--cache $T/d.db" | head -1; }
mkfifo "$T/fifo"
ln -s "$T/fifo" "$T/fifolink"	# the FIFO keeps a path of its own
mv "$T/fifolink" "$DB/sync/extra.db"
has_rebuilder() { [ -n "$(rebuilder)" ]; }
within5 has_rebuilder
first=$(rebuilder)
kill -9 "$first" 2>/dev/null
t0=$(date +%s%N)
another() { r=$(rebuilder); [ -n "$r" ] && [ "$r" != "$first" ]; }
within5 another
ok $? "a killed rebuild is tried again with no database change"
echo "# retried after $(( ($(date +%s%N) - t0) / 1000000 )) ms (the safety check: 30 s)"
grep -q "trying again in" "$T/d.log"
ok $? "the log says when"
swap A
# The retry blocked on the FIFO: open it for writing and close it; the
# rebuilder reads nothing, fails, and the next retry reads the real file.
timeout 5 sh -c ": > '$T/fifo'"
within5 answers
ok $? "a real extra.db again: answers = pacman"
stop_daemons

# 5. SIGHUP (and SIGTERM) during the first build: handled, not fatal.
# first_build PATTERN: wait (2 s at most) for its rebuilder to run.
first_build() {
	_w=0
	while [ $_w -lt 400 ] && ! pgrep -f -- "rebuild-cache .*--cache $1" \
	    > /dev/null; do
		sleep 0.005
		_w=$((_w + 1))
	done
}
"$OMG" --daemon --socket "$T/h.sock" --config "$CONF" --cache "$T/h.db" \
    2> "$T/h.log" &
hpid=$!
first_build "$T/h.db"
kill -HUP "$hpid"
up() { "$OMG" --socket "$T/h.sock" --config /nonexistent ping; }
within5 up
ok $? "a SIGHUP during the first build: the daemon lives and answers"
kill -HUP "$hpid"
sleep 0.2
up > /dev/null 2>&1
ok $? "and after a second one"
kill "$hpid"; wait "$hpid"
is "$?" 0 "it exits 0 on SIGTERM"
"$OMG" --daemon --socket "$T/t.sock" --config "$CONF" --cache "$T/t.db" \
    2> "$T/t.log" &
tpid=$!
first_build "$T/t.db"
kill "$tpid"; wait "$tpid"
rc=$?
[ ! -e "$T/t.sock" ] && [ ! -e "$T/t.sock.lock" ]
is "$rc $?" "0 0" "a SIGTERM during the first build: exit 0, socket and lock removed"

# 6. Files in the runtime directory that are not the daemon's.
echo "my notes" > "$T/f.sock"
timeout 10 "$OMG" --daemon --socket "$T/f.sock" --config "$CONF" --cache "$T/f.db" \
    2> "$T/f.log"
is "$? $(cat "$T/f.sock")" "1 my notes" "a regular file at the socket path: refused, left as it was"
grep -q "exists and is not a socket" "$T/f.log"
ok $? "and it says so"
echo "keep me" > "$T/target"
ln -s "$T/target" "$T/g.sock.lock"
timeout 10 "$OMG" --daemon --socket "$T/g.sock" --config "$CONF" --cache "$T/g.db" \
    2> "$T/g.log"
is "$? $(cat "$T/target")" "1 keep me" "a symlink at the lock path: refused, its target untouched"
grep -q "symbolic link" "$T/g.log"
ok $? "and it says so"
mkdir -m 0755 "$T/open"
(cd "$T/open" && timeout 10 "$OMG" --daemon --socket omg.sock --config "$CONF" \
    --cache "$T/o.db") 2> "$T/o.log"
grep -q "socket directory \. is open to other users" "$T/o.log"
ok $? "--socket omg.sock: the directory it names is '.', not omg.sock"

# 7. pacman changing databases during rebuilds: never called a lock.
start_daemon "$CONF" d
( i=0; while [ $i -lt 60 ]; do swap B; sleep 0.01; swap A; sleep 0.01
	i=$((i + 1)); done ) &
swapper=$!
: > "$T/refresh.err"
j=0
while [ $j -lt 15 ]; do
	"$OMG" --socket "$T/d.sock" refresh -q 2>> "$T/refresh.err"
	j=$((j + 1))
done
wait "$swapper"
! grep -q "holds its database lock" "$T/refresh.err"
ok $? "databases swapped during 15 refreshes: no answer blames a lock nobody held"
within5 answers
ok $? "quiet again: answers = pacman"
integrity "$T/d.db"
ok $? "the cache is whole"
done_testing
