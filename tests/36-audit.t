#!/bin/sh
# omg audit and Status's security_vulnerabilities against advisories of our
# own making: fixed null, fixed newer, fixed older than installed, "Not
# affected", epochs, two AVGs for one package, one AVG for two packages, a
# package not installed.  The expected answer is worked out here, apart
# from omg, with pacman's vercmp(8).  Then bad files: malformed, truncated,
# empty, the wrong shape, replaced while the daemon runs.
. "$(dirname "$0")/lib.sh"
need python3 vercmp
fixture
A=$T/advisories.json
cat > "$A" <<'EOF'
[
 {"name": "AVG-1", "packages": ["bash"], "status": "Vulnerable", "severity": "High",
  "type": "arbitrary code execution", "affected": "5.0.007-1", "fixed": null,
  "ticket": null, "issues": ["CVE-2019-1001"], "advisories": []},
 {"name": "AVG-2", "packages": ["glibc"], "status": "Fixed", "severity": "Medium",
  "type": "denial of service", "affected": "2.30-1", "fixed": "2.31-1",
  "ticket": null, "issues": ["CVE-2019-1002", "CVE-2019-1003"], "advisories": ["ASA-1"]},
 {"name": "AVG-3", "packages": ["linux"], "status": "Fixed", "severity": "Critical",
  "type": "privilege escalation", "affected": "5.3-1", "fixed": "5.3.1-1",
  "ticket": null, "issues": ["CVE-2019-1004"], "advisories": []},
 {"name": "AVG-4", "packages": ["firefox"], "status": "Not affected", "severity": "High",
  "type": "information disclosure", "affected": "70.0-1", "fixed": null,
  "ticket": null, "issues": ["CVE-2019-1005"], "advisories": []},
 {"name": "AVG-5", "packages": ["gtk3"], "status": "Fixed", "severity": "Low",
  "type": "denial of service", "affected": "1:3.24.12-1", "fixed": "1:3.24.13-1",
  "ticket": null, "issues": ["CVE-2019-1006"], "advisories": []},
 {"name": "AVG-6", "packages": ["zsh"], "status": "Fixed", "severity": "Medium",
  "type": "arbitrary command execution", "affected": "5.8-1", "fixed": "5.9-1",
  "ticket": null, "issues": ["CVE-2019-1007"], "advisories": []},
 {"name": "AVG-7", "packages": ["zsh"], "status": "Fixed", "severity": "High",
  "type": "privilege escalation", "affected": "5.8-1", "fixed": "1:5.7-1",
  "ticket": null, "issues": ["CVE-2019-1008", "CVE-2019-1007"], "advisories": []},
 {"name": "AVG-8", "packages": ["ripgrep"], "status": "Vulnerable", "severity": "Critical",
  "type": "arbitrary code execution", "affected": "11.0.2-1", "fixed": null,
  "ticket": null, "issues": ["CVE-2019-1009"], "advisories": []},
 {"name": "AVG-9", "packages": ["python"], "status": "Fixed", "severity": "High",
  "type": "denial of service", "affected": "3.7.3-1", "fixed": "3.7.4-1",
  "ticket": null, "issues": ["CVE-2019-1010"], "advisories": []},
 {"name": "AVG-10", "packages": ["vim", "nodejs"], "status": "Fixed", "severity": "Low",
  "type": "arbitrary code execution", "affected": "8.1-1", "fixed": "8.2-1",
  "ticket": null, "issues": ["CVE-2019-1011"], "advisories": []},
 {"name": "AVG-11", "packages": ["glib2"], "status": "Fixed", "severity": "High",
  "type": "denial of service", "affected": "2.59-1", "fixed": "2.60.0-1",
  "ticket": null, "issues": [], "advisories": []},
 {"name": "AVG-12", "packages": ["glib2"], "status": "Unknown", "severity": "Unknown",
  "type": "unknown", "affected": "2.60.0-1", "fixed": null,
  "ticket": null, "issues": [], "advisories": []}
]
EOF

