#!/bin/sh
# pacman.conf: omg's parser (src/conf.c) against pacman-conf, byte for byte,
# on configurations that exercise every rule it claims to follow.
. "$(dirname "$0")/lib.sh"
need pacman-conf

conf_case() {
	"$TOP/tests/unit/conf" "$1" > "$T/got" 2>&1
	{ pacman-conf --config "$1" -v RootDir DBPath Architecture IgnorePkg \
	    IgnoreGroup; pacman-conf --config "$1" --repo-list; } > "$T/want" 2>&1
	same "$T/got" "$T/want" "$2"
}

mkdir -p "$T/inc"
cat > "$T/1.conf" <<EOF
# comment
[options]
RootDir     = $T/root
Architecture = auto
IgnorePkg = vim  linux
IgnorePkg=zsh
   IgnoreGroup = gnome # not a comment
Include = $T/inc/*.conf
[core]
Include = $T/mirrorlist
[extra]
SigLevel = Never
EOF
echo 'Server = http://mirror/$repo/os/$arch' > "$T/mirrorlist"
printf '[options]\nIgnorePkg = fromglob\n[zeta]\n' > "$T/inc/b.conf"
printf '[alpha]\nServer = x\n' > "$T/inc/a.conf"
conf_case "$T/1.conf" "Include with globs, sections inside includes, auto arch"

cat > "$T/2.conf" <<EOF
[options]
DBPath = $T/db
RootDir = /
Architecture = x86_64 i686
UseSyslog
Color
[testing]
[core]
[core]
EOF
conf_case "$T/2.conf" "DBPath without a slash, two arches, bare keys, a repeated repo"

printf '[options]\n' > "$T/3.conf"
conf_case "$T/3.conf" "defaults when nothing is set"

cat > "$T/4.conf" <<EOF
[options]
   RootDir = $T/r2/
IgnoreGroup = a b
IgnoreGroup = c
[custom]
Server = file:///srv/repo
EOF
conf_case "$T/4.conf" "RootDir with a trailing slash"

printf '[options]\nInclude = %s/inc/none-*.conf\n' "$T" > "$T/6.conf"
"$TOP/tests/unit/conf" "$T/6.conf" >/dev/null 2>&1
got=$?
pacman-conf --config "$T/6.conf" RootDir >/dev/null 2>&1
is "$(( got != 0 ))$(( $? != 0 ))" "11" "an Include matching nothing is an error for both"

fixture
conf_case "$CONF" "the fixture's pacman.conf"
if arch2019; then
	conf_case "$T/a19.conf" "the arch-2019 pacman.conf"
else
	ok 0 "# SKIP ../shared/data/arch-2019 is not there"
fi

"$TOP/tests/unit/conf" "$T/missing.conf" >/dev/null 2>"$T/err"
ok $(( $? == 0 )) "a missing file is an error"
printf '[options]\nInclude = %s/5.conf\n' "$T" > "$T/5.conf"
"$TOP/tests/unit/conf" "$T/5.conf" >/dev/null 2>"$T/err"
grep -q 'exceeded max recursion depth' "$T/err"
ok $? "an Include loop is refused, not followed forever"

# What pacman refuses, omg refuses, with pacman's message (the line named);
# pacman exits 1, omg 3: it cannot answer (1 would say "nothing found").
head -7 "$CONF" > "$T/opts"
tail -n +8 "$CONF" > "$T/repos"
bad() {
	{ cat "$T/opts"; printf "$1"; cat "$T/repos"; } > "$T/bad.conf"
	pacman --config "$T/bad.conf" -Ss glibc > /dev/null 2> "$T/perr"
	prc=$?
	"$OMG" --no-daemon --config "$T/bad.conf" --cache "$T/bad.db" \
	    search glibc > /dev/null 2> "$T/oerr"
	orc=$?
	want=$(sed -n '1s/^error: //p' "$T/perr")
	is "$prc $orc $(cat "$T/oerr")" "1 3 omg: $want" "refused as pacman: $2"
}
bad 'SigLevel = Never # comment\n' "a comment after a SigLevel"
bad 'SigLevel = PackageRequired DatabaseSometimes\n' "a SigLevel word pacman does not know"
bad 'CleanMethod = KeepCurrent Foo\n' "a CleanMethod pacman does not know"
bad 'ParallelDownloads = x\n' "ParallelDownloads not a number"
bad 'ParallelDownloads = 0\n' "ParallelDownloads not positive"
bad '[core]\nUsage = Sync Bogus\n' "a Usage pacman does not know"
bad '[core]\nUsage\n' "Usage without a value"
bad '[core]\nServer\n' "Server without a value"
bad '[core]\nSigLevel = Required Never#x\n' "a repo's SigLevel"
bad 'Include = /nonexistent/omg.conf\n' "an Include of a missing file"
{ cat "$T/opts"; printf 'SigLevel = Never # comment\n'; cat "$T/repos"; } > "$T/bad.conf"
timeout 10 "$OMG" --daemon --socket "$T/bad.sock" --config "$T/bad.conf" \
    --cache "$T/bad.db" 2> "$T/derr"
is "$? $(grep -c "line 8: invalid value for 'SigLevel' : '#'" "$T/derr")" "1 1" \
    "the daemon refuses it too, naming the line"

# An Include of a device or a FIFO is refused at once (it would hold the
# reader forever: the daemon, on SIGHUP); the daemon keeps its old one.
mkfifo "$T/fifo"
for inc in /dev/zero "$T/fifo"; do
	{ cat "$T/opts"; printf 'Include = %s\n' "$inc"; cat "$T/repos"; } > "$T/inc.conf"
	timeout 5 "$OMG" --no-daemon --config "$T/inc.conf" --cache "$T/inc.db" \
	    status > /dev/null 2> "$T/err"
	is "$? $(cat "$T/err")" "3 omg: config file $inc is not a regular file" \
	    "Include = $inc: refused at once"
done
cp "$CONF" "$T/hup.conf"
start_daemon "$T/hup.conf" hup
printf 'Include = /dev/zero\n' >> "$T/hup.conf"
hpid=$(head -1 "$T/hup.sock.lock")
kill -HUP "$hpid"
sleep 0.3
timeout 5 "$OMG" --socket "$T/hup.sock" --config /nonexistent ping > /dev/null 2>&1
alive=$?
ok $alive "SIGHUP with Include = /dev/zero: the daemon still answers"
if [ $alive -eq 0 ]; then
	grep -q "keeping the old configuration: config file /dev/zero is not a regular file" "$T/hup.log"
	ok $? "and says why it kept the old configuration"
	stop_daemons
else
	kill -9 "$hpid"; _pids=""	# frozen: it cannot hear SIGTERM
	ok 1 "and says why it kept the old configuration"
fi

# What pacman accepts, omg accepts, with pacman's answers.
same_as_pacman() {
	pacman --config "$1" -Ss "$2" > "$T/want" 2>/dev/null
	prc=$?
	"$OMG" --no-daemon --config "$1" --cache "$T/$3.db" search --sort repo \
	    "$2" > "$T/got" 2>/dev/null
	is "$? $(cmp -s "$T/got" "$T/want" && echo same)" "$prc same" "$4"
}
{ cat "$T/opts"; cat "$T/repos"; printf '[core]\n'; } > "$T/dup.conf"
same_as_pacman "$T/dup.conf" glibc dup "a repo named twice: pacman warns and answers, so does omg"
{ cat "$T/opts"; printf 'SigLevel = PackageRequired DatabaseOptional TrustAll\nCleanMethod = KeepInstalled KeepCurrent\nParallelDownloads = 5\nFrobnicate = 1\n'; cat "$T/repos"; } > "$T/ok.conf"
same_as_pacman "$T/ok.conf" glibc okc "valid values and a directive pacman only warns about"

# Usage: a repo without Search is not searched (a search with no term
# lists it all the same); one without Upgrade offers its updates as
# [ignored] in pacman -Qu, so status does not count them.
sed 's/^\[extra\]$/[extra]\nUsage = Sync Install Upgrade/' "$CONF" > "$T/u1.conf"
sed 's/^\[extra\]$/[extra]\nUsage = Sync Search/' "$CONF" > "$T/u2.conf"
same_as_pacman "$T/u1.conf" fire u1 "Usage without Search: extra's firefox not found, as pacman"
same_as_pacman "$T/u1.conf" "" u1 "Usage without Search: an empty search lists it, as pacman"
for u in u1 u2; do
	want=$(pacman --config "$T/$u.conf" -Qu | grep -vc '\[ignored\]$')
	got=$("$OMG" --no-daemon --config "$T/$u.conf" --cache "$T/$u.db" \
	    status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["updates_available"])')
	is "$got" "$want" "$u: updates = pacman -Qu less [ignored] ($want)"
done
done_testing
