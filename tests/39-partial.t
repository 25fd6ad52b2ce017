#!/bin/sh
# A database that cannot be read is never lost silently: a repo whose one
# package has a name that is not ASCII (read in the user's locale, as
# pacman reads it), a truncated and a missing sync db, a root with no
# local/ yet.  Each: the state, the message (pacman's words), the log,
# doctor, the other repos still served, and healing when the file is good.
. "$(dirname "$0")/lib.sh"
need python3
fixture
DB=$T/fx/root/var/lib/pacman
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
state() { "$OMG" "$@" status --json | field 'd["cache"]["state"]'; }
problems() {
	"$OMG" "$@" status --json |
	    field '"|".join(p["repo"] + ": " + p["message"] for p in d["cache"]["problems"])'
}

edge_repo acc 'namé' 'accented'

# In a UTF-8 locale, as pacman there: the package is read.
LC_ALL=C.UTF-8 pacman --config "$T/acc.conf" -Ss accented > "$T/want"
LC_ALL=C.UTF-8 "$OMG" --no-daemon --config "$T/acc.conf" --cache "$T/u.db" \
    search --sort repo accented > "$T/got"
same "$T/got" "$T/want" "C.UTF-8: acc/namé found, as pacman -Ss finds it"
is "$(LC_ALL=C.UTF-8 state --no-daemon --config "$T/acc.conf" --cache "$T/u.db")" \
    fresh "C.UTF-8: the cache is fresh"

# In the C locale pacman cannot read acc: nor can omg, and it says so.
LC_ALL=C pacman --config "$T/acc.conf" -Ss glibc > /dev/null 2> "$T/perr"
msg=$(sed -n "s/^error: \(could not read db 'acc'.*\)$/\1/p" "$T/perr")
[ -n "$msg" ]
ok $? "C: pacman says: $msg"
E="--no-daemon --config $T/acc.conf --cache $T/c.db"
# shellcheck disable=SC2086
is "$(state $E)" partial "C, embedded: the state is partial, not fresh"
# shellcheck disable=SC2086
is "$(problems $E)" "acc: $msg" "C, embedded: status names the repo, with pacman's message"
# shellcheck disable=SC2086
"$OMG" $E status > "$T/txt"
grep -q "^Not served      : acc: could not read db 'acc'" "$T/txt"
ok $? "C: text status says it too"
# shellcheck disable=SC2086
"$OMG" $E search --sort repo glibc > "$T/got"
LC_ALL=C pacman --config "$T/acc.conf" -Ss glibc > "$T/want" 2>/dev/null
same "$T/got" "$T/want" "C: the other repos are still served (search glibc = pacman)"
"$OMG" --socket "$T/none.sock" --config "$T/acc.conf" --cache "$T/c.db" \
    --advisories "$T/adv.json" doctor > "$T/doc" 2>&1
rc=$?
grep -q "^fail  acc is not served: could not read db 'acc'" "$T/doc"
ok $? "C: doctor fails it, naming the repo"
is "$rc" 1 "C: doctor exits 1"
LC_ALL=C start_daemon "$T/acc.conf" d
is "$(state --socket "$T/d.sock")" partial "C, daemon: partial"
is "$(problems --socket "$T/d.sock")" "acc: $msg" "C, daemon: the same problem"
grep -q "acc is not served: could not read db 'acc'" "$T/d.log"
ok $? "C, daemon: the log says so"
cat "$T/d.log" >&2; stop_daemons

# A truncated sync db: pacman's "could not open file ... truncated gzip
# input"; the rest served; healed when a whole db is back.
cp "$DB/sync/extra.db" "$T/extra.good"
head -c 300 "$DB/sync/extra.db" > "$DB/sync/extra.db.part"
mv "$DB/sync/extra.db.part" "$DB/sync/extra.db"
pacman --config "$CONF" -Ss . > "$T/want" 2> "$T/perr"
msg=$(sed -n 's/^error: \(could not open file .*extra.db: .*\)$/\1/p' "$T/perr")
[ -n "$msg" ]
ok $? "truncated: pacman says: $msg"
start_daemon "$CONF" t
is "$(state --socket "$T/t.sock")" partial "truncated, daemon: partial"
is "$(problems --socket "$T/t.sock")" "extra: $msg" "truncated: pacman's message"
"$OMG" --socket "$T/t.sock" search --sort repo . > "$T/got"
same "$T/got" "$T/want" "truncated: search . = pacman -Ss . (what is readable)"
cp "$T/extra.good" "$DB/sync/extra.db.part"
mv "$DB/sync/extra.db.part" "$DB/sync/extra.db"
fresh_again() { [ "$(state --socket "$T/t.sock")" = fresh ]; }
within2 fresh_again
ok $? "truncated: a whole extra.db again: fresh within 2 s, no restart"

# A missing sync db: pacman's warning, in its words.
rm "$DB/sync/extra.db"
missing() { problems --socket "$T/t.sock" | grep -q "^extra: database file for 'extra' does not exist"; }
within2 missing
ok $? "missing: extra named, 'database file for extra does not exist'"
is "$(state --socket "$T/t.sock")" partial "missing: partial"
cp "$T/extra.good" "$DB/sync/extra.db"
within2 fresh_again
ok $? "missing: back, fresh again"
cat "$T/d.log" >&2; stop_daemons

# A root whose local/ does not exist yet (a new install): the first
# embedded command answers, as pacman does.
mkdir -p "$T/new/var/lib/pacman"
cp -r "$DB/sync" "$T/new/var/lib/pacman/"
sed "s|$T/fx/root|$T/new|g" "$CONF" > "$T/new.conf"
# omg first: pacman's own libalpm would make local/.
"$OMG" --no-daemon --config "$T/new.conf" --cache "$T/n.db" search --sort repo fire \
    > "$T/got" 2>&1
[ -d "$T/new/var/lib/pacman/local" ] || mkdir "$T/new/var/lib/pacman/local"
pacman --config "$T/new.conf" -Ss fire > "$T/want" 2>&1
same "$T/got" "$T/want" "no local/ yet: the first embedded search = pacman -Ss"
done_testing
