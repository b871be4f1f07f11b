"""Fixtures: the handler module loaded from its file, and a stand-in catalog served over real HTTP."""

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BOOKS = [
    {"id": 1, "title": "Pride and Prejudice", "author": "Jane Austen", "price": 9.99, "stock": 12},
    {"id": 2, "title": "Moby-Dick", "author": "Herman Melville", "price": 12.50, "stock": 7},
    {"id": 3, "title": "Frankenstein", "author": "Mary Shelley", "price": 8.75, "stock": 10},
    {"id": 4, "title": "Emma", "author": "Jane Austen", "price": 8.50, "stock": 0},
    {"id": 5, "title": "Persuasion", "author": "Jane Austen", "price": 15.00, "stock": 3},
    {"id": 6, "title": "Dracula", "author": "Bram Stoker", "price": 10.40, "stock": 9},
]


@pytest.fixture(scope="session")
def recommendations():
    """app.py under a name of its own: the notifier's handler is an app.py too."""
    spec = importlib.util.spec_from_file_location("recommendations_app", Path(__file__).parents[1] / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def catalog():
    """A catalog that answers GET /catalog/books and remembers the correlation ids it was sent."""
    seen = []

    class Catalog(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("X-Correlation-Id")))
            body = json.dumps(BOOKS).encode() if self.path == "/catalog/books" else b'{"detail": "Not Found"}'
            self.send_response(200 if self.path == "/catalog/books" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Catalog)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "seen": seen}
    server.shutdown()
    server.server_close()