# What arch-audit's rules say, worked out apart from omg.
expect() {
	pacman --config "$CONF" -Q > "$T/installed"
	python3 - "$1" "$T/installed" <<'EOF'
import json, subprocess, sys
def vercmp(a, b): return int(subprocess.check_output(["vercmp", a, b]))
rank = {"Low": 1, "Medium": 2, "High": 3, "Critical": 4}
avgs = json.load(open(sys.argv[1]))
out = []
for line in open(sys.argv[2]):
    name, ver = line.split()
    hits = [a for a in avgs if name in a["packages"] and a["status"] != "Not affected"
            and (a["fixed"] is None or vercmp(ver, a["fixed"]) < 0)]
    if not hits: continue
    worst = max(hits, key=lambda a: rank.get(a["severity"], 0))
    fixed = None
    if all(a["fixed"] for a in hits):
        fixed = hits[0]["fixed"]
        for a in hits[1:]:
            if vercmp(a["fixed"], fixed) > 0: fixed = a["fixed"]
    cves = []
    for a in hits:
        cves += [c for c in a["issues"] if c not in cves]
    out.append({"name": name, "installed": ver, "severity": worst["severity"],
                "fixed": fixed, "avgs": [a["name"] for a in hits], "cves": cves,
                "type": worst["type"]})
out.sort(key=lambda p: (-rank.get(p["severity"], 0), p["name"]))
print(json.dumps(out, sort_keys=True))
EOF
}
got() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["packages"], sort_keys=True))'; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

expect "$A" > "$T/want"
"$OMG" --no-daemon --config "$CONF" --cache "$T/e.db" --advisories "$A" audit --json | got > "$T/got"
same "$T/got" "$T/want" "embedded audit = arch-audit's rules worked out with vercmp"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/want")" 6 \
    "the fixture's advisories affect 6 packages (bash glibc gtk3 zsh vim glib2)"

start_daemon_adv() {
	start_daemon "$CONF" d --advisories "$1"
}
start_daemon_adv "$A"
D="$OMG --socket $T/d.sock --config /nonexistent"
$D audit --json | got > "$T/got"
same "$T/got" "$T/want" "daemon audit = the same"
$D status --json > "$T/st"
is "$(field 'd["security_vulnerabilities"], d["advisories"]["state"], d["advisories"]["entries"]' < "$T/st")" \
    "6 ok 12" "status: 6 vulnerable, advisories ok, 12 entries"

$D audit > "$T/text"
rc=$?
is "$rc" 1 "audit exits 1 when something is affected"
is "$(wc -l < "$T/text" | tr -d ' ')" 6 "one line per affected package"
grep -qx 'zsh 5.8-1 is affected by CVE-2019-1007, CVE-2019-1008 (AVG-6, AVG-7): privilege escalation. High risk! Update to 1:5.7-1!' "$T/text"
ok $? "two AVGs merge: highest severity, CVEs joined, highest fix (the epoch wins)"
grep -qx 'bash 5.0.007-1 is affected by CVE-2019-1001 (AVG-1): arbitrary code execution. High risk! No fixed version yet.' "$T/text"
ok $? "no fixed version is said so"
head -1 "$T/text" | grep -q '^bash \|^zsh '
ok $? "sorted by severity first"

# The file changes under the running daemon: the next status or audit
# sees its stamp changed ("reading", the last data meanwhile) and a
# rebuilder reads it into the cache; settled waits for that.
notreading() { $D status --json | field 'd["advisories"]["state"]' | grep -vqx reading; }
settled() { $D status > /dev/null 2>&1; within 100 notreading; }
cp "$A" "$T/good.json"
printf '[{"name": "AVG-1", "packages": ["bash"]' > "$T/trunc.json"
mv "$T/trunc.json" "$A"
settled
$D status --json > "$T/st"
is "$(field 'd["advisories"]["state"], d["security_vulnerabilities"]' < "$T/st")" "invalid 6" \
    "a truncated file: state invalid, the last good data still counts"
$D audit --json | got > "$T/got"
same "$T/got" "$T/want" "and audit still answers from it"
for bad in "" "{}" "[1, 2]" '[{"name": "AVG-1", "status": "Fixed"}]' \
    '[{"name": "AVG-1", "status": "Fixed", "packages": [1]}]' "not json at all"; do
	printf '%s' "$bad" > "$T/bad.json"
	mv "$T/bad.json" "$A"
	settled
	st=$($D status --json | field 'd["advisories"]["state"]')
	is "$st" invalid "bad advisories '$bad': invalid, nothing crashes"
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps([a for a in d if a["name"] != "AVG-1"]))' \
    "$T/good.json" > "$T/b.json"
