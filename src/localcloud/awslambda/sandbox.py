"""One execution environment: a container running awslambdaric, its own Runtime API, its log stream.

It serves one invocation at a time, taking the next from its pool's queue whenever the runtime asks for work.
"""
import contextlib
import logging
import threading
import time
import uuid

import docker

from localcloud.awslambda import calls, container_spec, memory
from localcloud.awslambda.logs import EnvironmentLog, report_line
from localcloud.awslambda.runtime_api import Next, RuntimeApiServer
from localcloud.config import CLOUD_HOST

log = logging.getLogger(__name__)

TAKE_POLL_S = 0.25  # how often an idle environment checks whether it has been retired


class Sandbox:
    def __init__(self, pool, cloud, aws_endpoint_url: str):
        self.pool, self.cloud, self.spec = pool, cloud, pool.spec
        self.id = uuid.uuid4().hex
        self._aws_endpoint_url = aws_endpoint_url
        self.container = None
        self.server: RuntimeApiServer | None = None
        self.log: EnvironmentLog | None = None
        self.current: calls.Call | None = None
        self.created_at = time.monotonic()
        self.idle_since = time.monotonic()
        self.init_ms: float | None = None
        self.init_reported = False
        self.init_failure: tuple[bytes, str | None] | None = None
        self.max_memory_mb: int | None = None
        self.closing = threading.Event()
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Create the container (code copied into /var/task), start it and follow its output and its exit."""
        self.log = EnvironmentLog(self.cloud.backend("logs"), self.spec.name, self.spec.version)
        self.server = RuntimeApiServer("127.0.0.1", self).start()
        self.cloud.expose(self.server.port)  # the container reaches it through the edge, at the cloud's name
        env = container_spec.environment(self.spec, self.cloud, f"{CLOUD_HOST}:{self.server.port}",
                                         self._aws_endpoint_url,
                                         self.log.group, self.log.stream)
        name = f"lambda-{self.cloud.config.instance}-{self.spec.name}-{self.id[:8]}"[:120]
        try:
            self.container = self.cloud.docker.containers.create(
                **container_spec.container_arguments(self.spec, self.cloud, name=name, environment_id=self.id,
                                                     env=env))
            if self.spec.package_type == "Zip":
                self.container.put_archive("/var/task", self.spec.code_archive())
            output = self.cloud.docker.api.attach(self.container.id, stdout=True, stderr=True, stream=True,
                                                  logs=True)
            self.created_at = time.monotonic()
            self.container.start()
        except Exception:
            self.close()
            raise
        self.log.init_line(f"INIT_START Runtime Version: {self.spec.runtime or 'container image'}")
        threading.Thread(target=self._follow_output, args=(output,), name=f"lambda-out-{self.id[:8]}",
                         daemon=True).start()
        threading.Thread(target=self._await_exit, name=f"lambda-exit-{self.id[:8]}", daemon=True).start()

    def close(self) -> None:
        """Take the environment down (the container goes, with any invocation it was running)."""
        if self.closing.is_set():
            return
        self.closing.set()
        if self.server is not None:
            self.cloud.withdraw(self.server.port)
            self.server.close()
        if self.container is not None:
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                self.container.remove(force=True)

    @property
    def busy(self) -> bool:
        return self.current is not None

    # --- the Runtime API's side (RuntimeHandlers) ------------------------------------------------------------------
    def next_invocation(self) -> Next | None:
        if self.init_ms is None:
            self.init_ms = (time.monotonic() - self.created_at) * 1000
            threading.Thread(target=self.refresh_memory, daemon=True).start()  # REPORT lines need a first figure
        self.idle_since = time.monotonic()
        while not self.closing.is_set():
            call = self.pool.take(TAKE_POLL_S)
            if call is None:
                if self.pool.retired:
                    self.pool.discard(self)
                    threading.Thread(target=self.close, daemon=True).start()
                    return None
                continue
            if self.closing.is_set():
                self.pool.submit(call)  # closed while taking it: another environment serves it
                return None
            if not call.start(self):
                continue
            self.current = call
            call.log = self.log.begin(call.request_id, self.spec.version)
            return Next(call.payload, {
                "Lambda-Runtime-Aws-Request-Id": call.request_id,
                "Lambda-Runtime-Deadline-Ms": str(call.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": call.function_arn,
                "Lambda-Runtime-Trace-Id": call.trace_id,  # awslambdaric segfaults without it
            })
        return None

    def invocation_result(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        call = self.current
        if call is None or call.request_id != request_id:
            return False
        self.finish(call, body, error_type)
        return True

    def init_error(self, body: bytes, error_type: str | None) -> None:
        self.init_failure = (body, error_type)

    # --- invocations ending ----------------------------------------------------------------------------------------
    def finish(self, call: calls.Call, body: bytes, error_type: str | None, extra_lines: tuple[str, ...] = (),
               status: str | None = None) -> bool:
        """The call's outcome, once: its END/REPORT lines are prepared, the caller is woken."""
        if not call.complete(body, error_type):
            return False
        init_ms = None
        with self._lock:
            if not self.init_reported:
                self.init_reported, init_ms = True, self.init_ms
            if self.current is call:
                self.current = None
                self.idle_since = time.monotonic()
        if call.log is not None:
            duration = call.duration_ms
            call.log.finished_at = time.monotonic()
            call.log.closing = lambda: [*extra_lines, f"END RequestId: {call.request_id}", report_line(
                call.request_id, duration, self.spec.memory_mb, self.max_memory_mb, init_ms, status)]
        self.pool.call_finished(call)
        return True

    def time_out(self, call: calls.Call) -> None:
        """AWS ends a timed-out invocation by resetting its environment: so does this."""
        if self.finish(call, calls.timeout_document(call), "Sandbox.Timedout",
                       extra_lines=(calls.timeout_log_line(call),), status="timeout"):
            self.pool.discard(self)
            self.close()

    def refresh_memory(self) -> None:
        """Max Memory Used for REPORT lines: the container's peak, read from the engine."""
        if self.container is None or self.closing.is_set():
            return
        with contextlib.suppress(Exception):
            peak = memory.peak_bytes(self.cloud.docker.api, self.container.id)
            if peak:
                self.max_memory_mb = max(1, round(peak / 2**20))

    def _follow_output(self, output) -> None:
        try:
            for chunk in output:
                self.log.output(chunk.decode("utf-8", errors="replace"))
        except Exception as error:  # the stream ends with the container
            log.debug("output of environment %s ended: %s", self.id[:8], error)

    def _await_exit(self) -> None:
        exit_code, out_of_memory = None, False
        try:
            exit_code = self.container.wait().get("StatusCode")
            out_of_memory = self.cloud.docker.api.inspect_container(self.container.id)["State"].get("OOMKilled")
        except Exception:
            pass  # removed while waiting: we closed it
        self.pool.discard(self)
        call = self.current
        if call is not None:
            self.finish(call, calls.exit_document(call, exit_code, bool(out_of_memory)),
                        "Runtime.OutOfMemory" if out_of_memory else "Runtime.ExitError",
                        status="error")
        elif self.init_failure is not None:
            self._fail_a_waiting_call(*self.init_failure)
        if call is not None and call.log is not None:
            self.log.flush(call.log)
        self.log.flush_init()
        self.close()

    def _fail_a_waiting_call(self, body: bytes, error_type: str | None) -> None:
        """The invoke that started this environment gets the init error, as on AWS."""
        call = self.pool.take(0)
        if call is None or not call.start(self):
            return
        self.current = call
        call.log = self.log.begin(call.request_id, self.spec.version)
        self.finish(call, body, error_type or "Runtime.Unknown", status="error")
        self.log.flush(call.log)
