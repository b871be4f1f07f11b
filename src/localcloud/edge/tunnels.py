"""The host's side of the edge: spare connections offered ahead of time, and the ports the edge accepts on.

Each spare is a connection this host opens to the edge's published control port. When a container connects to a
port the edge accepts on, the edge sends that port down a spare; the spare then carries the container's bytes to
the server that listens on the same port on 127.0.0.1, and a new spare takes its place.
"""
import asyncio
import logging
import socket
import threading
import time

from localcloud.edge.streams import splice
from localcloud.serving import LoopThread

log = logging.getLogger(__name__)

SPARES = 16  # idle spares kept open: a burst of container connections larger than this waits a moment for more
RETRY_S = 0.5  # when the edge does not answer (restarting, or its engine stopped), try again after this
COMMAND_TIMEOUT_S = 5


class EdgeUnreachable(OSError):
    """The edge's control port does not answer; the message says what to do."""


async def dial(control: tuple[str, int], host: str, port: int, ssl=None):
    """(reader, writer) of a connection to host:port inside the cloud network, made by the edge for this host."""
    reader, writer = await asyncio.open_connection(*control)
    writer.write(f"DIAL {host} {port}\n".encode())
    answer = (await reader.readline()).decode(errors="replace").strip()
    if answer != "OK":
        writer.close()
        raise ConnectionRefusedError(f"{host}:{port} cannot be reached in the cloud network: {answer or 'no answer'}")
    if ssl is not None:
        await writer.start_tls(ssl, server_hostname=host)
    return reader, writer


class Tunnels:
    def __init__(self, control: tuple[str, int], spares: int = SPARES):
        self.control = control
        self._spares = spares
        self._targets: dict[int, tuple[str, int]] = {}  # edge port → where this host serves it
        self._lock = threading.Lock()
        self._runner = LoopThread("edge-tunnels")
        self._unreachable_logged = False
        self.unreachable_since: float | None = None  # set while no spare can be offered: containers cannot reach us
        self._tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    # --- lifecycle --------------------------------------------------------------------------------------------------
    def start(self) -> "Tunnels":
        self._runner.start(lambda: [self._spawn_spare() for _ in range(self._spares)])
        return self

    def close(self) -> None:
        """Close every spare and carried connection; return once the thread has ended."""
        self._runner.stop()

    # --- what the cloud's servers use ------------------------------------------------------------------------------
    def expose(self, port: int, target: tuple[str, int] | None = None) -> None:
        """Containers connecting to the edge's `port` reach `target` on this host (127.0.0.1, the same port)."""
        with self._lock:
            self._targets[port] = target or ("127.0.0.1", port)
        self.command(f"LISTEN {port}")

    def withdraw(self, port: int) -> None:
        with self._lock:
            known = self._targets.pop(port, None)
        if known:
            try:
                self.command(f"CLOSE {port}")
            except OSError:
                pass  # the edge is gone already: nothing accepts on the port

    def command(self, line: str) -> None:
        """Send one control line and wait for the edge's OK."""
        try:
            with socket.create_connection(self.control, timeout=COMMAND_TIMEOUT_S) as sock:
                sock.sendall(f"{line}\n".encode())
                answer = sock.makefile("rb").readline().decode().strip()
        except OSError as error:
            raise EdgeUnreachable(f"the local cloud's edge container does not answer on 127.0.0.1:{self.control[1]} "
                                  f"({error}); run `localcloud down`, then `localcloud up`") from None
        if answer != "OK":
            raise OSError(f"the edge refused {line!r}: {answer or 'no answer'}")

    # --- spares -----------------------------------------------------------------------------------------------------
    def _spawn_spare(self) -> None:
        task = self._runner.loop.create_task(self._offer_spare())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _offer_spare(self) -> None:
        """Offer one spare; once the edge hands it a container's connection, offer another and carry this one."""
        while True:
            try:
                reader, writer = await asyncio.open_connection(*self.control)
                writer.write(b"SPARE\n")
                line = await reader.readline()
            except OSError:
                line = b""
                writer = None
            if line:
                break
            if writer is not None:
                writer.close()
            self._log_unreachable()
            await asyncio.sleep(RETRY_S)
        self._unreachable_logged = False
        self.unreachable_since = None
        self._spawn_spare()
        await self._carry(int(line), reader, writer)

    async def _carry(self, port: int, reader, writer) -> None:
        with self._lock:
            target = self._targets.get(port)
        try:
            if target is None:
                raise OSError(f"nothing is exposed on port {port}")
            server_reader, server_writer = await asyncio.open_connection(*target)
        except OSError as error:
            log.debug("a container's connection to port %s has no server here: %s", port, error)
            writer.close()
            return
        await splice(reader, writer, server_reader, server_writer)

    def _log_unreachable(self) -> None:
        self.unreachable_since = self.unreachable_since or time.monotonic()
        if not self._unreachable_logged:
            self._unreachable_logged = True
            log.warning("the edge container does not answer on 127.0.0.1:%s; containers cannot reach the local "
                        "cloud until it does (trying again every %.1f s)", self.control[1], RETRY_S)
