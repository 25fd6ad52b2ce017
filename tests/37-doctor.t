#!/bin/sh
# omg doctor: a missing daemon, a bad socket mode, a held and a stale
# db.lck, each reported on one line with what to do; exit 1 only on fail.
. "$(dirname "$0")/lib.sh"
fixture
DB=$T/fx/root/var/lib/pacman
doc() { "$OMG" --socket "$T/d.sock" --config "$CONF" --cache "$T/d.db" \
    --advisories "$T/adv.json" doctor > "$T/out" 2>&1; }

doc
rc=$?
grep -q '^warn  no daemon answers' "$T/out"
ok $? "no daemon: a warning that says how to start one"
is "$rc" 0 "warnings only: exit 0"
grep -q '^ok    .*pacman.conf: 3 repositories$' "$T/out"
ok $? "pacman.conf and its repositories"
grep -q '^warn  no cache at' "$T/out"
ok $? "no cache yet: said, not built by doctor"
[ ! -e "$T/d.db" ]
ok $? "doctor builds nothing"

start_daemon "$CONF" d
doc
grep -q '^ok    daemon answers: omg [0-9.]*, protocol 1$' "$T/out" &&
    grep -q '^ok    socket .* mode 0600$' "$T/out"
ok $? "a running daemon: its version and protocol; the socket's mode"
grep -q '^ok    cache .*generation 1' "$T/out"
ok $? "the cache's generation and age"
grep -q "^ok    search file $T/d.db.search: current" "$T/out"
ok $? "the daemon's rebuild wrote the search file; current"
cp "$T/d.db.search" "$T/keep.search"
truncate -s 100 "$T/d.db.search"
doc
grep -q "^warn  search file $T/d.db.search is older than the databases or damaged" "$T/out"
ok $? "a damaged search file: a warning"
rm "$T/d.db.search"
doc
grep -q "^warn  no search file $T/d.db.search" "$T/out"
ok $? "no search file: a warning"
mv "$T/keep.search" "$T/d.db.search"

chmod 0666 "$T/d.sock"
doc
rc=$?
grep -q "^fail  socket $T/d.sock has mode 0666" "$T/out"
ok $? "a socket forced to 0666 fails"
is "$rc" 1 "a failure: exit 1"
chmod 0600 "$T/d.sock"

touch "$DB/db.lck"
doc
grep -q "^warn  pacman holds $DB/db.lck" "$T/out"
ok $? "a held db.lck: pacman is at work, a warning"
touch -d '3 hours ago' "$DB/db.lck"
doc
rc=$?
grep -q "^fail  $DB/db.lck is stale" "$T/out"
ok $? "a db.lck from hours ago: stale, a failure with what to do"
is "$rc" 1 "exit 1"
rm -f "$DB/db.lck"
printf '[]' > "$T/adv.json"
doc
grep -q '^ok    advisories' "$T/out"
ok $? "fresh advisories are ok"

# A diagnosis changes nothing: a cache of another schema version and a
# damaged one are reported with what the next query would do, and left
# byte for byte as they were.
docc() { "$OMG" --socket "$T/none.sock" --config "$CONF" --cache "$1" \
    --advisories "$T/adv.json" doctor > "$T/out" 2>&1; }
python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE pkg (name TEXT)")
c.execute("INSERT INTO pkg VALUES (\"kept\")")
c.execute("PRAGMA user_version = 1")
c.commit()' "$T/old.db"
sum=$(cksum < "$T/old.db")
docc "$T/old.db"
grep -q "^warn  cache $T/old.db has schema version 1" "$T/out"
ok $? "another schema version: a warning naming it"
is "$(cksum < "$T/old.db")" "$sum" "doctor leaves that cache as it was"
printf 'not a database, %0100d\n' 0 > "$T/bad.db"
sum=$(cksum < "$T/bad.db")
docc "$T/bad.db"
grep -q "^warn  cache $T/bad.db is damaged" "$T/out"
ok $? "a damaged cache: a warning"
is "$(cksum < "$T/bad.db") $(ls "$T" | grep -c corrupt)" "$sum 0" \
    "doctor leaves the damaged cache in place (nothing moved aside)"
done_testing