mv "$T/b.json" "$A"
settled
expect "$A" > "$T/want"
$D audit --json | got > "$T/got"
same "$T/got" "$T/want" "a new good file replaces the data at once (bash no longer listed)"
is "$($D status --json | field 'd["security_vulnerabilities"]')" 5 "status: 5"
printf '[]' > "$A"
settled
$D audit > "$T/text"
is "$?:$(wc -c < "$T/text" | tr -d ' ')" "0:0" "nothing affected: exit 0, no output"
rm -f "$A"
settled
$D audit > /dev/null 2> "$T/err"
rc=$?
grep -q 'missing' "$T/err"
ok $? "a missing file is named on stderr (exit $rc, the last data kept)"
"$OMG" --no-daemon --config "$CONF" --cache "$T/e.db" --advisories "$T/none.json" audit \
    > /dev/null 2> "$T/err"
is "$?:$(grep -c missing "$T/err")" "1:1" \
    "embedded, the file gone: the cache's last good advisories answer (exit 1), missing is said"
"$OMG" --no-daemon --config "$CONF" --cache "$T/e2.db" --advisories "$T/none.json" audit \
    > /dev/null 2> "$T/err"
is "$?:$(wc -l < "$T/err" | tr -d ' ')" "3:1" "no advisories ever: exit 3, one line"

# The last good advisories live in the cache: a daemon started again over a
# bad file still counts them (they used to live only in its memory).
cp "$T/good.json" "$A"
settled
is "$($D status --json | field 'd["security_vulnerabilities"], d["advisories"]["state"]')" "6 ok" \
    "the good file again: 6, ok"
stop_daemons
printf 'not json' > "$A"
start_daemon_adv "$A"
settled
is "$($D status --json | field 'd["advisories"]["state"], d["security_vulnerabilities"], d["advisories"]["entries"]')" \
    "invalid 6 12" "restarted over a bad file: invalid, the last good 12 AVGs still count (6)"
expect "$T/good.json" > "$T/want"
$D audit --json 2>/dev/null | got > "$T/got"
same "$T/got" "$T/want" "and audit answers from them after the restart"

# Removing a package changes the audit without a new advisories file: the
# rebuild works it out again from the advisories it kept.
cp "$T/good.json" "$A"
settled
n0=$($D status --json | field 'd["security_vulnerabilities"]')
pacman --config "$CONF" -R --dbonly --noconfirm zsh > /dev/null 2>&1
vuln() { [ "$($D status --json | field 'd["security_vulnerabilities"]')" = "$1" ]; }
within 100 vuln $((n0 - 1))
ok $? "pacman -R zsh: security_vulnerabilities $n0 -> $((n0 - 1)), the advisories unchanged"

# A large advisories file (about 2 MB, the size of Arch's) is read beside
# the loop: pings sent while it is taken in are all answered, in order.
python3 - "$T/big.json" <<'EOF'
import json, sys
avgs = [{"name": "AVG-%d" % i, "packages": ["pkg%d" % i, "bash"] if i % 997 == 0 else ["pkg%d" % i],
         "status": "Fixed", "severity": "Low", "type": "denial of service",
         "affected": "1.0-1", "fixed": "1.0.%d-1" % i, "ticket": None,
         "issues": ["CVE-2020-%05d" % i, "CVE-2021-%05d" % i], "advisories": ["ASA-%d" % i]}
        for i in range(9000)]
json.dump(avgs, open(sys.argv[1], "w"), indent=1)
EOF
is "$(($(wc -c < "$T/big.json") > 1600000))" 1 "the large file is over 1.6 MB"
mv "$T/big.json" "$A"
$D status > /dev/null
python3 "$TOP/tests/wire.py" pings "$T/d.sock" 200 > "$T/pings" 2>&1
is "$(cat "$T/pings")" "200 in order" "200 pings while the large file is read: all answered, in order"
settled
is "$($D status --json | field 'd["advisories"]["state"], d["advisories"]["entries"]')" "ok 9000" \
    "and then it counts: 9000 entries"
echo "# loop_stall_max_us $($D status --json | field 'd["server"]["loop_stall_max_us"]')"

# omg --rebuild-cache by hand, without --advisories, takes the file the
# daemon and the client take by default: the cache it leaves is not read
# again at once (a second generation) by the next one to open it.
mkdir -p "$T/xdg/omg"
cp "$A" "$T/xdg/omg/advisories.json"
XDG_CACHE_HOME=$T/xdg "$OMG" --rebuild-cache --config "$CONF" --cache "$T/rc.db" 2>/dev/null
is "$(XDG_CACHE_HOME=$T/xdg "$OMG" --no-daemon --config "$CONF" --cache "$T/rc.db" \
    status --json | field 'd["cache"]["generation"], d["advisories"]["entries"]')" "1 9000" \
    "--rebuild-cache without --advisories: the default file, taken once (generation 1)"
done_testing
