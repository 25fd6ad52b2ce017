#!/usr/bin/env python3
# Long work and news: op refresh (progress in order, then the answer, other
# requests answered meanwhile, pacman's lock), op subscribe (an event for
# every change, one within 2 s of a pacman -U, a subscriber that does not
# read is dropped and harms nobody), a searcher during a rebuild of the
# 2019 Arch databases, and the commands: omg refresh (bar, plain, -q,
# --json, embedded) and omg watch.  Times are deadlines for hangs; the one
# comparison of times is not a latency: the loop's longest stall against
# the rebuild's time (held for the rebuild, it would be most of it).
import os, pty, select, shutil, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wire import *

STAGES = ["files core", "files extra", "files community", "index files",
          "read core", "read extra", "read community", "read local", "write cache"]

def refresh(s, rid):
    """Send a refresh; every message up to its answer, in order."""
    send(s, {"id": rid, "op": "refresh"})
    msgs = []
    while True:
        m = read_msg(s)
        if m is None: return msgs
        msgs.append(m)
        if m.get("id") == rid and ("result" in m or "error" in m):
            return msgs

def progress_in_order(msgs, rid, stages):
    """Stages in order, each from 0 up to its total, then the answer."""
    prog = [m["progress"] for m in msgs if "progress" in m]
    if any(m["id"] != rid for m in msgs if "progress" in m): return False
    seen = []
    for p in prog:
        if not seen or seen[-1][0] != p["stage"]:
            if p["done"] != 0: return False
            seen.append([p["stage"], 0, p["total"]])
        elif p["done"] < seen[-1][1] or p["total"] != seen[-1][2]:
            return False
        seen[-1][1] = p["done"]
    last = [m for m in msgs if m.get("id") == rid][-1]
    return ([x[0] for x in seen] == stages and all(x[1] == x[2] for x in seen)
            and "result" in last)

def joined_in_order(msgs):
    """Progress of a refresh that joined a running rebuild: a tail of the
    stages, each non-decreasing, then the answer."""
    prog = [(STAGES.index(m["progress"]["stage"]), m["progress"]["done"])
            for m in msgs if "progress" in m]
    return prog == sorted(prog) and "result" in msgs[-1]

def run(*args, **kw):
    return subprocess.run([OMG] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kw)

def events_until(s, pred, wait):
    """Events read until pred(event) or wait seconds: (list, matched)."""
    got, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            m = read_msg(s)
        except OSError:
            break
        if m is None: break
        got.append(m)
        if pred(m): return got, True
    return got, False

