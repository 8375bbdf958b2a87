#!/usr/bin/env python3
"""A webhook receiver that verifies hookd's Standard Webhooks signatures, standard library only.

    python3 examples/receiver.py --secret whsec_... [--port 9000] [--host 127.0.0.1]
                                 [--tolerance 300]

The secret may also come from the WEBHOOK_SECRET environment variable. Every POST is checked:
webhook-id, webhook-timestamp and webhook-signature must be present, the timestamp within
--tolerance seconds of now, and one of the signatures ("v1,<base64>", space-separated, one per
live secret) must be HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" keyed with the
base64-decoded part of the secret after "whsec_". A verified delivery answers 204 and prints

    verified webhook-id=msg_... event-type=<hookd-event-type> source-id=<hookd-source-id or ->
    <the body>

anything else answers 401 and prints "refused webhook-id=...: <why>". With --port 0 a free port
is chosen; the first line printed is always "listening on http://<host>:<port>/".
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 10 * 1024 * 1024


def decode_secret(secret):
    """The HMAC key of a whsec_ secret; raises ValueError when it is not one."""
    if not secret.startswith("whsec_"):
        raise ValueError("the secret must start with whsec_")
    try:
        key = base64.b64decode(secret[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError(f"the part after whsec_ is not base64: {err}") from None
    if not key:
        raise ValueError("the secret is empty")
    return key


def verify(key, headers, body, tolerance, now=None):
    """None when the delivery is genuine, else why it is not."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    if not timestamp.isdigit():
        return f"webhook-timestamp {timestamp!r} is not unix seconds"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return f"webhook-timestamp {timestamp} is more than {tolerance} s from now"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return None
    return "no signature matches"


def make_handler(key, tolerance):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as hookd's connections are

        def do_POST(self):
            try:
                length = int(self.headers.get("content-length", "0"))
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self.answer(413, "body too large or without a length\n")
                return
            body = self.rfile.read(length)
            msg_id = self.headers.get("webhook-id", "-")
            why = verify(key, self.headers, body, tolerance)
            if why is not None:
                print(f"refused webhook-id={msg_id}: {why}", flush=True)
                self.answer(401, f"{why}\n")
                return
            event_type = self.headers.get("hookd-event-type", "-")
            source_id = self.headers.get("hookd-source-id", "-")
            print(
                f"verified webhook-id={msg_id} event-type={event_type} source-id={source_id}\n"
                f"{body.decode('utf-8', errors='replace')}",
                flush=True,
            )
            self.answer(204)

        def answer(self, status, text=""):
            data = text.encode()
            self.send_response(status)
            if data:
                self.send_header("content-type", "text/plain; charset=utf-8")
            if status != 204:
                self.send_header("content-length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def log_message(self, format, *args):  # the verdict lines are the log
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET"),
                        help="the endpoint's whsec_ secret (default: $WEBHOOK_SECRET)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--tolerance", type=int, default=300,
                        help="seconds webhook-timestamp may be from now (default 300)")
    args = parser.parse_args()
    if not args.secret:
        parser.error("give the endpoint's secret with --secret or WEBHOOK_SECRET")
    try:
        key = decode_secret(args.secret)
    except ValueError as err:
        parser.error(str(err))
    server = ThreadingHTTPServer((args.host, args.port), make_handler(key, args.tolerance))
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
