#!/usr/bin/env python3
"""ai_gateway.py - an AI gateway stand-in for the Code Suggestions tests: a
few lines of http.server on loopback that records every request it
receives (method, path, headers, body) as one JSON line in LOG, and answers
POST /v2/code/completions and /v2/code/generations with a fixed JSON body.

usage: ai_gateway.py PORT_FILE LOG [--delay SECONDS] [--status N] [--stream N] [--big BYTES]

It binds 127.0.0.1 on a free port and writes the port to PORT_FILE.
--delay waits before answering (a slow gateway); --status answers with that
status; --stream N sends N event-stream chunks 0.05 s apart; --big sends a
body of BYTES bytes.  Stops on SIGTERM.
"""
import argparse
import json
import http.server
import threading
import time

ANSWER = {"choices": [{"text": "print('hello')", "index": 0, "finish_reason": "length"}],
          "model": {"engine": "stand-in", "name": "stand-in", "lang": "python"}}

p = argparse.ArgumentParser()
p.add_argument("port_file")
p.add_argument("log")
p.add_argument("--delay", type=float, default=0.0)
p.add_argument("--status", type=int, default=200)
p.add_argument("--stream", type=int, default=0)
p.add_argument("--big", type=int, default=0)
args = p.parse_args()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # head and body go out in two writes: without this, Nagle's algorithm
    # and the client's delayed ACK add 40 ms to every keep-alive request
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with lock, open(args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"method": "POST", "path": self.path,
                                "headers": {k: v for k, v in self.headers.items()},
                                "body": body.decode("utf-8", "replace")}) + "\n")
        if args.delay:
            time.sleep(args.delay)
        if args.stream:
            self.send_response(args.status)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(args.stream):
                data = ("data: chunk %d\n\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            return
        out = b"x" * args.big if args.big else json.dumps(ANSWER).encode()
        self.send_response(args.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hangs up (the relay cap test) is not news


srv = Server(("127.0.0.1", 0), Handler)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
