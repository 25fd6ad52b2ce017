#!/usr/bin/env python3
# Nothing a client sends stalls the loop: searches whose cost the pattern
# decides (a regcomp that grows without end, a backreference that
# backtracks for minutes) run in the search worker within their budget
# (omg.conf search_cpu_max, search_memory_max) and end with error -1005,
# alone, in a batch, from several clients, or abandoned by a client that
# leaves; meanwhile other clients are answered, pipelined answers keep
# their order, and the daemon's memory stays where it was.  Checked by
# answers and their order, never by a latency threshold (latencies and
# loop_stall_max_us are printed).
import os, shutil, signal, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire
from wire import ok, enc, frame, read_msg, call, OMG

BOMB = "((a{1,100}){1,100}){1,100}"      # regcomp: gigabytes
# regexec backtracks through every split of each string: on the fixture
# 3.5 s of CPU here, 7x the 0.5 s budget below (with three groups it was
# 0.5-0.95 s, and now and then finished inside the budget).
BACKTRACK = "(.*)(.*)(.*)(.*)\\4\\3\\2\\1x"
tmp = tempfile.mkdtemp(prefix="omg-stall.")
os.chmod(tmp, 0o700)
daemon = None

def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def pinger(sock, stop, out):
    """A well-behaved client: a ping every 50 ms; each answer's latency."""
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            s = wire.connect(sock, 5)
            r = call(s, {"id": 9, "op": "ping"})
            s.close()
            out.append((time.perf_counter() - t0) * 1000 if r.get("result") == "pong" else None)
        except OSError:
            out.append(None)
        time.sleep(0.05)

def rss_grew(pid, base, what):
    """The daemon's RSS at most 16 MiB over base: none of a search's memory
    stays in it.  Under valgrind (tests/vg-omg) the process is valgrind's,
    whose own memory grows by as much with the threads it ran (16-17 MiB
    here, 44-96 KiB without it): there, leaks are valgrind's to report."""
    with open("/proc/%d/comm" % pid) as f:
        if f.read().startswith("memcheck"):
            wire.skip("%s: RSS under valgrind is valgrind's" % what)
            return
    grew = rss_kib(pid) - base
    ok(grew < 16 * 1024, "%s: %d KiB" % (what, grew))

def workers(cache):
    """The pids of the search workers reading cache."""
    return wire.children("search-worker .*--cache " + cache + " ")

def worker_other_than(cache, old):
    """A search worker that is none of old, waited for up to 10 s."""
    for _ in range(200):
        now = workers(cache) - old
        if now: return now
        time.sleep(0.05)
    return set()

def start(sock, cache, conf, log):
    """A daemon on the fixture with omg.conf conf, once it answers a ping."""
    d = subprocess.Popen([OMG, "--daemon", "--socket", sock, "--config",
                          tmp + "/fx/pacman.conf", "--cache", cache,
                          "--omg-conf", conf], stderr=open(log, "w"))
    wire.wait_up(d, sock, log)
    return d

