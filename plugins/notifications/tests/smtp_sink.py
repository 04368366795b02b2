#!/usr/bin/python3
"""A real SMTP server for the notifications tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1:PORT and appends one JSON line per message it accepts to
OUT: the envelope, the decoded Subject, Message-ID, the text and HTML parts,
and whether the session was under TLS. With --cert/--key it offers STARTTLS
(and requires it); with --auth USER:PASSWORD it requires AUTH (LOGIN/PLAIN).
--reject-first N answers the first N DATA commands with --reject-code; a
recipient "reject-..." is refused with 550.
--delay-ms makes each message take that long to accept (for a kill mid-send).
Runs until SIGTERM; the test stops it by its pid.
"""
import argparse
import json
import signal
import ssl
import sys
import threading
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, out, reject_first, reject_code, delay_ms):
        self.out = out
        self.rejects_left = reject_first
        self.reject_code = reject_code
        self.delay = delay_ms / 1000.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # An address of this form does not exist: the permanent refusal.
        if address.startswith("reject-"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.rejects_left > 0:
                self.rejects_left -= 1
                return f"{self.reject_code} try again later" if self.reject_code.startswith("4") \
                    else f"{self.reject_code} rejected"
        if self.delay:
            time.sleep(self.delay)  # blocks the loop: messages are accepted one at a time
        msg = message_from_bytes(envelope.content, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "raw_subject": msg.get("Subject").__str__() if msg.get("Subject") else "",
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "tls": session.ssl is not None,
            "at": time.time(),
        }
        with self.lock:
            with open(self.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ready", required=True, help="file written once the server listens")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--reject-first", type=int, default=0)
    p.add_argument("--reject-code", default="451")
    p.add_argument("--delay-ms", type=int, default=0)
    a = p.parse_args()

    kwargs = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(a.cert))
    controller = Controller(Sink(a.out, a.reject_first, a.reject_code, a.delay_ms),
                            hostname="127.0.0.1", port=a.port, server_hostname="localhost", **kwargs)
    controller.start()
    with open(a.ready, "w") as f:
        f.write("ready\n")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
