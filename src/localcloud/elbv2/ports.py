"""Ports handed out to load balancers, listeners and APIs: bound and listening from the moment they are reserved."""
import socket
import threading
from typing import Protocol


class Exposure(Protocol):
    """Makes a port of this host reachable from containers too (the cloud, through its edge)."""

    def expose(self, port: int) -> None: ...

    def withdraw(self, port: int) -> None: ...


class PortBook:
    """One listening socket per key (a load balancer or listener ARN, an API id) on 127.0.0.1, so its port is ours
    at once; with an `exposure`, containers reach each port too, from its reservation until its release."""

    def __init__(self, exposure: Exposure | None = None):
        self._exposure = exposure
        self._lock = threading.Lock()
        self._sockets: dict[str, tuple[int, socket.socket]] = {}  # the port too: a server may close the socket first

    def reserve(self, key: str) -> tuple[int, socket.socket | None]:
        """The key's port, and its socket if it was reserved just now (the caller starts serving it)."""
        with self._lock:
            if key in self._sockets:
                return self._sockets[key][0], None
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(256)  # clients connecting before the server runs wait in the backlog, not refused
            sock.setblocking(False)
            port = sock.getsockname()[1]
            if self._exposure is not None:
                try:
                    self._exposure.expose(port)
                except OSError:
                    sock.close()
                    raise
            self._sockets[key] = port, sock
            return port, sock

    def port(self, key: str) -> int | None:
        with self._lock:
            port, _ = self._sockets.get(key, (None, None))
            return port

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._sockets)

    def release(self, key: str) -> None:
        with self._lock:
            port, sock = self._sockets.pop(key, (None, None))
        if sock:
            if self._exposure is not None:
                self._exposure.withdraw(port)
            sock.close()
