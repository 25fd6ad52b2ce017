# wire.py - what the Python tests share: TAP output, a second CBOR
# implementation (RFC 8949, the subset the protocol uses), omg's framing,
# the fixture, and a daemon to talk to.  Independent of src/ on purpose:
# the tests speak the protocol as any other client would.
import os, socket, struct, subprocess, sys, time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OMG = os.environ.get("OMG", os.path.join(TOP, "omg"))

# TAP

n = failed = 0

def ok(cond, name):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
    sys.stdout.flush()
    return cond

def skip(why):
    """A check that cannot be made here: counted, and said why."""
    global n
    n += 1
    print("ok %d # SKIP %s" % (n, why))
    sys.stdout.flush()

def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line)
    sys.stdout.flush()

def done_testing():
    print("1..%d" % n)
    sys.exit(1 if failed else 0)

def skip_all(why):
    print("1..0 # SKIP %s" % why)
    sys.exit(0)

# CBOR

def head(major, v):
    if v < 24: return bytes([major << 5 | v])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if v < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, v)

def enc(x):
    if x is None: return b"\xf6"
    if x is True: return b"\xf5"
    if x is False: return b"\xf4"
    if isinstance(x, int):
        return head(0, x) if x >= 0 else head(1, -1 - x)
    if isinstance(x, str):
        b = x.encode(); return head(3, len(b)) + b
    if isinstance(x, bytes): return head(2, len(x)) + x
    if isinstance(x, list): return head(4, len(x)) + b"".join(map(enc, x))
    if isinstance(x, dict):
        return head(5, len(x)) + b"".join(enc(k) + enc(v) for k, v in x.items())
    raise TypeError(x)

def dec(b, i=0):
    ib = b[i]; major, ai = ib >> 5, ib & 31; i += 1
    if ai < 24: v = ai
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
        v = int.from_bytes(b[i:i + size], "big"); i += size
    if major == 0: return v, i
    if major == 1: return -1 - v, i
    if major == 2: return b[i:i + v], i + v
    if major == 3: return b[i:i + v].decode(), i + v
    if major == 4:
        out = []
        for _ in range(v):
            x, i = dec(b, i); out.append(x)
        return out, i
    if major == 5:
        out = {}
        for _ in range(v):
            k, i = dec(b, i); x, i = dec(b, i); out[k] = x
        return out, i
    if major == 7: return {20: False, 21: True, 22: None}[ai], i
    raise ValueError("unexpected major type %d" % major)

# Frames

def frame(payload): return struct.pack(">I", len(payload)) + payload

def connect(path, timeout=5):
    """Connect as omg's client does: waiting while the listen queue is
    full (Python's timeouts make connect non-blocking, and a Unix socket
    then says EAGAIN at once), up to timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.005)

def recv_exact(s, k):
    buf = b""
    while len(buf) < k:
        chunk = s.recv(k - len(buf))
        if not chunk: return None
        buf += chunk
    return buf

def read_msg(s):
    """The next message, decoded; None when the daemon closed."""
    h = recv_exact(s, 4)
    if h is None: return None
    body = recv_exact(s, struct.unpack(">I", h)[0])
    x, end = dec(body)
    assert end == len(body), "trailing bytes in a response"
    return x

def send(s, req):
    s.sendall(frame(enc(req) if not isinstance(req, bytes) else req))

def call(s, req):
    send(s, req)
    return read_msg(s)

def closed(s, wait=5):
    """True when the peer closes within wait seconds (after any data)."""
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            if s.recv(65536) == b"":
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        pass
    return False

# The fixture and a daemon

def fixture(tmp):
    """tests/mkfixture into tmp/fx; its pacman.conf, or SKIP."""
    r = subprocess.run([os.path.join(TOP, "tests", "mkfixture"), tmp + "/fx"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        skip_all("cannot build the fixture: %s" % r.stderr.decode().strip())
    return tmp + "/fx/pacman.conf"

# How long a daemon may take to answer its first ping: it builds its cache
# before serving (seconds at 2019's scale under ASan on a loaded machine).
# Not a measure of anything: a daemon that exits is reported at once.
START_WAIT = 120

def wait_up(proc, sock, log):
    """Until the daemon proc answers a ping on sock; a Bail out with its
    log if it exits first or does not answer within START_WAIT s."""
    deadline = time.monotonic() + START_WAIT
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            s = connect(sock)
            up = call(s, {"id": 0, "op": "ping"}) is not None
            s.close()
            if up:
                return
        except OSError:
            pass
        time.sleep(0.025)
    if proc.poll() is None:             # not left behind the test
        proc.kill()
        proc.wait()
        why = "did not answer a ping in %d s" % START_WAIT
    else:
        why = "exited with status %d" % proc.returncode
    raise SystemExit("Bail out! the daemon did not start (%s):\n%s" %
                     (why, open(log).read()))

def children(pattern, parent=None):
    """The pids of the processes whose command line matches pattern (a
    daemon's rebuilder or search workers), of parent's only if given."""
    argv = ["pgrep", "-f", "--", pattern]
    if parent is not None:
        argv[1:1] = ["-P", str(parent)]
    r = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    return set(int(x) for x in r.stdout.split())

class Daemon:
    """omg --daemon on tmp/NAME.sock, cache tmp/NAME.db, log tmp/NAME.log."""
    def __init__(self, tmp, conf, name="d", settings=None):
        self.sock = "%s/%s.sock" % (tmp, name)
        self.log = "%s/%s.log" % (tmp, name)
        argv = [OMG, "--daemon", "--socket", self.sock, "--config", conf,
                "--cache", "%s/%s.db" % (tmp, name), "--verbose"]
        if settings is not None:
            path = "%s/%s.omg.conf" % (tmp, name)
            with open(path, "w") as f:
                f.write(settings)
            argv += ["--omg-conf", path]
        self.proc = subprocess.Popen(argv, stderr=open(self.log, "a"))
        wait_up(self.proc, self.sock, self.log)

    def connect(self, timeout=5): return connect(self.sock, timeout)

    def stop(self):
        """SIGTERM; the exit status."""
        self.proc.terminate()
        return self.proc.wait(10)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

# python3 wire.py pings SOCK N: N pings on one connection, one every 2 ms,
# read back after; prints "N in order" when every answer came, in order.
if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "pings":
    _s, _n = connect(sys.argv[2], 20), int(sys.argv[3])
    for _i in range(_n):
        _s.sendall(frame(enc({"id": _i + 1, "op": "ping"})))
        time.sleep(0.002)
    _ids = [read_msg(_s).get("id") for _ in range(_n)]
    print("%d in order" % _n if _ids == list(range(1, _n + 1)) else
          "out of order or missing: %r" % _ids[:20])
