#!/usr/bin/env python3
"""slow_clients.py - slowloris clients for the server-limits test.

usage: slow_clients.py PORT SOURCE:COUNT... [--interval S] [--hold S]
                       [--ready FILE] [--partial-line]

Opens COUNT connections from each loopback SOURCE address, starts a request
head on each (the request line and a header; with --partial-line only the
first bytes of the request line) and then sends one more byte every S
seconds (so the connection never looks idle), never finishing the head.  Once every
connection has been tried and has had a second to be refused, it writes
"open N refused M" to the --ready file (or stdout); then it keeps trickling
for --hold seconds or until the server has closed every connection, and
prints one line per source:

    SOURCE open N refused M closed K first_close T1 last_close T2

where refused counts connections the server closed before the "open" line
was written (or that could not connect), closed those it closed later, and
T1/T2 are seconds from the connect to that later close ("-" when none).
Exit status 0; 2 for a usage error, 77 when a source address cannot be
bound (no such loopback address on this machine).
"""
import errno
import os
import selectors
import socket
import sys
import time

REFUSE_WINDOW = 1.0     # after the last connect, for refusals to arrive


def main(argv):
    port = None
    groups = []
    interval, hold, ready = 2.0, 14.0, None
    head = b"GET /api/v4/license HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--partial-line":
            head = b"GE"
            i += 1
            continue
        if a in ("--interval", "--hold", "--ready") and i + 1 < len(argv):
            v = argv[i + 1]
            if a == "--interval":
                interval = float(v)
            elif a == "--hold":
                hold = float(v)
            else:
                ready = v
            i += 2
            continue
        if port is None:
            port = int(a)
        else:
            src, _, n = a.partition(":")
            groups.append((src, int(n)))
        i += 1
    if port is None or not groups:
        print(__doc__, file=sys.stderr)
        return 2

    sel = selectors.DefaultSelector()
    conns = []  # dicts: src, sock, t0, closed_at
    for src, n in groups:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((src, 0))
            except OSError as e:
                if e.errno == errno.EADDRNOTAVAIL:
                    print("cannot bind %s: %s" % (src, e), file=sys.stderr)
                    return 77
                raise
            c = {"src": src, "sock": s, "t0": time.monotonic(), "closed_at": None}
            try:
                s.connect(("127.0.0.1", port))
                s.setblocking(False)
                s.send(head)
                sel.register(s, selectors.EVENT_READ, c)
            except OSError:
                c["closed_at"] = c["t0"]
                s.close()
            conns.append(c)

    def pump(until):
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            for key, _ in sel.select(timeout=min(left, 0.05)):
                c = key.data
                try:
                    data = c["sock"].recv(4096)
                except OSError:
                    data = b""
                if not data:
                    c["closed_at"] = time.monotonic()
                    sel.unregister(c["sock"])
                    c["sock"].close()

    start = time.monotonic()
    pump(time.monotonic() + REFUSE_WINDOW)
    ready_at = time.monotonic()

    def refused(c):
        return c["closed_at"] is not None and c["closed_at"] <= ready_at

    nref = sum(1 for c in conns if refused(c))
    line = "open %d refused %d\n" % (len(conns) - nref, nref)
    if ready:
        with open(ready + ".tmp", "w") as f:
            f.write(line)
        os.rename(ready + ".tmp", ready)
    else:
        sys.stdout.write(line)
        sys.stdout.flush()

    next_byte = time.monotonic() + interval
    while time.monotonic() - start < hold and sel.get_map():
        pump(min(next_byte, start + hold))
        if time.monotonic() >= next_byte:
            for key in list(sel.get_map().values()):
                try:
                    key.data["sock"].send(b"a")
                except OSError:
                    pass
            next_byte += interval

    for src, _ in groups:
        mine = [c for c in conns if c["src"] == src]
        later = [c["closed_at"] - c["t0"] for c in mine
                 if c["closed_at"] is not None and not refused(c)]
        nref = sum(1 for c in mine if refused(c))
        print("%s open %d refused %d closed %d first_close %s last_close %s" % (
            src, len(mine) - nref, nref, len(later),
            "%.2f" % min(later) if later else "-",
            "%.2f" % max(later) if later else "-"))
    for key in list(sel.get_map().values()):
        key.data["sock"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
