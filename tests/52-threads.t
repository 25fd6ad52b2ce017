#!/usr/bin/env python3
# Answer threads (omg.conf answer_threads): a connection that has asked
# twice gets a thread of its own, which ends with it; answers on it are
# the loop's, in order; subscribe, refresh and a search for the worker
# send it back to the loop, where it is answered as before; its
# deadlines still hold; the daemon stops at once with threads reading;
# with answer_threads = 0 no thread starts; a pipelining client's thread
# that polls before it sleeps (answer_spin_us) reads what it finds as a
# blocking read does, and a client asking in a loop has its thread poll
# (one asking now and then does not).  A list (its answer's size the
# data's) goes to a thread at once, even from a fresh connection:
# answered there, in order with what came before and after it, beside
# generation swaps; a batch over the response limit is an error, on a
# thread and on the loop.
import os, select, shutil, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire
from wire import ok, diag, call, send, read_msg, closed, enc, frame

def threads(d):
    return len(os.listdir("/proc/%d/task" % d.proc.pid))

def settle(d, want, wait=5):
    """The daemon's thread count reaches want within wait seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if threads(d) == want:
            return True
        time.sleep(0.01)
    return False

def quiet(d):
    """d's thread count once its first check has ended (the thread that
    starts the rebuilder is gone) and it holds for 0.3 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        c = d.connect()
        st = call(c, {"id": 0, "op": "status"})["result"]["cache"]["state"]
        c.close()
        if st == "fresh":
            break
        time.sleep(0.05)
    n, since = threads(d), time.monotonic()
    while time.monotonic() - since < 0.3 and time.monotonic() < deadline:
        time.sleep(0.02)
        if threads(d) != n:
            n, since = threads(d), time.monotonic()
    return n

def asked_twice(d):
    """A connection to d that has asked twice: one for a thread."""
    s = d.connect()
    call(s, {"id": 0, "op": "ping"})
    call(s, {"id": 0, "op": "ping"})
    return s

