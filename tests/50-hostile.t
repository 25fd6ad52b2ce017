#!/usr/bin/env python3
# Hostile clients against the real daemon: huge declared lengths, deep
# nesting, junk, slow and silent clients, floods past the connection cap
# and the fd limit, a client that pipelines and never reads, abrupt
# disconnects, rate limits, deadlines, and another user.  Whatever they do,
# the daemon keeps answering a well-behaved client, does not crash, does
# not grow without bound, and leaks no fds.  Times here are deadlines for
# hangs, not performance targets: latencies are printed, never judged.
import os, pwd, resource, shutil, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire
from wire import ok, frame, recv_exact, closed, TOP, OMG

# {"id": 1, "op": "ping"} and a search, as CBOR
PING = frame(bytes.fromhex("a262696401626f706470696e67"))
def search(q, i=1, limit=None):
    qb = q.encode()
    body = (bytes([0xa3 if limit is None else 0xa4, 0x62]) + b"id" + bytes([i]) + bytes([0x62]) +
            b"op" + bytes([0x66]) + b"search" + bytes([0x65]) + b"query" + bytes([0x60 + len(qb)]) + qb)
    if limit is not None:
        body += bytes([0x65]) + b"limit" + bytes([0x19]) + struct.pack(">H", limit)
    return frame(body)

def read_frame(s):
    h = recv_exact(s, 4)
    if h is None: return None
    return recv_exact(s, struct.unpack(">I", h)[0])

def connect(timeout=5): return wire.connect(SOCK, timeout)

def ping_ms():
    """A well-behaved client: connect, ping, answer.  Returns ms or None."""
    t0 = time.perf_counter()
    try:
        s = connect()
        s.sendall(PING)
        r = read_frame(s)
        s.close()
        return (time.perf_counter() - t0) * 1000 if r and b"pong" in r else None
    except OSError:
        return None

def error_code(payload):
    # the "code" of {"id":..,"error":{"code":int,...}}: find it after b"code"
    i = payload.find(b"dcode")
    if i < 0: return None
    b = payload[i + 5:]
    ib, ai = b[0] >> 5, b[0] & 31
    v = ai if ai < 24 else int.from_bytes(b[1:1 + {24: 1, 25: 2, 26: 4}[ai]], "big")
    return -1 - v if ib == 1 else v

def proc(field):
    with open("/proc/%d/status" % daemon.pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])

def nfds(): return len(os.listdir("/proc/%d/fd" % daemon.pid))

def rebuilding():
    """Whether the daemon's rebuilder runs (it checks the cache at start;
    its progress pipe is open until it ends)."""
    return bool(wire.children("--rebuild-cache", daemon.pid))

def settled_fds():
    """The fd count once the daemon's rebuilder has ended and it has seen
    every client go."""
    last = -1
    for _ in range(100):
        time.sleep(0.1)
        if rebuilding(): continue
        now = nfds()
        if now == last: return now
        last = now
    return last

def cpu_s():
    with open("/proc/%d/stat" % daemon.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

tmp = tempfile.mkdtemp(prefix="omg-hostile.")
created_user = None
os.chmod(tmp, 0o700)
daemon = None
socks = []

def start(settings, fdlimit=None):
    global daemon, SOCK
    SOCK = tmp + "/omg.sock"
    with open(tmp + "/omg.conf", "w") as f:
        f.write(settings)
    def limit():
        if fdlimit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fdlimit, fdlimit))
    daemon = subprocess.Popen([OMG, "--daemon", "--socket", SOCK, "--config",
                               tmp + "/fx/pacman.conf", "--cache", tmp + "/c.db",
                               "--omg-conf", tmp + "/omg.conf", "--verbose"],
                              stderr=open(tmp + "/daemon.log", "a"), preexec_fn=limit)
    wire.wait_up(daemon, SOCK, tmp + "/daemon.log")

def stop():
    global daemon
    for s in socks: s.close()
    del socks[:]
    daemon.terminate()
    rc = daemon.wait(10)
    daemon = None
    return rc

