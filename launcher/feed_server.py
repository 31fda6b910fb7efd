"""Serves a directory of feed files over HTTP on loopback, in a background thread."""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _QuietHandler(SimpleHTTPRequestHandler):
    conditional = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        if not self.conditional:  # like the many feed servers that always send the full body
            del self.headers["If-Modified-Since"]
            del self.headers["If-None-Match"]
        return super().send_head()


class _UnconditionalHandler(_QuietHandler):
    conditional = False


class FeedServer:
    """`conditional=False` ignores If-Modified-Since, so every fetch gets the whole feed."""

    def __init__(self, directory: Path, port: int = 0, conditional: bool = True) -> None:
        handler_class = _QuietHandler if conditional else _UnconditionalHandler
        handler = functools.partial(handler_class, directory=str(directory))
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{name}"

    def __enter__(self) -> "FeedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
