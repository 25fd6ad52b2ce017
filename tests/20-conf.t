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
grep -q 'nested too deeply' "$T/err"
ok $? "an Include loop is refused, not followed forever"
done_testing
