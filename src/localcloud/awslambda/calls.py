"""One invoke on its way through the plane, and the error documents AWS returns when the runtime cannot answer."""
import json
import threading
import time
import uuid
from datetime import datetime, timezone


class Call:
    """An accepted invoke: queued for a sandbox, then running in one, then done with a result."""

    def __init__(self, payload: bytes, function_arn: str, timeout_s: float, tail: bool = False):
        self.request_id = str(uuid.uuid4())
        self.trace_id = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        self.payload = payload
        self.function_arn = function_arn
        self.timeout_s = timeout_s
        self.wants_tail = tail
        self.cancelled = False         # the caller gave up before a sandbox took it
        self.sandbox = None
        self.started_at: float | None = None  # monotonic, when a sandbox took it
        self.deadline_ms: int | None = None
        self.log = None                 # its InvocationLog, once started
        self.result: bytes | None = None
        self.error_type: str | None = None
        self.finished_at: float | None = None
        self._done = threading.Event()
        self._taken = threading.Event()  # a sandbox started it, or it is done
        self._lock = threading.Lock()

    def start(self, sandbox) -> bool:
        """A sandbox takes the call; False when the caller already gave up on it."""
        with self._lock:
            if self.cancelled:
                return False
            self.sandbox, self.started_at = sandbox, time.monotonic()
            self.deadline_ms = int(time.time() * 1000 + self.timeout_s * 1000)
            self._taken.set()
            return True

    def cancel_if_waiting(self) -> bool:
        with self._lock:
            if self.sandbox is None:
                self.cancelled = True
            return self.cancelled

    def complete(self, body: bytes, error_type: str | None) -> bool:
        """The first outcome wins (a result racing a timeout or a crash)."""
        with self._lock:
            if self._done.is_set():
                return False
            self.result, self.error_type, self.finished_at = body, error_type, time.monotonic()
            self._done.set()
            self._taken.set()
            return True

    def wait(self, timeout: float | None) -> bool:
        return self._done.wait(timeout)

    def wait_until_taken(self, timeout: float) -> bool:
        return self._taken.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def duration_ms(self) -> float:
        end = self.finished_at or time.monotonic()
        return (end - self.started_at) * 1000 if self.started_at else 0.0


def error_document(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def timeout_document(call: Call) -> bytes:
    return error_document("Sandbox.Timedout",
                          f"RequestId: {call.request_id} Error: Task timed out after {call.timeout_s:.2f} seconds")


def timeout_log_line(call: Call) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return f"{stamp} {call.request_id} Task timed out after {call.timeout_s:.2f} seconds"


def exit_document(call: Call, exit_code: int | None, out_of_memory: bool) -> bytes:
    if out_of_memory:
        return error_document("Runtime.OutOfMemory",
                              f"RequestId: {call.request_id} Error: Runtime exited with error: signal: killed")
    how = "signal: killed" if exit_code in (None, 137) else f"exit status {exit_code}"
    return error_document("Runtime.ExitError", f"RequestId: {call.request_id} Error: Runtime exited with error: {how}")
