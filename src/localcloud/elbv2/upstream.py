"""Requests to targets over kept-alive connections, with failures sorted the way an ALB reports them (502 / 504)."""
import asyncio
import contextlib
import functools
import ssl
from collections.abc import Callable

from localcloud.elbv2 import wire

Address = tuple[str, int]

# An ALB gives up connecting to a target after 10 seconds.
CONNECT_TIMEOUT_S = 10.0
# While a connection is being set up, how often to ask whether the target's container has gone.
GONE_CHECK_S = 0.2


class TargetFailed(Exception):
    """The target refused, reset or closed the connection, or answered with something that is not HTTP: 502."""
    status = 502


class TargetTimedOut(TargetFailed):
    """The target did not connect or answer in time: 504."""
    status = 504


@functools.cache
def unverified_tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False  # an ALB does not verify target certificates either
    context.verify_mode = ssl.CERT_NONE
    return context


async def open_connection(address: Address, ssl=None):
    return await asyncio.open_connection(*address, ssl=ssl)


async def unanswered_connection(address: Address, ssl=None):
    """A connection the receiver's security groups drop: it never completes, so the caller's timeout ends it."""
    await asyncio.Event().wait()


def always_reachable(*target) -> bool:
    return True


class ConnectionPool:
    """Idle connections per target address, reused for the next request to it (runs on one event loop)."""

    def __init__(self, is_gone: Callable[[str], bool] = lambda ip: False, max_idle_per_target: int = 32,
                 connect=None):
        self._is_gone = is_gone  # whether no container holds an address any more
        self._open = connect or open_connection  # the cloud's `connect`: through its edge where it must
        self._idle: dict[tuple[Address, bool], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
        self._max_idle = max_idle_per_target

    async def exchange(self, address: Address, data: bytes, method: str, timeout_s: float,
                       tls: bool = False) -> wire.Message:
        """Send one encoded request, return the response; a stale idle connection is retried once on a new one."""
        for attempt in range(2):
            connection, reused = self._take(address, tls), True
            if connection is None:
                connection, reused = await self._connect(address, tls), False
            reader, writer = connection
            try:
                writer.write(data)
                async with asyncio.timeout(timeout_s):
                    response = await wire.read_response(reader, method)
            except TimeoutError as error:
                writer.close()
                raise TargetTimedOut(f"no response from {address[0]}:{address[1]} in {timeout_s:g} s") from error
            except (OSError, asyncio.IncompleteReadError) as error:
                writer.close()
                if reused and attempt == 0:
                    continue  # the target closed an idle connection as we used it
                raise TargetFailed(f"{address[0]}:{address[1]} closed the connection") from error
            except wire.MalformedMessage as error:
                writer.close()
                raise TargetFailed(f"{address[0]}:{address[1]} sent a malformed response: {error}") from error
            if response.reusable:
                self._put(address, tls, connection)
            else:
                writer.close()
            return response
        raise AssertionError("unreachable")

    async def _connect(self, address: Address, tls: bool):
        gone = TargetFailed(f"could not connect to {address[0]}:{address[1]}: its container is gone")
        if self._is_gone(address[0]):
            raise gone
        connecting = asyncio.ensure_future(
            self._open(address, ssl=unverified_tls_context() if tls else None))
        deadline = asyncio.get_running_loop().time() + CONNECT_TIMEOUT_S
        try:
            while not connecting.done():
                await asyncio.wait({connecting}, timeout=GONE_CHECK_S)
                if not connecting.done() and self._is_gone(address[0]):
                    raise gone
                if asyncio.get_running_loop().time() > deadline:
                    raise TargetTimedOut(f"could not connect to {address[0]}:{address[1]}")
            return connecting.result()
        except OSError as error:
            raise TargetFailed(f"could not connect to {address[0]}:{address[1]}: {error.strerror or error}") from error
        finally:
            connecting.cancel()

    def _take(self, address: Address, tls: bool):
        idle = self._idle.get((address, tls))
        while idle:
            reader, writer = idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    def _put(self, address: Address, tls: bool, connection) -> None:
        idle = self._idle.setdefault((address, tls), [])
        if len(idle) < self._max_idle:
            idle.append(connection)
        else:
            connection[1].close()

    def forget(self, address: Address) -> None:
        """Close the idle connections to one target (it was deregistered)."""
        for tls in (False, True):
            for _, writer in self._idle.pop((address, tls), []):
                writer.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for _, writer in idle:
                with contextlib.suppress(Exception):
                    writer.close()
        self._idle.clear()
