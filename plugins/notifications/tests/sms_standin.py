#!/usr/bin/python3
"""A stand-in SMS gateway for the notifications tests.

Listens on 127.0.0.1:PORT. Every request to /send is recorded as one JSON line
in OUT (method, path, headers, body) and answered as the mode file says
(read per request, so the test changes it while running):
  ok          200 {"id": "sms-<n>"}
  5xx N       the next N requests 503, then ok
  4xx         400 for every request
  hang N      the next N requests get no answer for 30 s, then ok
Runs until SIGTERM; the test stops it by its pid.
"""
import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mode", required=True, help="file holding the mode")
    p.add_argument("--ready", required=True)
    a = p.parse_args()
    lock = threading.Lock()
    state = {"n": 0, "used": {}}

    def decide():
        with lock:
            try:
                words = open(a.mode).read().split()
            except OSError:
                words = ["ok"]
            mode = words[0] if words else "ok"
            budget = int(words[1]) if len(words) > 1 else 0
            key = " ".join(words)
            used = state["used"].get(key, 0)
            state["n"] += 1
            n = state["n"]
            if mode in ("5xx", "hang") and used >= budget:
                mode = "ok"
            elif mode in ("5xx", "hang"):
                state["used"][key] = used + 1
            return mode, n

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode("utf-8")
            mode, n = decide()
            with lock:
                with open(a.out, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"method": self.command, "path": self.path,
                                        "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "body": body, "answer": mode}, ensure_ascii=False) + "\n")
            if mode == "hang":
                time.sleep(30)
                return
            status, answer = {"5xx": (503, {"error": "busy"}), "4xx": (400, {"error": "bad number"})}.get(
                mode, (200, {"id": f"sms-{n}"}))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(a.ready, "w") as f:
        f.write("ready\n")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
