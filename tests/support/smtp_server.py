"""A real SMTP server on loopback for nhacviec's tests (aiosmtpd).

Every message received is parsed with Python's `email` package and appended as one JSON
line to the output file, so tests check what a real mail client would see.

    python3 smtp_server.py PORT OUT.jsonl [--reject-rcpt ADDRESS]... [--auth USER:PASSWORD]

With --auth, the server requires AUTH (PLAIN or LOGIN) before MAIL.
"""

import argparse
import asyncio
import email
import json
import signal
import sys
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, out, reject):
        self.out = out
        self.reject = set(reject)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "raw_subject": envelope.content.decode("ascii", "replace").split("Subject:", 1)[-1].split("\r\n", 1)[0].strip(),
            "message_id": message["message-id"],
            "date": message["date"],
            "from": str(message["from"]),
            "to": str(message["to"]),
            "content_type": message.get_content_type(),
            "charset": body.get_content_charset() if body else None,
            "body": body.get_content() if body else None,
            "html": html.get_content() if html else None,
            "parts": [part.get_content_type() for part in message.walk()],
            "defects": [type(d).__name__ for d in message.defects],
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 OK"


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (self.user, self.password)
        return AuthResult(success=ok, handled=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("out")
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--auth")
    parser.add_argument("--starttls", help="CERT:KEY; the server then requires STARTTLS")
    args = parser.parse_args()
    auth = {}
    if args.auth:
        user, password = args.auth.split(":", 1)
        auth = {"authenticator": Authenticator(user, password), "auth_required": True, "auth_require_tls": False}
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    if args.starttls:
        import ssl

        cert, key = args.starttls.split(":", 1)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        auth.update({"tls_context": context, "require_starttls": True})
    controller = Controller(Recorder(args.out, args.reject_rcpt), hostname="127.0.0.1", port=args.port, **auth)
    controller.start()
    print("READY", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
