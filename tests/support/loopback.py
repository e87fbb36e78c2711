"""A real HTTP server on loopback for tests that need a remote which misbehaves on purpose
(echoes credentials, records where a secret was sent). ``respond(handler, body)`` builds each
answer as ``(status, content type, payload)``; every request's Authorization header is kept in
``seen`` and every payload sent in ``sent``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Respond = Callable[[BaseHTTPRequestHandler, bytes], tuple[int, str, bytes]]


def answer(status: int = 200, body: bytes = b'{"content": []}') -> Respond:
    """The same JSON answer to every request."""
    return lambda _handler, _body: (status, "application/json", body)


class Remote:
    def __init__(self, respond: Respond | None = None) -> None:
        respond = respond or answer()
        self.seen: list[str] = []
        self.sent: list[bytes] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                remote.seen.append(self.headers.get("Authorization", ""))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, content_type, payload = respond(self, body)
                remote.sent.append(payload)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
