#!/bin/sh
# The search file (CACHE.search): embedded searches map it instead of
# loading SQLite, only while it was built from the databases as they are
# (pacman -U and -Sy make it old; -D does not change what a search shows),
# never while pacman holds db.lck, and a file that is absent, damaged or
# not a file is answered around (from the cache, as pacman -Ss answers)
# and written again.
. "$(dirname "$0")/lib.sh"
need python3
fixture
P="pacman --config $CONF"
C=$T/emb.db
F=$C.search
E="$OMG --no-daemon --config $CONF --cache $C"
DB=$T/fx/root/var/lib/pacman

# Whether a command loads libsqlite3 (ld.so names each library it maps).
sqlite_loaded() { LD_DEBUG=libs "$@" 2>&1 >/dev/null | grep -q 'libsqlite3'; }
# diff_search NAME TERM...: the embedded search, byte for byte pacman's
diff_search() {
	name=$1
	shift
	$E search --sort repo --limit 1000 "$@" > "$T/got" 2>"$T/err"
	$P -Ss "$@" > "$T/want"
	same "$T/got" "$T/want" "$name: search $* = pacman -Ss"
}
# A file's inode and mtime: changes when it is written again.
ident() { stat -c '%i %Y.%y' "$1" 2>/dev/null; }

$E status >/dev/null
ok $(test -f "$F"; echo $?) "the first rebuild writes the search file"
is "$(stat -c %a "$F")" 600 "the search file is the user's only (0600)"

# LD_DEBUG is glibc's: without it the loading cannot be seen.
lddebug=no
LD_DEBUG=libs "$OMG" --version 2>&1 | grep -q 'libc\.so' && lddebug=yes
if [ "$lddebug" = yes ]; then
	sqlite_loaded $E info glibc
	ok $? "control: embedded info loads libsqlite3 (the check can fail)"
	sqlite_loaded $E search fire
	ok $(( $? == 0 )) "embedded search from the search file: no libsqlite3"
else
	ok 0 "# SKIP LD_DEBUG does not show what ld.so loads here"
	ok 0 "# SKIP LD_DEBUG does not show what ld.so loads here"
fi

for q in fire '^lib' 'python' 'fire fox' 'x.*font' '.' 'nothing-matches'; do
	# shellcheck disable=SC2086
	diff_search "from the search file" $q
done

# pacman -U: a new package installed, the file is old; the search sees it
before=$(ident "$F")
$P -U --dbonly --noconfirm -dd "$T"/fx/pkgs/community/ripgrep-*.zst >/dev/null
diff_search "after pacman -U" ripgrep
grep -q '^community/ripgrep 11.0.2-1 \[installed\]$' "$T/got"
ok $? "after pacman -U: ripgrep [installed]"
[ "$(ident "$F")" != "$before" ]
ok $? "after pacman -U: the search file was written again"
if LD_DEBUG=libs "$OMG" --version 2>&1 | grep -q 'libc\.so'; then
	sqlite_loaded $E search ripgrep
	ok $(( $? == 0 )) "after pacman -U: the next search maps the new file"
else
	ok 0 "# SKIP LD_DEBUG does not show what ld.so loads here"
fi

# pacman -D: the install reason is no part of a search; info sees it
before=$(ident "$F")
$P -D --asdeps firefox >/dev/null
diff_search "after pacman -D" fire
is "$(ident "$F")" "$before" "after pacman -D: the search file still holds"
is "$($E info firefox | grep '^Install Reason')" \
    "$($P -Qi firefox | grep '^Install Reason')" \
    "after pacman -D: info shows the new reason (from the rebuilt cache)"

# local/ touched (nothing a stamp of the cache sees changed): the file
# is not taken, and not written again with a stamp no search would take
before=$(ident "$F")
sleep 0.01
touch "$DB/local"
diff_search "local/ touched" fire
ok $(test "$(ident "$F")" = "$before"; echo $?) \
    "local/ touched: the cache answers; the file is left as it was"

# pacman -R: gone from the local db, no longer [installed]
$P -R --dbonly --noconfirm ripgrep >/dev/null
diff_search "after pacman -R" ripgrep