try:
    wire.fixture(tmp)

    # A bad omg.conf is refused with one clear line.
    with open(tmp + "/bad.conf", "w") as f:
        f.write("connections_max = lots\n")
    p = subprocess.run([OMG, "--daemon", "--socket", tmp + "/x.sock", "--config",
                        tmp + "/fx/pacman.conf", "--cache", tmp + "/x.db",
                        "--omg-conf", tmp + "/bad.conf"], stderr=subprocess.PIPE)
    ok(p.returncode == 1 and b"connections_max must be a whole number" in p.stderr,
       "a bad omg.conf: exit 1, the line and the rule named")

    start("connections_max = 64\nconnections_fresh_max = 16\nfirst_frame_timeout = 1\n"
          "frame_gap_timeout = 0.5\nidle_timeout = 1\nwrite_stall_timeout = 1\n"
          "rate = 200\nrate_burst = 400\noutput_pause = 65536\noutput_max = 1048576\n")
    # A regex search first: the search worker's socket is one of the fds
    # the daemon keeps from then on.
    s = connect(); s.sendall(search("^fire")); read_frame(s); s.close()
    base_fds = settled_fds()
    rss0 = proc("VmRSS")

    # 1. Huge declared lengths
    for hdr, what in ((b"\xff\xff\xff\xff", "0xFFFFFFFF"), (b"\x00\x01\x00\x01", "65537")):
        s = connect(); s.sendall(hdr)
        ok(closed(s, 2), "frame length %s: closed" % what); s.close()
    for body, what in ((bytes.fromhex("9affffffff"), "9A FF FF FF FF"),
                       (bytes.fromhex("9b" + "ff" * 8), "9B FF x8"),
                       (bytes.fromhex("bb" + "ff" * 8), "BB FF x8"),
                       (bytes.fromhex("7b7fffffffffffffff") + b"x", "a 2^63-byte text string")):
        s = connect(); s.sendall(frame(body))
        r = read_frame(s)
        ok(r is not None and error_code(r) == -32700, "%s: parse error, no allocation" % what)
        s.close()
    grew = proc("VmRSS") - rss0
    ok(grew < 1024, "RSS grew %d KiB (< 1 MiB) after the huge lengths" % grew)

    # 2. Deep nesting
    for body, what in ((b"\x81" * 60000, "0x81 x 60000"), (b"\x9f" * 10000, "0x9F x 10000"),
                       (b"\xc0" * 10000, "0xC0 x 10000")):
        s = connect(); s.sendall(frame(body))
        r = read_frame(s)
        ok(r is not None and error_code(r) == -32700, "%s: -32700, no stack overflow" % what)
        s.sendall(PING)
        ok(b"pong" in (read_frame(s) or b""), "%s: the connection stays usable" % what)
        s.close()

    # 3. Semantic junk on one connection
    s = connect()
    junk = [(b"\xa0\x00", -32700, "trailing bytes"),
            (b"\xa1\x62\xc3\x28\x00", -32700, "invalid UTF-8"),
            (bytes.fromhex("a362696401626f706470696e6762696402"), -32602, "duplicate keys"),
            (bytes.fromhex("a26269646178626f706470696e67"), -32602, "id of the wrong type"),
            (bytes.fromhex("a262696401626f70646e6f7065"), -32601, "unknown op"),
            (bytes.fromhex("a362696401626f706562617463686872657175657374739a00002710") + b"\x00" * 10000,
             -32700, "batch of 10000")]
    for body, code, what in junk:
        s.sendall(frame(body))
        r = read_frame(s)
        ok(r is not None and error_code(r) == code, "%s: error %d" % (what, code))
    s.sendall(PING)
    ok(b"pong" in (read_frame(s) or b""), "after all the junk the connection still answers")
    s.close()

    # Deadlines and the fresh-connection cap
    s = connect()
    t0 = time.time()
    ok(closed(s, 5), "a silent connection is closed (first frame deadline)")
    print("# closed after %.1f s (first_frame_timeout = 1)" % (time.time() - t0))
    s = connect(); s.sendall(PING[:7])
    ok(closed(s, 5), "a frame left half-sent is closed (gap deadline)")
    s = connect(); s.sendall(PING); read_frame(s)
    ok(closed(s, 6), "an idle connection is closed (idle deadline)")
    fresh = [connect() for _ in range(20)]
    time.sleep(0.3)
    shut = sum(1 for c in fresh[:4] if closed(c, 0.5))
    ok(shut == 4, "20 silent connections over a cap of 16: the 4 oldest closed")
    for c in fresh: c.close()
    time.sleep(0.2)
    # Eviction prefers the silent: the oldest connection is mid-request
    # (half a frame sent), then 20 silent ones come; it is not the one
    # closed, and its request is answered when it completes it.
    busy = connect(); busy.sendall(PING[:7])
    time.sleep(0.05)
    fresh = [connect() for _ in range(20)]
    time.sleep(0.1)
    try:
        busy.sendall(PING[7:])
        r = read_frame(busy)
    except OSError:                     # closed on us: the old policy
        r = None
    ok(r is not None and b"pong" in r,
       "flood of 20 silent over a cap of 16: the client mid-request is kept and answered")
    shut = sum(1 for c in fresh[:5] if closed(c, 0.5))
    ok(shut == 5, "the silent ones went instead (%d of the 5 oldest closed)" % shut)
    busy.close()
    for c in fresh: c.close()

    # Connection cap
    held = []
    for _ in range(64):
        c = connect(); c.sendall(PING); read_frame(c); held.append(c)
    extra = connect()
    ok(closed(extra, 2), "the 65th connection over a cap of 64 is closed at once")
    for c in held: c.close()
    time.sleep(0.2)

    # 4. Slow clients: 500 connections dribbling or silent
    slow = []
    lat = []
    fails = []
    for i in range(500):
        try:
            slow.append(connect(2))
        except OSError:
            pass
    t_end = time.time() + 1.5
    k = 0
    while time.time() < t_end:
        for c in slow[k % 50::50]:
            try: c.send(b"\x00")
            except OSError: pass
        k += 1
        lat.append(ping_ms())
        time.sleep(0.1)
    answered = [x for x in lat if x is not None]
    ok(len(answered) == len(lat), "500 slow clients: a new client is answered every time (%d/%d)"
       % (len(answered), len(lat)))
    if answered:
        print("# ping during the slow flood: median %.2f ms, max %.2f ms" %
              (sorted(answered)[len(answered) // 2], max(answered)))
    for c in slow: c.close()

    # 6. Pipelining without reading
    rss1 = proc("VmRSS")
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(SOCK)
    hog.setblocking(False)
    # a batch of 64 searches for every package: ~60 bytes in, ~300 KB out
    inner = search(".", 7, 1000)[4:]
    one = frame(b"\xa3\x62id\x07\x62op\x65batch\x68requests\x98\x40" + inner * 64)
    req = one * 100
    sent = 0
    t_end = time.time() + 1
    while sent < 100000 and time.time() < t_end:
        try:
            sent += hog.send(req) // len(one)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:                 # closed on us: checked below
            break
    print("# the hog got %d searches in before the daemon stopped reading" % sent)
    ok(sent < 100000, "a client that never reads: the daemon stops reading it")
    mid = ping_ms()
    ok(mid is not None, "meanwhile another client is answered (%.2f ms)" % (mid or -1))
    grew = proc("VmRSS") - rss1
    ok(grew < 16 * 1024, "daemon RSS grew %d KiB, bounded by the output limits" % grew)
    time.sleep(1.5)                     # past write_stall_timeout, unread
    with open(tmp + "/daemon.log") as f:
        log = f.read()
    hog.setblocking(True)
    try:
        hog_closed = closed(hog, 8)
    except OSError:
        hog_closed = True
    ok(hog_closed, "the hog is closed after the write-stall deadline")
    hog.close()
    ok("peer stopped reading" in log and "output over the limit" not in log,
       "it was closed for not reading; its output never passed the cap")

    # 8. Rate limit
    s = connect()
    s.sendall(PING * 1000)
    codes = [error_code(read_frame(s) or b"") for _ in range(1000)]
    limited = sum(1 for c in codes if c == -1002)
    ok(0 < limited < 1000, "1000 pings at once past a burst of 400: %d answered -1002" % limited)
    time.sleep(0.5)
    s.sendall(PING)
    ok(b"pong" in (read_frame(s) or b""), "rate limited, the connection is kept and serves again")
    s.close()

    # 7. Abrupt disconnects
    for _ in range(50):
        c = connect(); c.sendall(search(".")[:9]); c.close()
        c = connect(); c.sendall(search(".") * 30); c.close()
        c = connect(); c.sendall(PING * 3); c.shutdown(socket.SHUT_WR)
        ok_ = all(b"pong" in (read_frame(c) or b"") for _ in range(3)); c.close()
    ok(ok_, "SHUT_WR after sending: the answers still arrive")
    ok(daemon.poll() is None and ping_ms() is not None, "no SIGPIPE death after 150 abrupt disconnects")
    # A client gone cancels its searches: a worker busy with one is
    # ended, and the next regex search starts another (its socket is
    # among base_fds).
    s = connect(); s.sendall(search("^fire")); read_frame(s); s.close()
    for _ in range(50):                 # let the daemon see the last EOFs
        if nfds() == base_fds: break
        time.sleep(0.1)
    ok(nfds() == base_fds, "fds back to %d after all of it (now %d)" % (base_fds, nfds()))
    ok(stop() == 0, "clean exit after all of it")

    # 5. Flood up to the fd limit: accept pauses instead of spinning
    start("connections_max = 5000\nconnections_fresh_max = 5000\nfirst_frame_timeout = 30\n",
          fdlimit=64)
    base_fds = settled_fds()
    flood = []
    for _ in range(200):
        try: flood.append(connect(1))
        except OSError: break
    c0 = cpu_s()
    time.sleep(1)
    burned = cpu_s() - c0
    ok(burned < 0.5, "at EMFILE with 200 clients waiting: %.2f s of CPU in 1 s (no busy loop)" % burned)
    for c in flood: c.close()
    for _ in range(30):                 # until the daemon accepts again
        if ping_ms() is not None: break
        time.sleep(0.1)
    ok(ping_ms() is not None, "after the flood a new client is answered")
    for _ in range(50):
        if nfds() == base_fds: break
        time.sleep(0.1)
    ok(nfds() == base_fds, "fds back to %d after the flood (now %d)" % (base_fds, nfds()))
    with open(tmp + "/daemon.log") as f:
        ok("Too many open files" in f.read(), "EMFILE is logged")

    # Another user
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("setpriv") is None:
        ok(True, "# SKIP another user needs root, useradd and setpriv")
    else:
        user = "omgtest"
        try: pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "-M", "-s", "/bin/false", user], check=True)
            created_user = user
        uid = pwd.getpwnam(user).pw_uid
        os.chmod(tmp, 0o711)
        os.chmod(SOCK, 0o666)           # the worst case: everyone may connect
        probe = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(3); "
                 "s.connect(sys.argv[1])\ntry: s.sendall(bytes.fromhex('0000000da262696401626f706470696e67'))\n"
                 "except OSError: pass"
                 "\ntry: d=s.recv(64)\nexcept ConnectionResetError: d=b''\nprint('answered' if d else 'closed')")
        p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                            sys.executable, "-c", probe, SOCK], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        ok(p.stdout.strip() == b"closed", "another user, socket forced to 0666: closed unanswered (%s)"
           % (p.stdout.strip() or p.stderr.strip()[-80:]).decode())
        time.sleep(0.2)
        with open(tmp + "/daemon.log") as f:
            ok("refused a connection from uid %d" % uid in f.read(), "and the refusal is logged")
        os.chmod(tmp, 0o700)
    ok(ping_ms() is not None, "the owner is still served")
    ok(stop() == 0, "clean exit")
finally:
    if daemon is not None and daemon.poll() is None:
        daemon.kill()
    shutil.rmtree(tmp, ignore_errors=True)
    if created_user:
        subprocess.run(["userdel", created_user])
wire.done_testing()
