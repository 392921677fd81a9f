"""Fixtures shared by test folders: a local HTTP server on 127.0.0.1 for the download tests."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from pathlib import Path

import pytest


class LocalServer:
    """Files under ``root`` served at ``url(name)``; ``hits[name]`` counts the requests."""

    def __init__(self, root: Path, port: int, hits: Counter[str], broken: set[str]) -> None:
        self.root = root
        self.port = port
        self.hits = hits
        self.broken = broken

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def put(self, name: str, data: bytes) -> str:
        """Serve ``data`` as ``name``; returns its URL."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self.url(name)


@pytest.fixture
def local_http(tmp_path):
    """A threaded HTTP server on 127.0.0.1 serving ``tmp_path / "www"`` (no network needed).

    A name in ``server.broken`` is answered with a length header twice its size
    and half of its bytes, then the connection is closed (an interrupted download).
    """
    root = tmp_path / "www"
    root.mkdir()
    hits: Counter[str] = Counter()
    broken: set[str] = set()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format, *args):
            pass

        def do_GET(self):
            name = self.path.lstrip("/")
            hits[name] += 1
            if name in broken:
                data = (root / name).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(2 * len(data) + 10))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield LocalServer(root, server.server_address[1], hits, broken)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty cache root, set as ``KERAS_HOME`` for the test."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home