tmp = tempfile.mkdtemp(prefix="omg-refresh.")
os.chmod(tmp, 0o700)
daemons = []
try:
    conf = fixture(tmp)
    db = tmp + "/fx/root/var/lib/pacman"
    d = Daemon(tmp, conf, "d", "idle_timeout = 1\nwrite_stall_timeout = 1\n"
               "output_pause = 4096\noutput_max = 65536\n")
    daemons.append(d)

    # Refresh: progress in order, then the answer; a ping meanwhile.
    s = d.connect()
    g0 = call(s, {"id": 1, "op": "status"})["result"]["cache"]["generation"]
    send(s, {"id": 5, "op": "refresh"})
    send(s, {"id": 6, "op": "ping"})
    msgs = []
    while not any(m.get("id") == 5 and "result" in m for m in msgs):
        m = read_msg(s)
        if m is None: break
        msgs.append(m)
    if not any(m.get("id") == 6 for m in msgs):
        msgs.append(read_msg(s))
    ok(progress_in_order([m for m in msgs if m.get("id") == 5], 5, STAGES),
       "refresh: each stage from 0 to its total, in pacman.conf order, then the answer")
    res = [m for m in msgs if m.get("id") == 5][-1].get("result", {})
    ok(res.get("generation") == g0 + 1 and res.get("packages") == 44 and
       res.get("repos") == 3 and res.get("state") == "fresh" and
       isinstance(res.get("duration_ms"), int),
       "refresh: the answer has the new generation, the counts and the time")
    ok([m.get("result") for m in msgs if m.get("id") == 6] == ["pong"],
       "refresh: a ping on the same connection is answered meanwhile")
    ok(all(set(m) in ({"id", "progress"}, {"id", "result"}) for m in msgs),
       "refresh: only progress and result messages")
    ok(call(s, {"id": 7, "op": "batch", "requests": [{"id": 1, "op": "refresh"}]})
       ["result"][0]["error"]["code"] == -32602, "refresh inside a batch: -32602")

    # Three refreshes, two clients, at once: one rebuild, three answers.
    s2 = d.connect()
    send(s, {"id": 8, "op": "refresh", "extra": "ignored"})
    send(s, {"id": 9, "op": "refresh"})
    b = refresh(s2, 10)
    a = {8: [], 9: []}
    while not a[9] or "result" not in a[9][-1]:
        m = read_msg(s)
        if m is None: break
        a[m["id"]].append(m)
    gens = set(x[-1].get("result", {}).get("generation") for x in (a[8], a[9], b))
    ok(len(gens) == 1 and gens.pop() == res["generation"] + 1,
       "refreshes that come during one share it, each with its own answer")
    ok(progress_in_order(a[8], 8, STAGES), "an unknown key is ignored, like in every op")
    ok(joined_in_order(a[9]) and joined_in_order(b),
       "a refresh that joins has the progress from where it joined, in order")

    # Subscribe: the state now, then an event for every change.
    sub = d.connect()
    r = call(sub, {"id": 20, "op": "subscribe"})
    ok(r.get("id") == 20 and r["result"]["state"] == "fresh" and
       isinstance(r["result"]["generation"], int), "subscribe: the state now")
    g = r["result"]["generation"]
    refresh(s, 21)
    got, _ = events_until(sub, lambda e: e.get("state") == "fresh", 5)
    ok([(e["event"], e["generation"], e["state"]) for e in got] ==
       [("cache", g, "rebuilding"), ("cache", g + 1, "fresh")],
       "subscribe: a refresh gives rebuilding, then fresh at the next generation")
    time.sleep(1.6)         # past idle_timeout = 1
    try:
        r = call(sub, {"id": 22, "op": "ping"})
    except OSError:
        r = None
    ok(r is not None and r.get("result") == "pong",
       "a quiet subscriber outlives the idle timeout (and may still ask)")
    idle = d.connect()
    time.sleep(1.6)
    ok(closed(idle, 2), "a quiet plain connection does not")
    s.close()

    # pacman -U: an event within 2 s.
    pkg = [f for f in os.listdir(tmp + "/fx/pkgs/community") if f.startswith("ripgrep-")][0]
    p = subprocess.run(["pacman", "--config", conf, "-U", "--dbonly", "--noconfirm", "-dd",
                        tmp + "/fx/pkgs/community/" + pkg], stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    got, seen = events_until(sub, lambda e: e.get("state") == "fresh" and
                             e["generation"] == g + 2, 2)
    dt = time.monotonic() - t0
    ok(p.returncode == 0 and seen, "pacman -U: the new generation's event within 2 s")
    diag("pacman -U to the event: %.0f ms; events %s" %
         (dt * 1000, [(e["generation"], e["state"]) for e in got]))
    s = d.connect()         # (idle_timeout is 1 s: pacman -U may take it)
    ok(call(s, {"id": 23, "op": "info", "package": "ripgrep"})["result"].get("installed"),
       "and the answers already show the install")

    # pacman's lock: refresh says busy, the state is locked, events say so.
    s = d.connect()         # (idle_timeout is 1 s)
    open(db + "/db.lck", "w").close()
    m = refresh(s, 24)[-1]
    ok(m.get("error", {}).get("code") == -1003, "db.lck held: refresh answers -1003")
    got, seen = events_until(sub, lambda e: e.get("state") == "locked", 2)
    ok(seen, "db.lck held: subscribers hear 'locked'")
    os.unlink(db + "/db.lck")
    got, seen = events_until(sub, lambda e: e.get("state") == "fresh", 2)
    ok(seen, "db.lck gone: subscribers hear 'fresh'")

    # A subscriber that never reads: dropped by the output limits; the
    # others (a reading subscriber, a client) do not notice.
    deaf = d.connect()
    send(deaf, {"id": 30, "op": "subscribe"})
    big = frame(enc({"id": 31, "op": "search", "query": ".", "limit": 1000}))
    deaf.setblocking(False)
    sent = 0
    try:
        for _ in range(2000):
            deaf.send(big); sent += 1
    except BlockingIOError:
        pass
    deaf.setblocking(True)
    s = d.connect()
    for k in range(5):
        refresh(s, 40 + k)
    time.sleep(1.5)         # write_stall_timeout = 1, and a sweep
    ok(closed(deaf, 5), "a subscriber that does not read is dropped")
    log = open(d.log).read()
    ok("peer stopped reading" in log or "output over the limit" in log,
       "by the output limits (the log says which)")
    got, seen = events_until(sub, lambda e: e.get("state") == "fresh" and
                             e["generation"] >= g + 2 + 5, 3)
    ok(seen, "the reading subscriber got every refresh's events meanwhile")
    ok(call(d.connect(), {"id": 50, "op": "ping"}).get("result") == "pong" and
       d.proc.poll() is None,
       "the daemon keeps serving")

    # The commands.
    C = ["--socket", d.sock, "--config", conf]
    npkg = call(d.connect(), {"id": 1, "op": "status"})["result"]["cache"]["packages"]
    r = run(*C, "refresh")
    lines = r.stdout.decode().splitlines()
    ok(r.returncode == 0 and lines[0] == "files core 0/9" and "read core 0/9" in lines and
       lines[-2] == "write cache 1/1" and
       lines[-1].startswith("cache generation ") and "%d packages from 3 repos" % npkg in lines[-1],
       "omg refresh, piped: plain progress lines, then the summary")
    r = run(*C, "refresh", "-q")
    ok(r.returncode == 0 and len(r.stdout.decode().splitlines()) == 1,
       "omg refresh -q: the summary only")
    r = run(*C, "refresh", "--json")
    import json
    js = [json.loads(l) for l in r.stdout.decode().splitlines()]
    ok(r.returncode == 0 and all("progress" in j for j in js[:-1]) and
       js[-1]["packages"] == npkg, "omg refresh --json: progress objects, then the result")
    r = run(*C, "refresh", "now")
    ok(r.returncode == 2 and len(r.stderr.splitlines()) == 1, "omg refresh ARG: usage, exit 2")
    master, slave = pty.openpty()
    pr = subprocess.Popen([OMG] + C + ["refresh"], stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        rl, _, _ = select.select([master], [], [], 10)
        if not rl: break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk: break
        out += chunk
    pr.wait()
    os.close(master)
    ok(pr.returncode == 0 and b"\r" in out and b"[" + b"#" * 30 + b"] 100%" in out and
       b"cache generation" in out, "omg refresh on a terminal: a progress bar")
    # Embedded: the same lines, from this process.
    r1 = run(*C, "refresh")
    r2 = run("--no-daemon", "--config", conf, "--cache", tmp + "/emb.db", "refresh")
    strip = lambda o: [l for l in o.decode().splitlines() if not l.startswith("cache generation")]
    ok(r2.returncode == 0 and strip(r1.stdout) == strip(r2.stdout) and
       r2.stdout.decode().splitlines()[-1].startswith("cache generation "),
       "omg --no-daemon refresh: the same progress lines and a summary")

    w = subprocess.Popen([OMG] + C + ["watch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = w.stdout.readline().decode()
    gen = int(first.split("generation=")[1])
    run(*C, "refresh", "-q")
    l1 = w.stdout.readline().decode()
    l2 = w.stdout.readline().decode()
    w.terminate(); w.wait()
    ok(first == "state=fresh generation=%d\n" % gen and
       l1 == "state=rebuilding generation=%d\n" % gen and
       l2 == "state=fresh generation=%d\n" % (gen + 1),
       "omg watch: the state now, then one line per event")
    r = run("--socket", tmp + "/nobody.sock", "--config", conf, "--cache", tmp + "/emb.db", "watch")
    ok(r.returncode == 3 and b"no daemon" in r.stderr and len(r.stderr.splitlines()) == 1,
       "omg watch without a daemon: one line, exit 3")
    d.proc.terminate()
    rc = d.proc.wait(10)
    ok(rc == 0, "the daemon exits 0")
    daemons.remove(d)

    # A searcher during a rebuild of the 2019 Arch databases.
    src = os.path.join(TOP, "..", "shared", "data", "arch-2019")
    if not os.path.isdir(src + "/sync"):
        ok(True, "# SKIP ../shared/data/arch-2019 is absent: no searcher-during-rebuild check")
    else:
        a19 = tmp + "/a19/var/lib/pacman"
        os.makedirs(a19)
        for sub_ in ("sync", "local"):
            shutil.copytree(os.path.join(src, sub_), os.path.join(a19, sub_))
        with open(tmp + "/a19.conf", "w") as f:
            f.write("[options]\nRootDir = %s/a19\nDBPath = %s/\nArchitecture = x86_64\n"
                    "SigLevel = Never\n[core]\n[extra]\n[community]\n[multilib]\n" % (tmp, a19))
        big = Daemon(tmp, tmp + "/a19.conf", "big")
        daemons.append(big)
        q = big.connect()
        def rtts(k):
            out = []
            for i in range(k):
                t = time.perf_counter()
                call(q, {"id": i, "op": "search", "query": "linux"})
                out.append((t, time.perf_counter()))
            return out
        base = sorted(b - a for a, b in rtts(200))[100]
        times, stop = [], []
        def searcher():
            while not stop:
                t = time.perf_counter()
                call(q, {"id": 1, "op": "search", "query": "linux"})
                times.append((t, time.perf_counter()))
        th = threading.Thread(target=searcher)
        th.start()
        r = big.connect(30)
        t_begin = time.perf_counter()
        msgs = refresh(r, 77)
        t_end = time.perf_counter()
        stop.append(1)
        th.join()
        during = [b - a for a, b in times if a >= t_begin and b <= t_end]
        stall = call(r, {"id": 78, "op": "status"})["result"]["server"]["loop_stall_max_us"] / 1e6
        worst = max(during) if during else None
        diag("rebuild %.0f ms with %d progress messages; %d searches meanwhile; "
             "search p50 before %.2f ms, worst during %.2f ms; loop stall max %.2f ms" %
             ((t_end - t_begin) * 1000, len(msgs) - 1, len(during), base * 1000,
              (worst or 0) * 1000, stall * 1000))
        ok("result" in msgs[-1] and len(during) >= 10,
           "searches are answered all through a rebuild of the 2019 databases")
        # Not a latency threshold (a search under valgrind, or beside a
        # test suite on 2 CPUs, waited longer than the loop's worst
        # stall + 50 ms): the loop was never held for the rebuild, which
        # would make its longest stall most of the rebuild's time.
        ok(stall < (t_end - t_begin) / 2,
           "the loop was not held for the rebuild (its longest stall under half the rebuild)")
        ok(big.stop() == 0, "the daemon exits 0")
        daemons.remove(big)
finally:
    for x in daemons:
        x.kill()
    os.environ.get("KEEP") or shutil.rmtree(tmp, ignore_errors=True)
done_testing()
