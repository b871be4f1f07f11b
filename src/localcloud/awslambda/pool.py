"""The warm execution environments of one function revision, and the queue of invokes they take work from.

An invoke waits in the queue; an idle environment takes it at once. When more invokes wait than environments are
free (idle, initialising, or back from an invoke) or about to start, another environment starts, up to a bound.
The engine starts containers one after another however many are asked at once, so a few start at a time, and a
start whose turn comes once the free environments can take the queue does not happen. A retired pool (its function's code or configuration
changed, or it was deleted) serves what is queued, then its environments go.
"""
import logging
import queue
import threading
import time

from localcloud.awslambda import calls, images
from localcloud.awslambda.function_spec import FunctionSpec
from localcloud.awslambda.sandbox import Sandbox

log = logging.getLogger(__name__)


class FunctionPool:
    def __init__(self, plane, spec: FunctionSpec, *, sandbox_factory=Sandbox, clock=time.monotonic):
        """`sandbox_factory(pool, cloud, aws_endpoint_url)` makes an environment; `clock` is what idleness is
        measured against (the environments' `idle_since` comes from the same clock)."""
        self.plane, self.spec = plane, spec
        self._sandbox_factory, self._clock = sandbox_factory, clock
        self.retired = False
        self.sandboxes: set[Sandbox] = set()
        self._queue: queue.Queue[calls.Call] = queue.Queue()
        self._lock = threading.Lock()
        self._starting = 0  # environments asked for, waiting for a starter
        self._image_ready = False
        self._image_lock = threading.Lock()

    # --- invokes ---------------------------------------------------------------------------------------------------
    def submit(self, call: calls.Call) -> None:
        self._queue.put(call)
        self._scale()

    def take(self, timeout: float) -> calls.Call | None:
        try:
            return self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None

    def call_finished(self, call: calls.Call) -> None:
        self.plane.concurrency.release(self.spec.name)

    # --- environments ----------------------------------------------------------------------------------------------
    def discard(self, sandbox: Sandbox) -> None:
        with self._lock:
            known = sandbox in self.sandboxes
            self.sandboxes.discard(sandbox)
        if known and not self.retired:
            self._scale()  # a queued invoke may have lost the environment it would have had

    def _free(self) -> int:
        """Environments that will take a queued invoke without another starting (called under the lock)."""
        return sum(1 for sandbox in self.sandboxes if not sandbox.busy and not sandbox.closing.is_set())

    def _scale(self) -> None:
        with self._lock:
            wanted = (not self.retired and self._queue.qsize() > self._free() + self._starting
                      and len(self.sandboxes) + self._starting < self.plane.max_environments)
            if wanted:
                self._starting += 1
        if wanted:
            self.plane.starter.submit(self._start_sandbox)

    def _start_sandbox(self) -> None:
        sandbox = self._sandbox_factory(self, self.plane.cloud, self.plane.aws_endpoint_url)
        with self._lock:
            self._starting -= 1
            needed = not self.retired and self._queue.qsize() > self._free()
            if needed:
                self.sandboxes.add(sandbox)
        if not needed:
            return  # closed, or the environments that came up while this start waited serve the queue
        try:
            self._ensure_image()
            sandbox.start()
        except Exception as error:
            with self._lock:
                self.sandboxes.discard(sandbox)
                alone = not self.sandboxes
            log.warning("function %s: an execution environment failed to start: %s", self.spec.name, error)
            if alone:
                self._fail_queued(error)

    def _ensure_image(self) -> None:
        with self._image_lock:
            if not self._image_ready:
                images.ensure_image(self.plane.cloud, self.spec.image)
                self._image_ready = True

    def _fail_queued(self, error: Exception) -> None:
        """Nothing can serve the queue: its invokes end with the reason, as Lambda's Runtime.* errors do."""
        message = getattr(error, "learner_message", None) or f"The execution environment failed to start: {error}"
        while (call := self.take(0)) is not None:
            if call.start(None):
                call.complete(calls.error_document("Runtime.Unknown", message), "Runtime.Unknown")
                self.call_finished(call)

    def retire(self) -> None:
        """No new invokes; idle environments go within a poll, busy ones after their invoke."""
        self.retired = True

    def close(self) -> None:
        self.retired = True
        with self._lock:
            sandboxes = list(self.sandboxes)
            self.sandboxes.clear()
        for sandbox in sandboxes:
            sandbox.close()

    def reap_idle(self, idle_s: float) -> None:
        now = self._clock()
        with self._lock:
            idle = [s for s in self.sandboxes if not s.busy and now - s.idle_since > idle_s]
            for sandbox in idle:
                self.sandboxes.discard(sandbox)
        for sandbox in idle:
            sandbox.close()

    @property
    def empty(self) -> bool:
        with self._lock:
            return not self.sandboxes and not self._starting and self._queue.empty()
