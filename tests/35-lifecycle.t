#!/bin/sh
# The daemon's life: one per socket, stale sockets replaced, clean exits,
# SIGHUP, systemd socket activation, pacman's lock (held, stale), rebuilds
# out of the daemon's process, inotify overflow, and a cache that survives
# SIGKILL at any point of a rebuild.
. "$(dirname "$0")/lib.sh"
need python3
fixture
P="pacman --config $CONF"
DB=$T/fx/root/var/lib/pacman
state() { "$OMG" --socket "$1" status --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["cache"]["state"])'; }
gen() { python3 -c 'import json,sys; print(json.load(sys.stdin)["cache"]["generation"])'; }
is_state() { [ "$(state "$1")" = "$2" ]; }

start_daemon "$CONF" d
pid=${_pids##* }
is "$(cat "$T/d.sock.lock")" "$pid
$T/d.sock" "the lock file holds the PID and the socket path"
"$OMG" --daemon --socket "$T/d.sock" --config "$CONF" --cache "$T/d2.db" \
    2> "$T/err2"
is "$?" 1 "a second daemon on the same socket exits 1"
grep -q "another omg daemon (pid $pid) serves $T/d.sock" "$T/err2"
ok $? "and says which daemon holds it"
"$OMG" --socket "$T/d.sock" ping > /dev/null
ok $? "the first daemon still answers"

# SIGKILL leaves a socket and a lock file; the next daemon replaces them.
kill -9 "$pid"; wait "$pid" 2>/dev/null; _pids=""
[ -S "$T/d.sock" ] && [ -f "$T/d.sock.lock" ]
ok $? "a killed daemon leaves its socket file behind"
start_daemon "$CONF" d
grep -q "removed the stale socket" "$T/d.log"
ok $? "the next daemon removes the stale socket and serves"
pid=${_pids##* }

# Rebuilds happen in a child: libalpm never enters the daemon.
$P -U --dbonly --noconfirm -dd "$T"/fx/pkgs/community/ripgrep-*.zst >/dev/null
inst() { "$OMG" --socket "$T/d.sock" info ripgrep | grep -q '^Installed *:'; }
within2 inst
ok $? "pacman -U seen"
grep -c libalpm "/proc/$pid/maps" > "$T/n"
is "$(cat "$T/n")" 0 "the daemon never maps libalpm (rebuilds run in a child)"
"$OMG" --socket "$T/d.sock" status --json > "$T/st"
stall=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["server"]["loop_stall_max_us"])' < "$T/st")
echo "# longest loop stall so far: $stall us (build: $(python3 -c 'import json,sys; print(json.load(sys.stdin)["cache"]["build_ms"])' < "$T/st") ms)"

# pacman's lock
touch "$DB/db.lck"
within2 is_state "$T/d.sock" locked
ok $? "db.lck held: status says locked"
"$OMG" --socket "$T/d.sock" search -q ripgrep > /dev/null
ok $? "db.lck held: answers keep coming from the last cache"
rm -f "$DB/db.lck"
within2 is_state "$T/d.sock" fresh
ok $? "db.lck gone: fresh again"
touch -d '2 hours ago' "$DB/db.lck"
$P -R --dbonly --noconfirm ripgrep >/dev/null 2>&1 ||
    { rm -f "$DB/db.lck"; $P -R --dbonly --noconfirm ripgrep >/dev/null;
      touch -d '2 hours ago' "$DB/db.lck"; }
notinst() { ! inst; }
within2 notinst
ok $? "a db.lck from 2 hours ago is not waited on: the change is served"
is "$(state "$T/d.sock")" stale "and status reports the stale lock"
rm -f "$DB/db.lck"

# SIGHUP re-reads pacman.conf
updates() { "$OMG" --socket "$T/d.sock" status --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["updates_available"])'; }
before=$(updates)
sed -i 's/^IgnorePkg = vim$/IgnorePkg = vim bash/' "$CONF"
kill -HUP "$pid"
want=$($P -Qu | grep -vc '\[ignored\]$')
upd_is() { [ "$(updates)" = "$want" ]; }
within2 upd_is
ok $? "SIGHUP: IgnorePkg bash counts, updates $before -> $want as pacman"
sed -i 's/^IgnorePkg = vim bash$/IgnorePkg = vim/' "$CONF"
kill -HUP "$pid"

# inotify overflow: lose events on purpose, then expect a full rebuild.
g0=$("$OMG" --socket "$T/d.sock" status --json | gen)
kill -STOP "$pid"
mkdir -p "$DB/sync/junk"
max=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null || echo 16384)
python3 -c 'import os,sys; d=sys.argv[1]; [open(os.path.join(d, "j%d" % i), "w").close() for i in range(int(sys.argv[2]) + 100)]' \
    "$DB/sync" "$max"
