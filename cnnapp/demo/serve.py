"""Serve a demo site on 127.0.0.1 only: browsers load module scripts and WebAssembly over http(s), not file://.

with serving(site, port=0) as url:   # port 0: any free port
    ...                              # open url in a browser
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

from cnnapp.errors import CnnappError

HOST = "127.0.0.1"
# Types a browser insists on: WebAssembly streaming compilation needs application/wasm, module scripts a
# JavaScript type.
TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".tflite": "application/octet-stream",
    ".json": "application/json",
}


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")  # a site written again shows its new model on reload
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # one line per request would drown the address the command printed


def server(site: str | Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """An HTTP server for `site` bound to 127.0.0.1:`port` (not started)."""
    handler = functools.partial(_Handler, directory=str(site))
    try:
        return http.server.ThreadingHTTPServer((HOST, port), handler)
    except OSError as error:
        raise CnnappError(
            f"cannot listen on {HOST}:{port} ({error.strerror}): pass another --port (0 picks a free one)"
        ) from None


def url(httpd: http.server.ThreadingHTTPServer) -> str:
    return f"http://{HOST}:{httpd.server_address[1]}/"


@contextlib.contextmanager
def serving(site: str | Path, port: int = 0) -> Iterator[str]:
    """Serve `site` from a background thread for the duration of the block; yield its address."""
    httpd = server(site, port)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield url(httpd)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
