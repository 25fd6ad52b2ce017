#!/usr/bin/env python3
# The wire protocol through the real daemon's socket, spoken by a second,
# independent CBOR implementation (below): framing, every op, pipelining,
# batches, each error code, and bad frames that must close only their own
# connection while the daemon keeps serving everyone else.
import os, shutil, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire
from wire import ok, enc, frame, recv_exact, read_msg, call, closed, TOP, OMG

def connect(): return wire.connect(SOCK)

tmp = tempfile.mkdtemp(prefix="omg-wire.")
os.chmod(tmp, 0o700)
daemon = None
try:
    wire.fixture(tmp)
    SOCK = tmp + "/omg.sock"
    daemon = subprocess.Popen([OMG, "--daemon", "--socket", SOCK, "--config",
                               tmp + "/fx/pacman.conf", "--cache", tmp + "/c.db"],
                              stderr=open(tmp + "/daemon.log", "w"))
    wire.wait_up(daemon, SOCK, tmp + "/daemon.log")
    ok(os.path.exists(SOCK), "daemon is up")
    ok(os.stat(SOCK).st_mode & 0o777 == 0o600, "socket mode 0600")

    s = connect()
    # The man page's example, byte for byte.
    s.sendall(bytes.fromhex("0000000d a2 62 6964 01 62 6f70 64 70696e67".replace(" ", "")))
    got = recv_exact(s, 21)
    ok(got == bytes.fromhex("00000011 a2 62 6964 01 66 726573756c74 64 706f6e67".replace(" ", "")),
       "ping: the exact bytes of omg-protocol(7)")

    # The man page's search example, its hex lines sent as they stand.
    man = open(os.path.join(TOP, "man", "omg-protocol.7")).read()
    block = man[man.index('"query": "fire i18n"'):]
    block = block[block.index("\n") + 1:block.index(".EE")]
    r = call(s, bytes.fromhex(block.replace("\n", " ")))
    ok(r["id"] == 2 and r["result"]["total"] == 2 and
       [p["name"] for p in r["result"]["packages"]] == ["firefox-i18n-de", "firefox-i18n-fr"],
       "search: the hex example of omg-protocol(7) is a valid request")
    r = call(s, bytes.fromhex("a2 62 69 64 07 62 6f 70 64 6e 6f 70 65".replace(" ", "")))
    ok(r == {"id": 7, "error": {"code": -32601, "message": 'unknown op "nope"'}},
       "unknown op: the man page's example answer")
    ok(enc(-32601) == bytes.fromhex("397f58"), "-32601 encodes as the man page says")

    r = call(s, {"id": 2, "op": "search", "query": "fire", "limit": 2})
    ok(r["id"] == 2 and r["result"]["total"] == 3 and len(r["result"]["packages"]) == 2,
       "search: limit and total")
    p = r["result"]["packages"][0]
    ok(p["name"] == "firefox" and p["source"] == "extra" and p["installed"] == "70.0-1"
       and p["description"].startswith("Standalone"), "search: pkg fields")
    # Terms as an array: each one term, spaces kept, as pacman -Ss takes
    # its arguments; the protocol-1 string is split at blanks.
    r = call(s, {"id": 2, "op": "search", "query": ["web browser"], "sort": "repo"})
    one = [p["name"] for p in r["result"]["packages"]]
    r = call(s, {"id": 2, "op": "search", "query": "web browser", "sort": "repo"})
    two = [p["name"] for p in r["result"]["packages"]]
    want = subprocess.run(["pacman", "--config", tmp + "/fx/pacman.conf", "-Ssq",
                           "web browser"], stdout=subprocess.PIPE).stdout.decode().split()
    ok(one == want and len(two) >= len(one), "search: an array term keeps its space (%s), "
       "the string splits (%s)" % (one, two))
    r = call(s, {"id": 2, "op": "search", "query": [], "sort": "repo", "limit": 1000})
    every = [p["name"] for p in r["result"]["packages"]]
    pages = []
    for off in range(0, len(every) + 5, 5):
        r = call(s, {"id": 2, "op": "search", "query": [], "sort": "repo",
                     "limit": 5, "offset": off})
        ok(r["result"]["total"] == len(every), "offset %d: total %d" % (off, len(every)))
        pages += [p["name"] for p in r["result"]["packages"]]
    ok(pages == every, "pages of 5 by offset give every match once, in order")
    r = call(s, {"id": 2, "op": "search", "query": ["a", 3]})
    ok(r.get("error", {}).get("code") == -32602, "a term that is not text: -32602")
    r = call(s, {"id": 2, "op": "search", "query": "x", "offset": -1})
    ok(r.get("error", {}).get("code") == -32602, "a negative offset: -32602")
    r = call(s, {"id": 3, "op": "info", "package": "community/python"})
    ok(r["result"]["version"] == "3.8.0-1" and r["result"]["repo"] == "community",
       "info: repo/name")
    ok(r["result"]["installed"] == "3.7.4-1" and r["result"]["reason"] == "dependency",
       "info: merged with the installed package")
    r = call(s, {"id": 4, "op": "status"})
    ok(r["result"]["total_packages"] == 18 and r["result"]["updates_available"] == 3
       and r["result"]["security_vulnerabilities"] == 0, "status")
    r = call(s, {"id": 5, "op": "suggest", "query": "fi", "limit": 2})
    ok(r == {"id": 5, "result": ["fish", "firefox"]}, "suggest")

    # Pipelining: several requests in one write, answered in order.
    reqs = [{"id": 100 + k, "op": op, **extra} for k, (op, extra) in enumerate([
        ("search", {"query": "shell"}), ("info", {"package": "bash"}),
        ("ping", {}), ("suggest", {"query": "gl"}), ("status", {})] * 20)]
    s.sendall(b"".join(frame(enc(q)) for q in reqs))
    ids = [read_msg(s)["id"] for _ in reqs]
    ok(ids == [q["id"] for q in reqs], "100 pipelined requests answered in order")

    # A frame dribbled one byte at a time.
    for byte in frame(enc({"id": 6, "op": "ping"})):
        s.send(bytes([byte])); time.sleep(0.001)
    ok(read_msg(s) == {"id": 6, "result": "pong"}, "a frame sent byte by byte")

    # Batch
    r = call(s, {"id": 7, "op": "batch", "requests": [
        {"id": 1, "op": "info", "package": "bash"},
        {"id": 2, "op": "info", "package": "nosuch"},
        {"id": 3, "op": "batch", "requests": []},
        {"id": 4, "op": "ping"}]})
    res = r["result"]
    ok(r["id"] == 7 and [x["id"] for x in res] == [1, 2, 3, 4], "batch: one response per request, in order")
    ok(res[0]["result"]["name"] == "bash", "batch: info answered")
    ok(res[1]["error"]["code"] == -1001, "batch: not found is -1001 for that one")
    ok(res[2]["error"]["code"] == -32602, "batch: a nested batch is -32602")
    ok(res[3]["result"] == "pong", "batch: ping")
    r = call(s, {"id": 8, "op": "batch", "requests": [{"id": k, "op": "ping"} for k in range(65)]})
    ok(r["id"] == 8 and r["error"]["code"] == -32602, "batch over 64: -32602")

    # Errors keep the connection.
    cases = [
        (b"\xa2", 0, -32700, "truncated CBOR"),
        (b"\xa0\x00", 0, -32700, "trailing bytes"),
        (bytes.fromhex("9affffffff"), 0, -32700, "array claiming 2^32 items"),
        (bytes.fromhex("7b8000000000000000"), 0, -32700, "string claiming 2^63 bytes"),
        (b"\x81" * 1000, 0, -32700, "nesting 1000 deep"),
        (b"\xc0" * 1000, 0, -32700, "tags"),
        (enc([1, 2]), 0, -32602, "not a map"),
        (enc({"op": "ping"}), 0, -32602, "no id"),
        (enc({"id": "x", "op": "ping"}), 0, -32602, "id as text"),
        (enc({"id": 9, "op": "launch"}), 9, -32601, "unknown op"),
        (enc({"id": 10, "op": "search"}), 10, -32602, "search without query"),
        (enc({"id": 11, "op": "search", "query": "["}), 11, -32602, "invalid regex"),
        (enc({"id": 12, "op": "search", "query": "x", "limit": 1001}), 12, -32602, "limit 1001"),
        (enc({"id": 13, "op": "suggest", "query": "x", "limit": 0}), 13, -32602, "limit 0"),
        (enc({"id": 14, "op": "info", "package": "nosuch"}), 14, -1001, "package not found"),
        (b"\xa2\x62id\x0f\x62op\x64ping\x62id\x0f"[:-4] + b"\xff", 0, -32700, "break byte"),
        (b"\xa1\x62\xc3\x28\x00", 0, -32700, "invalid UTF-8"),
    ]
    for payload, want_id, code, what in cases:
        r = call(s, payload)
        good = r is not None and r.get("id") == want_id and r["error"]["code"] == code \
            and isinstance(r["error"]["message"], str) and r["error"]["message"]
        ok(good, "%s: error %d, id %d" % (what, code, want_id))
    r = call(s, {"id": 15, "op": "info", "package": "fierfox"})
    ok("did you mean firefox" in r["error"]["message"], "not found names a suggestion")
    ok(call(s, {"id": 16, "op": "ping"})["result"] == "pong", "the connection survived every error")

    # Bad framing closes that connection only.
    for hdr, what in ((b"\x00\x00\x00\x00", "length 0"), (b"\x00\x01\x00\x01", "length 65537"),
                      (b"\xff\xff\xff\xff", "length 0xFFFFFFFF")):
        c = connect()
        c.sendall(hdr)
        ok(closed(c), "frame %s closes the connection" % what)
        c.close()
    c = connect()
    c.sendall(frame(enc({"id": 1, "op": "ping"}))[:6])
    c.close()                               # vanish mid-request
    c = connect()
    c.sendall(b"".join(frame(enc({"id": k, "op": "search", "query": "."})) for k in range(50)))
    c.shutdown(socket.SHUT_WR)              # half-close: answers still come
    got = [read_msg(c)["id"] for _ in range(50)]
    ok(got == list(range(50)), "SHUT_WR after sending: every answer still arrives")
    c.close()
    c = connect()
    c.sendall(b"".join(frame(enc({"id": k, "op": "search", "query": "."})) for k in range(200)))
    c.close()                               # vanish mid-response
    ok(call(s, {"id": 17, "op": "ping"})["result"] == "pong", "other clients keep being served")
    ok(daemon.poll() is None, "the daemon is still running")
    s.close()
    daemon.terminate()
    ok(daemon.wait(5) == 0, "SIGTERM: exit 0")
    ok(not os.path.exists(SOCK), "SIGTERM: the socket is removed")
finally:
    if daemon is not None and daemon.poll() is None:
        daemon.kill()
    shutil.rmtree(tmp, ignore_errors=True)
wire.done_testing()
