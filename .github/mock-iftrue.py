#!/usr/bin/env python3
"""A stand-in iftrue endpoint for the workflow self-tests: records each POST, answers 201.

Serves HTTPS with --cert and --key, else plain HTTP (which the action accepts on loopback only).
"""

import argparse
import json
import ssl
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - reached from the action's container
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--record", required=True)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with open(args.record, "a", encoding="utf-8") as record:
                record.write(
                    json.dumps(
                        {
                            "path": self.path,
                            "authorization": self.headers.get("Authorization", ""),
                            "body": json.loads(body),
                        }
                    )
                    + "\n"
                )
            answer = json.dumps({"id": str(uuid.uuid4()), **json.loads(body)}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
