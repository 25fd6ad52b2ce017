#!/bin/sh
# The cache: reused while the pacman databases stand still, rebuilt when
# pacman changes them (in embedded mode at once, in the daemon within 2 s),
# never read while pacman holds db.lck, and rebuilt from scratch when the
# file is damaged or written by another schema.
. "$(dirname "$0")/lib.sh"
need python3
fixture
P="pacman --config $CONF"
E="$OMG --no-daemon --config $CONF --cache $T/emb.db"
DB=$T/fx/root/var/lib/pacman

gen() { python3 -c 'import json,sys; print(json.load(sys.stdin)["cache"]["generation"])'; }
counts() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total_packages"], d["explicit_packages"], d["orphan_packages"], d["updates_available"])'
}
pcounts() {
	echo "$($P -Qq | wc -l) $($P -Qeq | wc -l) $($P -Qdtq | wc -l)" \
	    "$($P -Qu | grep -vc '\[ignored\]$')"
}

is "$($E status --json | gen)" 1 "embedded: the first call builds generation 1"
is "$($E status --json | gen)" 1 "embedded: unchanged databases, the cache is reused"
start_daemon "$CONF" d
is "$("$OMG" --socket "$T/d.sock" status --json | gen)" 1 "daemon: builds its own cache"
kill $_pids; wait $_pids; _pids=""
start_daemon "$CONF" d
is "$("$OMG" --socket "$T/d.sock" status --json | gen)" 1 \
    "daemon restarted: the valid cache is reused, not rebuilt"

# pacman -U while no daemon runs: embedded mode notices at once
$P -U --dbonly --noconfirm -dd "$T"/fx/pkgs/community/ripgrep-*.zst >/dev/null
is "$($E status --json | gen)" 2 "embedded: pacman -U makes a new generation"
$E info ripgrep | grep -q '^Installed *: 11.0.2-1$'
ok $? "embedded: info ripgrep shows it installed"
is "$($E status --json | counts)" "$(pcounts)" "embedded: status = pacman after -U"

# the daemon follows pacman live
installed() { "$OMG" --socket "$T/d.sock" info "$1" | grep -q '^Installed *:'; }
not_installed() { ! installed "$1"; }
daemon_counts() { [ "$("$OMG" --socket "$T/d.sock" status --json | counts)" = "$(pcounts)" ]; }
within2 installed ripgrep
ok $? "daemon: pacman -U seen within 2 s"
$P -R --dbonly --noconfirm mytool >/dev/null
within2 not_installed mytool
ok $? "daemon: pacman -R seen within 2 s"
within2 daemon_counts
ok $? "daemon: status = pacman after -R"
$P -D --asexplicit libfoo >/dev/null
within2 daemon_counts
ok $? "daemon: pacman -D --asexplicit seen within 2 s (orphans = pacman -Qdtq)"

# a sync db replaced the way pacman -Sy does it, while db.lck is held
newer() { "$OMG" --socket "$T/d.sock" search -q --sort repo '^hunspell$' >/dev/null &&
    "$OMG" --socket "$T/d.sock" info hunspell | grep -q '^Version *: 1.7.1-1$'; }
repo_pkg extra hunspell 1.7.1-1 'Spell checker'
"$OMG" --socket "$T/d.sock" search --sort repo '^hunspell$' > "$T/before"
"$OMG" --socket "$T/d.sock" search --sort repo '^hunspell$' > "$T/again"
same "$T/again" "$T/before" "the same search twice: the same answer (the second from the result cache)"
touch "$DB/db.lck"
sync_replace extra
sleep 2
newer
ok $(( $? == 0 )) "db.lck held: the daemon keeps serving the last cache"
rm -f "$DB/db.lck"
within2 newer
ok $? "lock gone: the new sync db is served within 2 s"
"$OMG" --socket "$T/d.sock" search --sort repo '^hunspell$' > "$T/after"
grep -q '^extra/hunspell 1.7.1-1' "$T/after"
ok $? "a cached search answers anew after the rebuild"
within2 daemon_counts
ok $? "daemon: status = pacman after -Sy (updates)"
"$OMG" --socket "$T/d.sock" search --sort repo --limit 1000 . > "$T/got"
$P -Ss > "$T/want"
same "$T/got" "$T/want" "daemon: search . = pacman -Ss after all of it"

# A name new in a sync db: suggest (its answer kept per generation) has it
# at the next generation, though the prefix was asked (and kept) before.
is "$("$OMG" --socket "$T/d.sock" suggest zzsug)" "" "suggest zzsug: nothing yet"
repo_pkg extra zzsuggested 1.0-1 New
sync_replace extra
suggested() { [ "$("$OMG" --socket "$T/d.sock" suggest zzsug)" = zzsuggested ]; }
within2 suggested
ok $? "a new sync package: suggest has it within 2 s (the kept answer dropped)"
$P -Ss > "$T/want"	# pacman's answer now, for the checks below

# damaged files and other schemas
printf 'this is not a database, just bytes' > "$T/bad.db"
"$OMG" --no-daemon --config "$CONF" --cache "$T/bad.db" info bash > /dev/null \
    2> "$T/bad.err"
ok $? "a damaged cache file: moved aside, rebuilt, answered"
[ -f "$T/bad.db.corrupt" ]
ok $? "the damaged file is kept as .corrupt"
grep -q 'damaged: moved to' "$T/bad.err"
ok $? "and says so in one line"

# Damage inside a valid file: only quick_check sees it; the daemon runs it.
cp "$T/emb.db" "$T/q.db"
python3 - "$T/q.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
page = c.execute("PRAGMA page_size").fetchone()[0]
pages = c.execute("PRAGMA page_count").fetchone()[0]
c.close()
with open(sys.argv[1], "r+b") as f:      # scribble over the last pages
    for p in range(max(2, pages - 3), pages):
        f.seek(p * page + 8)
        f.write(b"\xff" * (page - 16))
EOF
start_daemon "$CONF" q
grep -q "the cache was damaged: moved to $T/q.db.corrupt" "$T/q.log"
ok $? "quick_check finds damage inside the file: moved aside, logged"
"$OMG" --socket "$T/q.sock" search --sort repo --limit 1000 . > "$T/got"
same "$T/got" "$T/want" "and the rebuilt cache answers as pacman"

python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version = 99"); c.commit()' "$T/emb.db"
$E status --json > "$T/st"
is "$(gen < "$T/st")" 1 "a cache of another schema version is rebuilt, not misread"
is "$(counts < "$T/st")" "$(pcounts)" "and answers as pacman"
done_testing