# a sync db replaced as pacman -Sy does: a new version is searched
repo_pkg extra hunspell 1.7.1-1 'Spell checker'
sync_replace extra
diff_search "after pacman -Sy" hunspell
grep -q '^extra/hunspell 1.7.1-1 ' "$T/got"
ok $? "after pacman -Sy: the new version"

# db.lck held by pacman: the file is not taken; the last cache answers,
# and says so, as before
touch "$DB/db.lck"
$E search fire >/dev/null 2>"$T/err"
grep -q 'pacman holds its database lock' "$T/err"
ok $? "db.lck held: not from the search file; the cache says why"
rm -f "$DB/db.lck"

# sfedit PYTHON: PYTHON run over the search file's bytes d, written back
# when it changed them, with its counts c and where each part begins
# (searchfile.h): stamp, off (the rows' offsets), nonascii, image, index,
# and end.
sfedit() {
	python3 - "$F" "$1" <<'PY'
import struct, sys
f = sys.argv[1]
d = bytearray(open(f, 'rb').read())
was = bytes(d)
c = struct.unpack('6I', d[16:40])
p4 = lambda n: (n + 3) & ~3
stamp = 40
off = stamp + p4(c[0])
nonascii = off + (c[1] + 1) * 4
image = nonascii + c[2] * 4
index = image + p4(c[3])
end = index + p4(c[4])
exec(sys.argv[2])
if bytes(d) != was:
    open(f, 'wb').write(d)
PY
}

# Damaged files: each answered around, from the cache, then written again
damage() {	# NAME, a search that reads the damage, a command that makes it
	name=$1
	q=$2
	shift 2
	"$@"
	ok $? "$name: made"
	if [ "$lddebug" = yes ]; then
		sqlite_loaded $E search "$q"
		ok $? "$name: not taken (the cache answers)"
		"$@"	# again: that search wrote it anew
	fi
	diff_search "$name" fire
	diff_search "$name" '.'
	$E search fire >/dev/null 2>&1
	sfedit "assert d[:16] == b'omg-searchfile1\\0' and len(d) == end"
	ok $? "$name: the file is whole again"
}
truncate_half() { truncate -s $(( $(stat -c %s "$F") / 2 )) "$F"; }
damage "truncated" fire truncate_half
damage "empty" fire truncate -s 0 "$F"
zero_header() { dd if=/dev/zero of="$F" bs=1 count=64 conv=notrunc 2>/dev/null; }
damage "magic zeroed" fire zero_header
# A row's offset past the image: read (every row, for '.') and refused.
bad_offset() {	# row 3's
	sfedit "d[off + 4 * 3:off + 4 * 4] = struct.pack('I', 0xfffffff0)"
}
damage "a row's offset out of the image" . bad_offset
# A trigram bucket's end past the lists: refused where a search reads it.
bad_bucket() {	# every bucket's but the first's and the last's
	sfedit "
assert d[index:index + 12] == b'omg-trigram1'
for b in range(1, 1 << 18):
    d[index + 16 + 4 * b:index + 20 + 4 * b] = struct.pack('I', 0x7fffffff)"
}
damage "the index's buckets out of its lists" fire bad_bucket
# From another build of the databases (an old stamp): not taken.
old_stamp() {	# the stamp's last digit (local/'s ctime)
	sfedit "
i = off - p4(c[0]) + c[0] - 1
assert d[i:i + 1].isdigit()
d[i:i + 1] = b'9' if d[i:i + 1] != b'9' else b'8'"
}
damage "another build's stamp" fire old_stamp

# Not a file: a symbolic link is not followed, a directory not read.
echo "not a search file" > "$T/other"
rm -f "$F"
ln -s "$T/other" "$F"
diff_search "a symlink in its place" fire
is "$(cat "$T/other")" "not a search file" "a symlink in its place: not written through"
rm -f "$F"
mkdir "$F"
diff_search "a directory in its place" fire
rmdir "$F"
$E search fire >/dev/null
ok $(test -f "$F"; echo $?) "the directory gone: written again"

# A cache that has none (removed): the next search writes it.
rm -f "$F"
diff_search "no search file" fire
ok $(test -f "$F"; echo $?) "no search file: the search writes it"

done_testing
