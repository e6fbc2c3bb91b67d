import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages checked by these tests are the English source text, whatever the site language."""
    with translation.override("en"):
        yield


class Provider:
    """A local HTTP provider: records every request; answers from a queue of (status, body)."""

    def __init__(self):
        self.requests = []
        self.answers = []
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/send"

    def answer(self, *answers):
        """Queue answers (status, body[, seconds to stall first]) for the next requests.

        When the queue is empty the answer is 200 {"id": …} at once.
        """
        self.answers.extend(answers)

    def delivered_keys(self):
        """What a provider that de-duplicates on Idempotency-Key would have delivered."""
        return {r["headers"].get("Idempotency-Key") for r in self.requests if r["status"] < 300}

    def handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        with self.lock:
            status, body, *stall = self.answers.pop(0) if self.answers else (200, {"id": f"prov-{len(self.requests) + 1}"})
            self.requests.append({"path": handler.path, "headers": dict(handler.headers), "raw": raw,
                                  "json": json.loads(raw or b"null"), "status": status})
        if stall:
            time.sleep(stall[0])
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except ConnectionError:
            pass  # the sender was killed while we stalled: exactly the case under test


@pytest.fixture
def provider():
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            state.handle(self)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
