"""The Lambda Runtime API that awslambdaric talks to, one small HTTP/1.1 server per execution environment.

Each container gets its own port (on 127.0.0.1; the container reaches it through the cloud's edge), so a request
needs no routing: the server knows which sandbox asks. Every response goes out in one `sendall` on a TCP_NODELAY socket — writing the
headers and the body apart would stall each warm invoke on the peer's 40 ms delayed ACK.
"""
import json
import logging
import re
import socket
import threading
from typing import Protocol

log = logging.getLogger(__name__)

PREFIX = "/2018-06-01/runtime"
INVOCATION_PATH = re.compile(rf"^{PREFIX}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
MAX_HEADER_BYTES = 64 * 1024
REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found", 410: "Gone", 413: "Payload Too Large"}


class Next:
    """One invocation handed to the runtime: the event and the headers awslambdaric requires."""

    def __init__(self, body: bytes, headers: dict[str, str]):
        self.body, self.headers = body, headers


class RuntimeHandlers(Protocol):
    def next_invocation(self) -> Next | None:
        """Block until there is work; None when the environment shuts down."""

    def invocation_result(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        """The handler's result (error_type None) or error document; False for an unknown request id."""

    def init_error(self, body: bytes, error_type: str | None) -> None:
        """The handler could not be loaded (import error, bad handler name…)."""


class RuntimeApiServer:
    def __init__(self, host: str, handlers: RuntimeHandlers):
        self._handlers = handlers
        self._listener = socket.create_server((host, 0))
        self._closed = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="lambda-runtime-api", daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def start(self) -> "RuntimeApiServer":
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()

    # --- connections -----------------------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections.add(connection)
            threading.Thread(target=self._serve, args=(connection,), name="lambda-runtime-conn", daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while not self._closed.is_set():
                request = read_request(reader, connection)
                if request is None:
                    return
                status, body, headers = self._dispatch(*request)
                connection.sendall(http_response(status, body, headers))
        except (OSError, ValueError) as error:
            if not self._closed.is_set():
                log.debug("runtime API connection ended: %s", error)
        finally:
            with self._lock:
                self._connections.discard(connection)
            reader.close()
            connection.close()

    def _dispatch(self, method: str, path: str, headers: dict[str, str], body: bytes):
        if method == "GET" and path == f"{PREFIX}/invocation/next":
            work = self._handlers.next_invocation()
            if work is None:
                raise ValueError("the execution environment is shutting down")
            return 200, work.body, {"Content-Type": "application/json", **work.headers}
        match = INVOCATION_PATH.match(path)
        if method == "POST" and match:
            error_type = headers.get("lambda-runtime-function-error-type") if match["kind"] == "error" else None
            if match["kind"] == "error" and error_type is None:
                error_type = "Unhandled"
            if self._handlers.invocation_result(match["id"], body, error_type):
                return 202, b'{"status":"OK"}', {"Content-Type": "application/json"}
            return 400, json.dumps({"errorMessage": f"Invalid request ID: {match['id']}",
                                    "errorType": "InvalidRequestID"}).encode(), {"Content-Type": "application/json"}
        if method == "POST" and path == f"{PREFIX}/init/error":
            self._handlers.init_error(body, headers.get("lambda-runtime-function-error-type"))
            return 202, b'{"status":"OK"}', {"Content-Type": "application/json"}
        return 404, json.dumps({"errorMessage": f"no route {method} {path}", "errorType": "NotFound"}).encode(), \
            {"Content-Type": "application/json"}


def read_request(reader, connection: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    """One request off a keep-alive connection: (method, path, lower-cased headers, body); None at EOF."""
    line = reader.readline(MAX_HEADER_BYTES)
    while line in (b"\r\n", b"\n"):
        line = reader.readline(MAX_HEADER_BYTES)
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = reader.readline(MAX_HEADER_BYTES)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":
        connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = read_chunked(reader)
    else:
        body = reader.read(int(headers.get("content-length") or 0))
    return method, path.split("?", 1)[0], headers, body


def read_chunked(reader) -> bytes:
    parts = []
    while True:
        size = int(reader.readline(MAX_HEADER_BYTES).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline(MAX_HEADER_BYTES) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(reader.read(size))
        reader.readline(MAX_HEADER_BYTES)


def http_response(status: int, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