tmp = tempfile.mkdtemp(prefix="omg-threads.")
os.chmod(tmp, 0o700)
daemons = []
try:
    conf = wire.fixture(tmp)
    if not os.path.isdir("/proc/self/task"):
        wire.skip_all("no /proc/PID/task to count threads with")
    d = wire.Daemon(tmp, conf, "d", "list_loop_bytes = 0\n"
                    "rate = 1000000000\nrate_burst = 1000000000\n")
    daemons.append(d)
    base = quiet(d)

    # A one-shot client (a completion) stays on the loop.
    s = d.connect()
    ok(call(s, {"id": 1, "op": "suggest", "query": "fi"})["id"] == 1,
       "one request: answered")
    ok(settle(d, base), "one request: no thread of its own")

    # The same connection asks again: a thread; it ends with the client.
    ok(call(s, {"id": 2, "op": "ping"})["result"] == "pong", "a second")
    ok(call(s, {"id": 3, "op": "ping"})["result"] == "pong", "a third")
    ok(settle(d, base + 1), "a connection that keeps asking: its thread")
    s.close()
    ok(settle(d, base), "the client gone: its thread ends")

    # A list larger than list_loop_bytes is lent to a thread at once: one
    # request, and the connection has a thread (the loop neither builds
    # nor sends it).  Here every list (0); the fixture's are small.
    qe = subprocess.run(["pacman", "--config", conf, "-Qe"],
                        capture_output=True, text=True).stdout.split()
    s = d.connect()
    got = call(s, {"id": 5, "op": "list", "explicit": True})
    pk = got.get("result", {}).get("packages", [])
    ok(got.get("id") == 5 and
       sum([[p["name"], p["version"]] for p in pk], []) == qe and qe,
       "a list from a fresh connection: pacman -Qe's %d" % (len(qe) // 2))
    ok(settle(d, base + 1), "a list on a fresh connection: lent a thread")
    s.close()
    ok(settle(d, base), "the client gone: that thread ends")
    dl = wire.Daemon(tmp, conf, "l")
    basel = quiet(dl)
    s = dl.connect()
    ok(call(s, {"id": 5, "op": "list", "explicit": True}) == got and
       settle(dl, basel) and not settle(dl, basel + 1, 0.3),
       "list_loop_bytes = 65536: a list of the fixture's, on the loop")
    s.close()
    dl.kill()

    # Pipelined on a fresh connection: what comes before the list is the
    # loop's, the rest the thread's, all in order; the same answers as a
    # daemon without threads (answer_threads = 0) gives one at a time.
    d3 = wire.Daemon(tmp, conf, "z", "answer_threads = 0\n")
    daemons.append(d3)
    lq = [{"id": 1, "op": "ping"},
          {"id": 2, "op": "info", "package": "glibc"},
          {"id": 3, "op": "list"},
          {"id": 4, "op": "ping"},
          {"id": 5, "op": "list", "explicit": True},
          {"id": 6, "op": "batch", "requests": [
              {"id": 61, "op": "list", "deps": True},
              {"id": 62, "op": "ping"},
              {"id": 63, "op": "list", "unrequired": 2}]},
          {"id": 7, "op": "search", "query": ["fire"]},
          {"id": 8, "op": "list", "upgrades": True}]
    want = []
    for r in lq:
        c = d3.connect()
        want.append(call(c, r))
        c.close()
    for label, x in (("lent to a thread", d), ("answer_threads = 0", d3)):
        s = x.connect()
        s.sendall(b"".join(frame(enc(r)) for r in lq))
        got = [read_msg(s) for _ in lq]
        ok(got == want and all("result" in g for g in want),
           "pipelined lists, %s: the answers one at a time, in order" %
           label)
        if x is d:
            ok(settle(d, base + 1), "those lists: on a thread")
        s.close()
    ok(settle(d, base), "that thread ends")
    base3 = quiet(d3)

    # Generation swaps while threads answer lists from the one they hold
    # (refresh: a new generation, the old one let go beside them): every
    # answer whole, the same (d's rate limit is out of the way: a slow
    # rebuild, under a sanitizer, sees thousands a second).
    full = want[2]["result"]
    listers = [asked_twice(d) for _ in range(3)]
    for c in listers:
        send(c, {"id": 9, "op": "list"})
    bad = asked = swaps = 0
    for _ in range(3):
        r = d.connect(30)
        send(r, {"id": 70, "op": "refresh"})
        while True:
            for c in listers:
                a = read_msg(c)
                asked += 1
                if a is None or a.get("result") != full:
                    bad += 1
                send(c, {"id": 9, "op": "list"})
            if not select.select([r], [], [], 0)[0]:
                continue
            m = read_msg(r)
            if m is None or "result" in m or "error" in m:
                swaps += m is not None and "result" in m
                break
        r.close()
    for c in listers:
        if read_msg(c) is None:
            bad += 1
        c.close()
    ok(bad == 0 and swaps == 3, "lists asked across %d swaps: %d answers, "
       "%d not whole or not the same" % (swaps, asked, bad))

    # A batch of lists over the response limit (4 KiB here): an error
    # (worked out up to the limit only), then the next is answered; from
    # the generation held on a thread, and a batch with a search in it on
    # the loop.
    d6 = wire.Daemon(tmp, conf, "r", "response_max = 4096\n"
                     "list_loop_bytes = 0\n")
    daemons.append(d6)
    big = {"id": 80, "op": "batch",
           "requests": [{"id": i, "op": "list"} for i in range(64)]}
    mixed = {"id": 81, "op": "batch",
             "requests": [{"id": 0, "op": "search", "query": ["fire"]}] +
             [{"id": i, "op": "list"} for i in range(1, 64)]}
    for label, r in (("lists", big), ("a search and lists", mixed)):
        s = d6.connect()
        e = call(s, r)
        ok(e is not None and e.get("id") == r["id"] and
           "over the size limit" in e.get("error", {}).get("message", "") and
           call(s, {"id": 82, "op": "ping"}) == {"id": 82, "result": "pong"},
           "a batch of %s over response_max: an error, then a pong" % label)
        s.close()
    d6.kill()

    # On a thread: the same answers as on the loop, in order, pipelined.
    loop = d.connect()
    want = [call(loop, {"id": 10 + i, "op": "search", "query": [q]})
            for i, q in enumerate(["fire", "lib", "^python$", "zzz"])]
    want.append(call(loop, {"id": 14, "op": "info", "package": "glibc"}))
    loop.close()
    s = asked_twice(d)
    ok(settle(d, base + 1), "warmed up: on its thread")
    reqs = [{"id": 10 + i, "op": "search", "query": [q]}
            for i, q in enumerate(["fire", "lib", "^python$", "zzz"])]
    reqs.append({"id": 14, "op": "info", "package": "glibc"})
    s.sendall(b"".join(frame(enc(r)) for r in reqs))
    got = [read_msg(s) for _ in reqs]
    ok(got == want, "pipelined on a thread: the loop's answers, in order")

    # A search for the worker (a regex) sends it back: answered, in order.
    send(s, {"id": 20, "op": "search", "query": ["fi.*x"]})
    send(s, {"id": 21, "op": "ping"})
    a, b = read_msg(s), read_msg(s)
    ok(a is not None and a.get("id") == 20 and "result" in a and
       b == {"id": 21, "result": "pong"},
       "a regex on a thread: back to the loop, the worker answers, in order")
    ok(settle(d, base), "sent back: its thread ended")
    ok(call(s, {"id": 22, "op": "ping"})["id"] == 22 and
       call(s, {"id": 23, "op": "ping"})["id"] == 23 and settle(d, base),
       "sent back for good: no thread again")
    s.close()

    # Subscribe on a thread: back to the loop, and events come.  Beside
    # it, a connection on its thread asks what a thread answers from the
    # answers kept (without the query lock) before and after pacman -U:
    # the new generation's answers, not the kept ones of the last.
    kq = [{"id": 50, "op": "info", "package": "ripgrep"},
          {"id": 51, "op": "search", "query": ["ripgrep"]},
          {"id": 52, "op": "list", "explicit": True}]
    kc = asked_twice(d)
    before = [call(kc, r) for r in kq + kq]
    ok(before[:3] == before[3:] and
       before[0]["result"].get("installed") is None,
       "on a thread, asked twice: the same answers (ripgrep not installed)")
    s = asked_twice(d)
    ok(settle(d, base + 2), "a subscriber-to-be on its thread")
    sub = call(s, {"id": 30, "op": "subscribe"})
    ok(sub is not None and sub.get("id") == 30 and "result" in sub,
       "subscribe from a thread: answered by the loop")
    r = subprocess.run(["pacman", "--config", conf, "-U", "--dbonly",
                        "--noconfirm", "-dd"] +
                       [os.path.join(tmp, "fx/pkgs/community", f)
                        for f in os.listdir(tmp + "/fx/pkgs/community")
                        if f.startswith("ripgrep-")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s.settimeout(10)
    ev = None
    for _ in range(10):
        ev = read_msg(s)
        if ev is None or ("event" in ev and ev.get("state") == "fresh" and
                          ev.get("generation", 0) >= 2):
            break
    ok(r.returncode == 0 and ev is not None and
       ev.get("generation", 0) >= 2,
       "after pacman -U the subscriber hears of generation 2")
    s.close()
    after = [call(kc, r) for r in kq]
    loop = d.connect()
    fresh = [call(loop, r) for r in kq]
    loop.close()
    qi = subprocess.run(["pacman", "--config", conf, "-Q", "ripgrep"],
                        capture_output=True, text=True).stdout.split()
    ok(after == fresh and after != before[:3] and len(qi) == 2 and
       after[0]["result"].get("installed") == qi[1],
       "the same on the thread after it: the new generation's answers "
       "(installed %s, as pacman -Q)" % (qi[1] if len(qi) == 2 else "?"))
    kc.close()

    # Refresh on a thread: progress and the answer, from the loop.
    s = asked_twice(d)
    send(s, {"id": 40, "op": "refresh"})
    last = None
    for _ in range(200):
        last = read_msg(s)
        if last is None or "result" in last or "error" in last:
            break
    ok(last is not None and last.get("id") == 40 and "result" in last,
       "refresh from a thread: its answer comes")
    s.close()

    # Deadlines on a thread: silent inside a frame, idle.
    d2 = wire.Daemon(tmp, conf, "t", "idle_timeout = 1\n"
                     "frame_gap_timeout = 1\n")
    daemons.append(d2)
    base2 = quiet(d2)
    s = asked_twice(d2)
    ok(settle(d2, base2 + 1), "idle test: on its thread")
    t0 = time.monotonic()
    ok(closed(s, 5) and time.monotonic() - t0 < 4,
       "an idle connection on a thread is closed (idle_timeout)")
    s = asked_twice(d2)
    s.sendall(frame(enc({"id": 1, "op": "ping"}))[:5])
    t0 = time.monotonic()
    ok(closed(s, 5) and time.monotonic() - t0 < 4,
       "half a frame on a thread is closed (frame_gap_timeout)")
    # The same with its thread polling (two frames came at once).
    s = asked_twice(d2)
    s.sendall(frame(enc({"id": 2, "op": "ping"})) * 2 +
              frame(enc({"id": 3, "op": "ping"}))[:5])
    t0 = time.monotonic()
    ok(read_msg(s) == {"id": 2, "result": "pong"} and
       read_msg(s) == {"id": 2, "result": "pong"} and
       closed(s, 5) and time.monotonic() - t0 < 4,
       "half a frame after two whole, on a polling thread: closed too")
    ok(settle(d2, base2), "their threads ended")

    # SIGTERM with threads blocked reading: out at once, status 0.
    held = []
    for _ in range(4):
        c = asked_twice(d2)
        held.append(c)
    ok(settle(d2, base2 + 4), "four clients, four threads")
    t0 = time.monotonic()
    rc = d2.stop()
    ok(rc == 0 and time.monotonic() - t0 < 3,
       "SIGTERM with four threads reading: exit 0 at once (%d)" % rc)
    ok(all(closed(c, 2) for c in held), "their connections were closed")

    # answer_threads = 0: everything on the loop, as before.
    s = d3.connect()
    for i in range(5):
        call(s, {"id": i, "op": "ping"})
    ok(not settle(d3, base3 + 1, 0.5), "answer_threads = 0: no thread")
    s.close()

    # A pipelining client's thread polls before it sleeps (omg.conf
    # answer_spin_us, here its longest, 1 ms): what it finds there is read
    # as a blocking read's.  Two frames at once set it polling; a frame
    # comes in two parts while it polls (0.2 ms apart), or the second
    # after it has gone to sleep; then two frames and the end of the
    # client's writing at once: answered, then closed.
    d5 = wire.Daemon(tmp, conf, "p", "answer_spin_us = 1000\n")
    daemons.append(d5)
    base5 = quiet(d5)
    s = asked_twice(d5)
    ok(settle(d5, base5 + 1), "polling: on its thread")
    s.sendall(frame(enc({"id": 60, "op": "ping"})) +
              frame(enc({"id": 61, "op": "ping"})))
    ok([read_msg(s), read_msg(s)] == [{"id": 60, "result": "pong"},
                                      {"id": 61, "result": "pong"}],
       "two frames at once on a thread: both answered")
    one = d5.connect()
    info = call(one, {"id": 62, "op": "info", "package": "glibc"})
    one.close()
    whole = frame(enc({"id": 62, "op": "info", "package": "glibc"}))
    bad = 0
    try:
        for cut in range(1, 41):
            s.sendall(frame(enc({"id": 0, "op": "ping"})) * 2)
            read_msg(s)
            read_msg(s)
            s.sendall(whole[:cut])
            time.sleep(0.0002)
            s.sendall(whole[cut:])
            if read_msg(s) != info:
                bad += 1
    except OSError as e:
        diag("polling: %s" % e)
        bad = -1
    ok(bad == 0, "a frame in two parts while its thread polls, cut at "
       "each of 40 bytes: answered whole (%d not; -1: closed)" % bad)
    s.sendall(whole[:7])
    time.sleep(0.2)
    s.sendall(whole[7:])
    ok(read_msg(s) == info,
       "a frame in two parts 0.2 s apart: answered whole")
    s.sendall(frame(enc({"id": 63, "op": "ping"})) +
              frame(enc({"id": 64, "op": "ping"})))
    s.shutdown(socket.SHUT_WR)
    ok([read_msg(s), read_msg(s)] == [{"id": 63, "result": "pong"},
                                      {"id": 64, "result": "pong"}] and
       closed(s, 5) and settle(d5, base5),
       "two frames and the end of input at once: answered, then closed")
    s.close()
    ok(settle(d5, base5), "that thread ended")

    # A client that asks again at once after each answer (a program in a
    # loop: here within 3 ms, 3 x answer_spin_us) has its thread poll: it
    # sleeps for fewer than the 200 pings (a thread that does not poll
    # sleeps at least once for each: the next comes after the answer; 6
    # here when idle, up to 100 under load).  One that asks every 10 ms
    # never has it poll: it sleeps for each of 20.
    def sleeps(d, tid):
        with open("/proc/%d/task/%d/status" % (d.proc.pid, tid)) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    return int(line.split()[1])
    def tasks(d):
        return set(int(t) for t in os.listdir("/proc/%d/task" % d.proc.pid))
    before = tasks(d5)
    s = asked_twice(d5)
    ok(settle(d5, base5 + 1), "a client in a loop: on its thread")
    tid = max(tasks(d5) - before)
    n0 = sleeps(d5, tid)
    for i in range(200):
        call(s, {"id": i, "op": "ping"})
    hot = sleeps(d5, tid) - n0
    n0 = sleeps(d5, tid)
    for i in range(20):
        time.sleep(0.01)
        call(s, {"id": i, "op": "ping"})
    cold = sleeps(d5, tid) - n0
    ok(hot < 200 and cold >= 20, "its thread slept %d times for 200 pings "
       "asked at once, %d for 20 asked 10 ms apart" % (hot, cold))
    s.close()
    d5.kill()

    # answer_spin_us = 0: a pipelining client's thread sleeps at once.
    d4 = wire.Daemon(tmp, conf, "n", "answer_spin_us = 0\n")
    daemons.append(d4)
    want = []
    for r in reqs:
        s = d4.connect()
        want.append(call(s, r))
        s.close()
    s = asked_twice(d4)
    s.sendall(b"".join(frame(enc(r)) for r in reqs))
    ok([read_msg(s) for _ in reqs] == want,
       "answer_spin_us = 0: pipelined answers the same, in order")
    s.close()
finally:
    for x in daemons:
        x.kill()
    shutil.rmtree(tmp, ignore_errors=True)
wire.done_testing()