try:
    wire.fixture(tmp)
    SOCK = tmp + "/omg.sock"
    with open(tmp + "/omg.conf", "w") as f:
        f.write("search_cpu_max = 0.5\nsearch_memory_max = 268435456\n")
    daemon = start(SOCK, tmp + "/c.db", tmp + "/omg.conf", tmp + "/daemon.log")
    s = wire.connect(SOCK)
    ok(call(s, {"id": 1, "op": "ping"}).get("result") == "pong", "daemon is up")
    base = rss_kib(daemon.pid)

    for what, pat in (("a regcomp that grows without end", BOMB),
                      ("a backreference that backtracks", BACKTRACK)):
        stop, lat = threading.Event(), []
        t = threading.Thread(target=pinger, args=(SOCK, stop, lat))
        t.start()
        t0 = time.time()
        r = call(s, {"id": 2, "op": "search", "query": [pat]})
        took = time.time() - t0
        time.sleep(0.2)
        stop.set(); t.join()
        ok(r.get("id") == 2 and r.get("error", {}).get("code") == -1005,
           "%s: error -1005 (%s)" % (what, r.get("error", {}).get("message")))
        answered = [x for x in lat if x is not None]
        ok(len(lat) > 0 and len(answered) == len(lat),
           "%s: every ping meanwhile answered (%d)" % (what, len(lat)))
        wire.diag("%s: answered after %.2f s; pings max %.1f ms" %
                  (what, took, max(answered) if answered else -1))

    # The worker that ended on the search over its budget is replaced at
    # once, not when the next costly search comes (which would wait for
    # it to start and read the generation: 0.15 s at 100,000 packages).
    ok(worker_other_than(tmp + "/c.db", set()),
       "a worker ended over its budget: the next started, no search asked")

    # Pipelined on one connection: the costly search, then a ping and a
    # cheap search; answers in request order.
    reqs = [{"id": 10, "op": "search", "query": [BACKTRACK]}, {"id": 11, "op": "ping"},
            {"id": 12, "op": "search", "query": ["fire"]}]
    s.sendall(b"".join(frame(enc(q)) for q in reqs))
    got = [read_msg(s) for _ in reqs]
    ok([g.get("id") for g in got] == [10, 11, 12] and got[1].get("result") == "pong" and
       got[2]["result"]["total"] == 3, "pipelined: answers in request order")

    # A batch of 64 costly searches shares one budget: one answer, soon.
    t0 = time.time()
    r = call(s, {"id": 20, "op": "batch", "requests":
                 [{"id": k, "op": "search", "query": [BACKTRACK]} for k in range(64)]})
    took = time.time() - t0
    ok(r.get("error", {}).get("code") == -1005, "a batch of 64 costly searches: one -1005")
    wire.diag("the batch was answered after %.2f s (budget 0.5 s of CPU)" % took)

    # Four clients at once: all answered -1005; pings go on meanwhile.
    stop, lat = threading.Event(), []
    t = threading.Thread(target=pinger, args=(SOCK, stop, lat))
    t.start()
    results = []
    def hostile():
        c = wire.connect(SOCK, 30)
        c.settimeout(30)
        results.append(call(c, {"id": 30, "op": "search", "query": [BACKTRACK]}))
        c.close()
    hs = [threading.Thread(target=hostile) for _ in range(4)]
    for h in hs: h.start()
    for h in hs: h.join()
    stop.set(); t.join()
    ok(len(results) == 4 and all(x.get("error", {}).get("code") == -1005 for x in results),
       "four clients with costly searches: each answered -1005")
    ok(len(lat) > 0 and all(x is not None for x in lat),
       "and every ping meanwhile answered (%d)" % len(lat))

    # A client that leaves mid-search: its work stops, the next is served.
    c = wire.connect(SOCK)
    c.sendall(frame(enc({"id": 40, "op": "search", "query": [BACKTRACK]})))
    time.sleep(0.1)
    c.close()
    time.sleep(0.2)
    r = call(s, {"id": 41, "op": "search", "query": ["^fire.*"]})
    ok(r.get("result", {}).get("total") == 3, "after a client left mid-search, a regex search is answered")

    # A forced rebuild while pings and searches come: the new generation is
    # read beside the loop and swapped in; every answer comes, in order,
    # and the generation moves on by one.
    gen0 = call(s, {"id": 60, "op": "status"})["result"]["cache"]["generation"]
    old = workers(tmp + "/c.db")
    stop, lat = threading.Event(), []
    t = threading.Thread(target=pinger, args=(SOCK, stop, lat))
    t.start()
    c = wire.connect(SOCK, 60)
    c.sendall(frame(enc({"id": 61, "op": "refresh"})))
    got = []
    for k in range(40):
        s.sendall(frame(enc({"id": 100 + k, "op": "search", "query": ["fire"]})))
        got.append(read_msg(s))
        time.sleep(0.005)
    while True:
        m = read_msg(c)
        if m is None or "result" in m or "error" in m:
            break
    c.close()
    stop.set(); t.join()
    ok([g.get("id") for g in got] == list(range(100, 140)) and
       all(g.get("result", {}).get("total") == 3 for g in got),
       "40 searches during a forced rebuild: all answered, in order, the same")
    ok(m is not None and "result" in m, "the refresh is answered")
    ok(len(lat) > 0 and all(x is not None for x in lat),
       "every ping during the rebuild answered (%d)" % len(lat))
    gen1 = call(s, {"id": 62, "op": "status"})["result"]["cache"]["generation"]
    ok(gen1 == gen0 + 1, "the new generation is served (%d -> %d)" % (gen0, gen1))
    ok(old and worker_other_than(tmp + "/c.db", old),
       "the search worker of the old generation is replaced, no search asked")

    # SIGHUP with an Include of 64 MB (a regular file: pacman reads it):
    # pacman.conf is read beside the loop; pings go on meanwhile.
    conf = tmp + "/fx/pacman.conf"
    with open(tmp + "/big.conf", "w") as f:
        line = "# " + "x" * 61 + "\n"
        f.write(line * (64 * 1024 * 1024 // len(line)))
    orig = open(conf).read()
    with open(conf, "w") as f:
        f.write(orig.replace("[options]\n", "[options]\nInclude = %s/big.conf\n" % tmp, 1))
    stop, lat = threading.Event(), []
    t = threading.Thread(target=pinger, args=(SOCK, stop, lat))
    t.start()
    daemon.send_signal(signal.SIGHUP)
    for _ in range(300):
        if "SIGHUP: reloaded" in open(tmp + "/daemon.log").read():
            break
        time.sleep(0.05)
    stop.set(); t.join()
    ok("SIGHUP: reloaded" in open(tmp + "/daemon.log").read(),
       "SIGHUP with a 64 MB Include: reloaded")
    ok(len(lat) > 0 and all(x is not None for x in lat),
       "every ping while it was read answered (%d, max %.1f ms)" %
       (len(lat), max([x for x in lat if x is not None] or [-1])))
    with open(conf, "w") as f:
        f.write(orig)
    os.unlink(tmp + "/big.conf")

    # Cheap requests were never the worker's: the daemon's memory is its own.
    rss_grew(daemon.pid, base, "daemon RSS growth through all of it")
    st = call(s, {"id": 50, "op": "status"})["result"]
    wire.diag("loop_stall_max_us = %d" % st["server"]["loop_stall_max_us"])
    ok(daemon.poll() is None, "the daemon is still running")

    # Embedded mode: the same budget, one line, exit 2.
    p = subprocess.run([OMG, "--no-daemon", "--config", tmp + "/fx/pacman.conf", "--cache",
                        tmp + "/e.db", "--omg-conf", tmp + "/omg.conf", "search", BACKTRACK],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode().strip()
    ok(p.returncode == 2 and "too expensive" in err and err.count("\n") == 0,
       "embedded: exit 2 and one line (%s)" % err)
    # Searches that would look at more rows than search_loop_rows (0 here:
    # every uncached one) go to the worker like regexes: the same answers
    # as from the loop, in request order on a connection, pings between
    # answered, the daemon's memory its own.
    with open(tmp + "/rows.conf", "w") as f:
        f.write("search_loop_rows = 0\nsearch_cpu_max = 0.5\n")
    SOCK2 = tmp + "/rows.sock"
    daemon2 = start(SOCK2, tmp + "/c2.db", tmp + "/rows.conf", tmp + "/daemon2.log")
    try:
        s2 = wire.connect(SOCK2)
        ok(call(s2, {"id": 1, "op": "ping"}).get("result") == "pong", "a daemon with search_loop_rows = 0 is up")
        base2 = rss_kib(daemon2.pid)
        terms = [["e"], ["fire"], ["lib", "c"], [""], ["web", "browser"], ["nomatchxyz"]]
        reqs = []
        for k, t in enumerate(terms):
            reqs.append({"id": 200 + 2 * k, "op": "search", "query": t, "limit": 1000})
            reqs.append({"id": 201 + 2 * k, "op": "ping"})
        reqs.append({"id": 299, "op": "search", "query": [BACKTRACK]})
        reqs.append({"id": 300, "op": "info", "package": "glibc"})
        s2.sendall(b"".join(frame(enc(q)) for q in reqs))
        got = [read_msg(s2) for _ in reqs]
        ok([g.get("id") for g in got] == [q["id"] for q in reqs],
           "search_loop_rows = 0, pipelined: answers in request order")
        ok(all(got[2 * k + 1].get("result") == "pong" for k in range(len(terms))),
           "and each ping between the searches answered")
        same = all(got[2 * k].get("result") ==
                   call(s, {"id": 1, "op": "search", "query": t, "limit": 1000}).get("result")
                   for k, t in enumerate(terms))
        ok(same, "the worker's answers are the loop's (%d searches)" % len(terms))
        ok(got[-2].get("error", {}).get("code") == -1005 and "result" in got[-1],
           "a costly search among them: -1005, and the info after it answered")
        r = call(s2, {"id": 301, "op": "search", "query": ["fire"], "limit": 1000})
        ok(r.get("result") == got[2].get("result"), "asked again: the same answer")
        # (The costly one ended the worker; that search started another.)
        ok(workers(tmp + "/c2.db"), "the searches went to the search worker")
        rss_grew(daemon2.pid, base2, "daemon RSS growth")
        s2.close()
    finally:
        daemon2.terminate()
        ok(daemon2.wait(timeout=10) == 0, "clean exit (search_loop_rows = 0)")
    s.close()
    daemon.terminate()
    ok(daemon.wait(timeout=10) == 0, "clean exit")
finally:
    if daemon is not None and daemon.poll() is None:
        daemon.kill()
    shutil.rmtree(tmp, ignore_errors=True)
wire.done_testing()
