"""The AWS API as containers (tasks, functions) reach it: a TCP relay from the network's gateway to the loopback endpoint.

The control plane listens on 127.0.0.1 only (by design); containers cannot reach that. The relay listens on the
cloud network's gateway address, which only the host and its containers can reach, and copies bytes both ways.
"""
import socket
import threading

BUFFER = 64 * 1024


class EndpointRelay:
    def __init__(self, listen_host: str, target: tuple[str, int]):
        self._target = target
        self._listener = socket.create_server((listen_host, 0))
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="endpoint-relay", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> "EndpointRelay":
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)


def pump(source: socket.socket, destination: socket.socket) -> None:
    """Copy until either side ends, then end both."""
    try:
        while data := source.recv(BUFFER):
            destination.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, destination):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        source.close()
