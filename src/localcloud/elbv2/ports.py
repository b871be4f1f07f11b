"""Ports handed out to load balancers, listeners and APIs: bound and listening from the moment they are reserved."""
import socket
import threading


class PortBook:
    """One listening socket per key (a load balancer or listener ARN, an API id) on `host`, so its port is ours at once."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self._lock = threading.Lock()
        self._sockets: dict[str, socket.socket] = {}

    def reserve(self, key: str) -> tuple[int, socket.socket | None]:
        """The key's port, and its socket if it was reserved just now (the caller starts serving it)."""
        with self._lock:
            if key in self._sockets:
                return self._sockets[key].getsockname()[1], None
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, 0))
            sock.listen(256)  # clients connecting before the server runs wait in the backlog, not refused
            sock.setblocking(False)
            self._sockets[key] = sock
            return sock.getsockname()[1], sock

    def port(self, key: str) -> int | None:
        with self._lock:
            sock = self._sockets.get(key)
            return sock.getsockname()[1] if sock else None

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._sockets)

    def release(self, key: str) -> None:
        with self._lock:
            sock = self._sockets.pop(key, None)
        if sock:
            sock.close()
