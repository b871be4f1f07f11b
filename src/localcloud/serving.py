"""What the cloud's asyncio servers share: a loop in a thread of its own, and one server per port with its open
client connections — so that the load balancers, the APIs and the edge's tunnels start, stop and drain alike."""
import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

log = logging.getLogger(__name__)

# Closed client connections get this long to let their tasks finish before what is left is cancelled.
DRAIN_S = 0.05


class LoopThread:
    """An event loop in a daemon thread: `start` returns once it runs, `stop` once the thread has ended."""

    def __init__(self, name: str):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._ready = threading.Event()
        self._on_stop: Callable[[], None] = lambda: None

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self, first: Callable[[], None] = lambda: None, on_stop: Callable[[], None] = lambda: None):
        """Run `first` on the loop (it may start tasks), then serve; `on_stop` runs on the loop before it closes."""
        self._on_stop = on_stop
        self.loop.call_soon(first)
        self.loop.call_soon(self._ready.set)
        self._thread.start()
        self._ready.wait()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()

    def call(self, function: Callable, timeout: float = 30):
        """Run `function` on the loop and return its result (from any thread; on the loop's own, at once)."""
        if threading.current_thread() is self._thread:
            return function()
        done: Future = Future()

        def run():
            try:
                done.set_result(function())
            except BaseException as error:
                done.set_exception(error)
        self.loop.call_soon_threadsafe(run)
        return done.result(timeout=timeout)

    def submit(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self._on_stop()
        self.loop.run_until_complete(asyncio.sleep(DRAIN_S))  # closed connections let their tasks finish cleanly
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()


class PortServers:
    """One asyncio server per key (a load balancer, a listener, an API), each on a socket reserved for it; the client
    connections they accept are tracked, so that closing everything closes those too."""

    def __init__(self, handle: Callable):
        self._handle = handle  # async (key, reader, writer) -> None: one client connection
        self._servers: dict[str, asyncio.Server] = {}
        self._writers: set[asyncio.StreamWriter] = set()

    async def serve(self, key: str, sock) -> None:
        self._servers[key] = await asyncio.start_server(functools.partial(self._connection, key), sock=sock)

    def close(self, key: str) -> None:
        if server := self._servers.pop(key, None):
            server.close()

    def close_all(self) -> None:
        """Close every port and every open client connection (their tasks then end on their own)."""
        for key in list(self._servers):
            self.close(key)
        for writer in list(self._writers):
            writer.close()

    def keys(self) -> set[str]:
        return set(self._servers)

    async def _connection(self, key: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._handle(key, reader, writer)
        finally:
            self._writers.discard(writer)
            writer.close()


async def repeat_on_loop(action: Callable[[], None], interval_s: float, what: str) -> None:
    """Run `action` now and then every `interval_s` on the running loop; a failed pass is logged, not fatal."""
    while True:
        try:
            action()
        except Exception:
            log.exception("%s failed; trying again", what)
        await asyncio.sleep(interval_s)


def repeat_in_thread(action: Callable[[], None], interval_s: float, stopping: threading.Event, what: str) -> None:
    """Run `action` every `interval_s` until `stopping` is set; a failed pass is logged, not fatal."""
    while not stopping.wait(interval_s):
        try:
            action()
        except Exception:
            log.exception("%s failed; trying again", what)
