"""CloudWatch Logs for functions: one stream per execution environment in /aws/lambda/<name>, START/END/REPORT.

A container's output reaches us a little after the runtime posts its result, so an invocation's END and REPORT
lines are written once its output has settled (or the next invocation starts), off the invoke's critical path.
Output that comes later still (a loaded machine) is written as it arrives.
"""
import logging
import math
import threading
import time
import uuid
from datetime import datetime, timezone

from moto.logs.exceptions import ResourceAlreadyExistsException, ResourceNotFoundException

TAIL_BYTES = 4096
SETTLE_S = 0.05        # after a result, END/REPORT wait this long (and as long without new output)
# LogType=Tail waits at least TAIL_MIN_S after the result and TAIL_QUIET_S without output (at most TAIL_WAIT_S):
# the engine delivers a container's output a few milliseconds after the runtime posted the result.
TAIL_MIN_S = 0.02
TAIL_QUIET_S = 0.01
TAIL_WAIT_S = 0.25


def now_ms() -> int:
    return int(time.time() * 1000)


def stream_name(version: str) -> str:
    """As AWS names them: `2026/11/28/[$LATEST]<32 hex digits>`."""
    return f"{datetime.now(timezone.utc):%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


def report_line(request_id: str, duration_ms: float, memory_mb: int, max_used_mb: int | None,
                init_ms: float | None, status: str | None = None) -> str:
    parts = [f"REPORT RequestId: {request_id}", f"Duration: {duration_ms:.2f} ms",
             f"Billed Duration: {max(1, math.ceil(duration_ms + (init_ms or 0)))} ms", f"Memory Size: {memory_mb} MB",
             f"Max Memory Used: {max_used_mb if max_used_mb is not None else '-'} MB"]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if status:
        parts.append(f"Status: {status}")
    return "\t".join(parts) + "\t"


class InvocationLog:
    """The lines that belong to one invocation, for its tail and its place in the stream."""

    def __init__(self, request_id: str):
        self.request_id = request_id
        self.lines: list[tuple[int, str]] = []
        self.closed = threading.Event()
        self.closing = None  # set when the result is in: returns the END/REPORT lines
        self.finished_at = time.monotonic()

    def tail(self) -> str:
        """The last 4 KB, with END and REPORT even when the invocation is not written yet."""
        lines = [text for _, text in list(self.lines)]
        if not self.closed.is_set() and self.closing is not None:
            lines += self.closing()
        text = "".join(line + "\n" for line in lines)
        return text.encode()[-TAIL_BYTES:].decode("utf-8", errors="ignore")


class EnvironmentLog:
    """One execution environment's stream; the output reader, the sandbox and the flusher all write here."""

    def __init__(self, logs_backend, function_name: str, version: str):
        self._logs = logs_backend
        self.group = f"/aws/lambda/{function_name}"
        self.stream = stream_name(version)
        self._lock = threading.Lock()
        self._init_lines: list[tuple[int, str]] = []
        self._current: InvocationLog | None = None
        self._pending: str | None = None  # partial line of output
        self.last_output_at = time.monotonic()
        self._ensure_stream()

    def _ensure_stream(self) -> None:
        try:
            self._logs.create_log_group(self.group, tags={})
        except ResourceAlreadyExistsException:
            pass
        self._logs.create_log_stream(self.group, self.stream)

    def init_line(self, text: str) -> None:
        with self._lock:
            self._init_lines.append((now_ms(), text))

    def output(self, chunk: str) -> None:
        """Container output, in arbitrary chunks; complete lines go to the current invocation, to init, or (a
        straggler of an invocation already written) straight to the stream: no later START may ever come."""
        with self._lock:
            self.last_output_at = time.monotonic()
            text = (self._pending or "") + chunk
            *lines, self._pending = text.split("\n")
            stragglers = [stamped for line in lines
                          if (stamped := self._append(line.rstrip("\r").replace("\r", "\n")))]  # a traceback: one event
        self._write(stragglers)

    def _append(self, line: str) -> tuple[int, str] | None:
        """Keep the line where it belongs; return it (stamped) if it is to be written now."""
        stamped = (now_ms(), line)
        if self._current is not None and not self._current.closed.is_set():
            self._current.lines.append(stamped)
        elif self._current is not None:
            return stamped  # the invocation's log is written: under load, output can trail its END by a while
        else:
            self._init_lines.append(stamped)
        return None

    def begin(self, request_id: str, version: str) -> InvocationLog:
        """START: the init output so far is written before it."""
        entry = InvocationLog(request_id)
        with self._lock:
            previous, self._current = self._current, entry
            earlier, self._init_lines = self._init_lines, []
            entry.lines = earlier + [(now_ms(), f"START RequestId: {request_id} Version: {version}")]
        if previous is not None:
            self.flush(previous)
        return entry

    def flush(self, entry: InvocationLog, wait_for_output: bool = False) -> None:
        """Write the invocation with its END and REPORT lines (`entry.closing()`), once; optionally after its
        output has gone quiet, so a LogType=Tail caller gets the last lines."""
        if wait_for_output:
            self.wait_for_output(entry, TAIL_MIN_S, TAIL_QUIET_S, TAIL_WAIT_S)
        with self._lock:
            if entry.closed.is_set() or entry.closing is None:
                return
            if self._pending:
                entry.lines.append((now_ms(), self._pending))
                self._pending = None
            entry.lines.extend((now_ms(), line) for line in entry.closing())
            entry.closed.set()
            lines = list(entry.lines)
        self._write(lines)

    def wait_for_output(self, entry: InvocationLog, least_s: float, quiet_s: float, most_s: float) -> None:
        deadline = entry.finished_at + most_s
        while time.monotonic() < deadline and (time.monotonic() - entry.finished_at < least_s
                                               or time.monotonic() - self.last_output_at < quiet_s):
            time.sleep(0.002)

    def _write(self, lines: list[tuple[int, str]]) -> None:
        if not lines:
            return
        try:
            self._logs.put_log_events(self.group, self.stream,
                                      [{"timestamp": stamp, "message": text} for stamp, text in lines])
        except ResourceNotFoundException:
            pass  # the group or stream was deleted (or the cloud reset) while the environment ran

    def flush_init(self) -> None:
        """An environment that never ran an invocation (its handler failed to load) still leaves its output."""
        with self._lock:
            lines, self._init_lines = self._init_lines, []
            if self._pending:
                lines.append((now_ms(), self._pending))
                self._pending = None
        self._write(lines)


class LogFlusher:
    """Writes each finished invocation's log SETTLE_S after its result, in one background thread."""

    def __init__(self):
        self._queue: list[tuple[float, object, InvocationLog]] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="lambda-log-flusher", daemon=True)

    def start(self) -> "LogFlusher":
        self._thread.start()
        return self

    def schedule(self, sandbox, entry: InvocationLog) -> None:
        with self._wake:
            self._queue.append((time.monotonic() + SETTLE_S, sandbox, entry))
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._wake.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                if self._stopping and not self._queue:
                    return
                _, sandbox, entry = self._queue.pop(0)
            if entry.closed.is_set():
                continue  # the next invocation's START already wrote it
            try:
                sandbox.log.wait_for_output(entry, SETTLE_S, SETTLE_S, 4 * SETTLE_S)
                sandbox.refresh_memory()
                sandbox.log.flush(entry)
            except Exception:
                logging.getLogger(__name__).exception("could not write the log of %s", entry.request_id)