kill -CONT "$pid"
gen_moved() { [ "$("$OMG" --socket "$T/d.sock" status --json | gen)" -gt "$g0" ]; }
within2 gen_moved
ok $? "IN_Q_OVERFLOW: a full rebuild"
grep -q 'overflow' "$T/d.log"
ok $? "and the log says why"
rm -rf "$DB/sync/junk" "$DB"/sync/j[0-9]*

# SIGTERM removes what the daemon made
kill "$pid"; wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
_pids=""
[ ! -e "$T/d.sock" ] && [ ! -e "$T/d.sock.lock" ]
ok $? "SIGTERM: socket and lock file removed"

# systemd socket activation
if command -v systemd-socket-activate >/dev/null 2>&1; then
	systemd-socket-activate -l "$T/act.sock" "$OMG" --daemon \
	    --socket "$T/act.sock" --config "$CONF" --cache "$T/act.db" \
	    2> "$T/act.log" &
	apid=$!
	_pids="$_pids $apid"
	i=0
	while [ ! -S "$T/act.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	out=$("$OMG" --socket "$T/act.sock" --config /nonexistent ping 2>&1)
	is "$out" pong "socket activation: the first connection starts the daemon"
	"$OMG" --socket "$T/act.sock" search -q --sort repo fire > "$T/got"
	$P -Ssq fire > "$T/want"
	same "$T/got" "$T/want" "socket activation: answers = pacman"
	kill "$apid"; wait "$apid"; _pids=""
	[ -S "$T/act.sock" ]
	ok $? "socket activation: the daemon never unlinks a socket it was given"
else
	ok 0 "# SKIP systemd-socket-activate is not installed"
fi

# SIGKILL at random points of a rebuild, 50 times: the cache is always one
# whole generation, the old or the new.
cp "$DB/sync/extra.db" "$T/extra.A"
repo-add -q "$T/fx/repo/extra.db.tar.gz" "$T"/fx/pkgs/community/fish-*.zst
cp -L "$T/fx/repo/extra.db" "$T/extra.B"
rowsA=$(( $($P -Slq | wc -l) + $($P -Qq | wc -l) ))
cp "$T/extra.B" "$DB/sync/extra.db"
rowsB=$(( $($P -Slq | wc -l) + $($P -Qq | wc -l) ))
cp "$T/extra.A" "$DB/sync/extra.db"
"$OMG" --no-daemon --config "$CONF" --cache "$T/k.db" ping > /dev/null
bad=0
i=0
while [ $i -lt 50 ]; do
	if [ $((i % 2)) -eq 0 ]; then cp "$T/extra.B" "$DB/sync/extra.db.part"
	else cp "$T/extra.A" "$DB/sync/extra.db.part"; fi
	mv "$DB/sync/extra.db.part" "$DB/sync/extra.db"
	"$OMG" --rebuild-cache --config "$CONF" --cache "$T/k.db" 2>/dev/null &
	k=$!
	sleep "0.00$(( (i * 7) % 10 ))$(( (i * 3) % 10 ))"
	kill -9 "$k" 2>/dev/null
	wait "$k" 2>/dev/null
	python3 - "$T/k.db" "$rowsA" "$rowsB" <<'EOF' || bad=$((bad + 1))
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
rows = c.execute("SELECT count(*) FROM pkg").fetchone()[0]
meta = int(c.execute("SELECT value FROM meta WHERE key='packages'").fetchone()[0])
assert rows == meta and rows in (int(sys.argv[2]), int(sys.argv[3])), (rows, meta)
EOF
	i=$((i + 1))
done
is "$bad" 0 "SIGKILL during 50 rebuilds: always one whole generation"
"$OMG" --no-daemon --config "$CONF" --cache "$T/k.db" search -q --sort repo . > "$T/got"
$P -Ssq > "$T/want"
same "$T/got" "$T/want" "and the next start answers as pacman"

# Writers take turns: five stale clients at once, one rebuild.
g0=$("$OMG" --no-daemon --config "$CONF" --cache "$T/k.db" status --json | gen)
cp "$T/extra.B" "$DB/sync/extra.db.part"; mv "$DB/sync/extra.db.part" "$DB/sync/extra.db"
for j in 1 2 3 4 5; do
	"$OMG" --no-daemon --config "$CONF" --cache "$T/k.db" status --json \
	    > "$T/w$j" 2>&1 &
done
wait
gens=$(for j in 1 2 3 4 5; do gen < "$T/w$j"; done | sort -u | tr '\n' ' ')
is "$gens" "$((g0 + 1)) " "five concurrent stale clients: one rebuild, one new generation"
done_testing
