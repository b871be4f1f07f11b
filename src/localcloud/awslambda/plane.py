"""LambdaPlane: invokes run moto's functions in warm containers; a reaper retires stale and idle environments."""
import contextlib
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import docker
from moto.awslambda.exceptions import UnknownFunctionException

from localcloud.awslambda import account_concurrency, image_architecture
from localcloud.awslambda.calls import Call, error_document
from localcloud.awslambda.concurrency import ConcurrencyLimits
from localcloud.awslambda.container_spec import PART
from localcloud.awslambda.event_sources import SqsPoller
from localcloud.awslambda.function_spec import UnsupportedFunction, spec_of
from localcloud.awslambda.invocation import (FunctionNotFound, InvalidRequestContent, Invocation, LambdaInvokeError,
                                             Throttled)
from localcloud.awslambda.local_function import planes
from localcloud.awslambda.logs import LogFlusher
from localcloud.awslambda.pool import FunctionPool
from localcloud.awslambda.provider import LambdaProvider
from localcloud.awslambda.sqs_provider import SqsProvider
from localcloud.config import MANAGED_LABEL, PART_LABEL
from localcloud.serving import repeat_in_thread

log = logging.getLogger(__name__)

PICKUP_LIMIT_S = 60.0   # an invoke waits this long for an environment (a cold start, an image pull) before failing
REAP_INTERVAL_S = 1.0
ASYNC_THROTTLE_RETRY_S = 60.0


class InvalidRuntime(LambdaInvokeError):
    code = "InvalidRuntimeException"
    status_code = 502


def setting(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class LambdaPlane:
    name = "lambda"

    def __init__(self):
        self.cloud = None
        self.max_environments = int(setting("LOCALCLOUD_LAMBDA_MAX_ENVIRONMENTS", 10))  # per function
        self.idle_s = setting("LOCALCLOUD_LAMBDA_IDLE_SECONDS", 300)  # AWS keeps idle environments minutes too
        # The engine starts containers one after another: more at once only delays the first that could serve.
        self.concurrent_starts = int(setting("LOCALCLOUD_LAMBDA_CONCURRENT_STARTS", 4))
        self.concurrency = ConcurrencyLimits()
        self.memory_enforced: bool | None = None  # known once started: whether the engine limits memory
        self.aws_endpoint_url: str | None = None
        self._pools: dict[str, FunctionPool] = {}
        self._pools_lock = threading.Lock()
        self._stopping = threading.Event()
        self._reaper: threading.Thread | None = None
        self._sqs = None
        self._providers: list = []

    # --- what other planes use -------------------------------------------------------------------------------------
    def invoke(self, function: str, payload: bytes, *, qualifier: str | None = None) -> Invocation:
        """Run a function synchronously (RequestResponse), as Lambda's Invoke does, and return its outcome.

        `function`: a name, a full or partial ARN (with `:version` / `:alias`, or give `qualifier`). Raises
        FunctionNotFound, Throttled (past ReservedConcurrentExecutions) or InvalidRequestContent (payload not JSON).
        A handler that raises, times out or crashes is not an exception: `function_error` says "Unhandled".
        """
        return self.run(self.function(function, qualifier), payload)

    def function(self, function: str, qualifier: str | None = None):
        """moto's model of the function version an invoke of `function` (and `qualifier`) runs."""
        try:
            return self.cloud.backend("lambda").get_function(function, qualifier)
        except UnknownFunctionException:
            raise FunctionNotFound(f"Function not found: {function}"
                                   + (f":{qualifier}" if qualifier else "")) from None

    def wake_event_sources(self) -> None:
        """A message arrived, or a mapping was created: poll now rather than at the next tick."""
        if self._sqs is not None:
            self._sqs.wake()

    def owns(self, backend) -> bool:
        return self.cloud is not None and backend is self.cloud.backend("lambda")

    # --- running invokes -------------------------------------------------------------------------------------------
    def run(self, fn, payload: bytes | None, *, wait_for_log: bool = False, invoked_arn: str | None = None,
            ) -> Invocation:
        """One synchronous invoke of moto's function version `fn`; `wait_for_log` waits for the last output lines
        so the tail is complete (LogType=Tail)."""
        payload = validate_payload(payload)
        if self._stopping.is_set():
            raise LambdaInvokeError("The local cloud is stopping; start it again to invoke functions.")
        try:
            spec = spec_of(fn)
        except UnsupportedFunction as unsupported:
            raise InvalidRuntime(str(unsupported)) from None
        if (failure := image_architecture.launch_failure(self, fn)) is not None:
            return failure  # an image for another architecture cannot start, as on AWS
        reserved = self.reserved_concurrency(fn.function_name)
        unreserved = account_concurrency.unreserved(self.cloud.backend("lambda"))
        self.concurrency.acquire(spec.name, reserved, unreserved)
        call = Call(payload, invoked_arn or spec.arn, spec.timeout_s)
        try:
            self._pool_for(spec).submit(call)
        except Exception:
            self.concurrency.release(spec.name)
            raise
        self._await(call, spec.name)
        tail = ""
        if call.log is not None:
            if wait_for_log:
                call.sandbox.log.flush(call.log, wait_for_output=True)
            else:
                self._flusher.schedule(call.sandbox, call.log)
            tail = call.log.tail()
        return Invocation(status_code=200, payload=call.result or b"",
                          function_error="Unhandled" if call.error_type else None, log_tail=tail,
                          executed_version=spec.version, request_id=call.request_id)

    def run_async(self, fn, payload: bytes | None) -> None:
        """InvocationType=Event: validated now, run in the background; throttled invokes are retried a while."""
        payload = validate_payload(payload)

        def attempt():
            deadline = time.monotonic() + ASYNC_THROTTLE_RETRY_S
            while not self._stopping.is_set():
                try:
                    self.run(fn, payload)
                    return
                except Throttled:
                    if time.monotonic() > deadline:
                        log.warning("asynchronous invoke of %s dropped: throttled for %.0f s", fn.function_name,
                                    ASYNC_THROTTLE_RETRY_S)
                        return
                    self._stopping.wait(0.5)
                except Exception:
                    log.exception("asynchronous invoke of %s failed", fn.function_name)
                    return
        self._async.submit(attempt)

    def reserved_concurrency(self, function_name: str) -> int | None:
        try:
            latest = self.cloud.backend("lambda").get_function(function_name, None)
        except UnknownFunctionException:
            return None
        reserved = latest.reserved_concurrency
        return None if reserved is None else int(reserved)

    def _await(self, call: Call, function_name: str) -> None:
        queued_at = time.monotonic()
        while not call.done:
            if call.started_at is None:
                if time.monotonic() - queued_at > PICKUP_LIMIT_S and call.cancel_if_waiting():
                    call.complete(error_document("Runtime.Unavailable", "No execution environment became ready "
                                                 f"within {PICKUP_LIMIT_S:.0f} s; see `docker ps` and try again."),
                                  "Runtime.Unavailable")
                    self.concurrency.release(function_name)
                    return
                call.wait_until_taken(max(0.0, queued_at + PICKUP_LIMIT_S - time.monotonic()) + 0.01)
                continue
            remaining = call.started_at + call.timeout_s - time.monotonic()
            if remaining <= 0:
                call.sandbox.time_out(call)
                continue
            call.wait(remaining)

    def _pool_for(self, spec) -> FunctionPool:
        with self._pools_lock:
            pool = self._pools.get(spec.arn)
            if pool is not None and pool.spec.revision == spec.revision and not pool.retired:
                return pool
            if pool is not None:
                pool.retire()
                self._retired.append(pool)
            pool = self._pools[spec.arn] = FunctionPool(self, spec)
            return pool

    # --- the reaper ------------------------------------------------------------------------------------------------
    def _reap(self) -> None:
        repeat_in_thread(self.reap_once, REAP_INTERVAL_S, self._stopping, "Lambda reaper pass")

    def reap_once(self) -> None:
        """Retire pools whose function changed or went; close idle environments; forget empty retired pools."""
        backend = self.cloud.backend("lambda")
        with self._pools_lock:
            pools = list(self._pools.items())
        for arn, pool in pools:
            try:
                current = spec_of(backend.get_function(arn, None)).revision
            except (UnknownFunctionException, UnsupportedFunction):
                current = None
            if current != pool.spec.revision:
                with self._pools_lock:
                    if self._pools.get(arn) is pool:
                        del self._pools[arn]
                        pool.retire()
                        self._retired.append(pool)
            pool.reap_idle(self.idle_s)
        with self._pools_lock:
            self._retired = [pool for pool in self._retired if not pool.empty]

    # --- DataPlane -------------------------------------------------------------------------------------------------
    def start(self, cloud) -> None:
        self.cloud = cloud
        self._stopping.clear()
        self._retired: list[FunctionPool] = []
        self.aws_endpoint_url = cloud.container_endpoint_url
        # An engine without cgroups (rootless on cgroup v1) discards memory limits: MemorySize cannot be enforced.
        self.memory_enforced = bool(cloud.docker.info().get("MemoryLimit", True))
        if not self.memory_enforced:
            log.warning("this Docker engine does not limit containers' memory: functions' MemorySize is not "
                        "enforced and REPORT lines show no Max Memory Used")
        self._flusher = LogFlusher().start()
        self.starter = ThreadPoolExecutor(self.concurrent_starts, thread_name_prefix="lambda-start")
        self._async = ThreadPoolExecutor(16, thread_name_prefix="lambda-async")
        self._sqs = SqsPoller(self).start()
        self._reaper = threading.Thread(target=self._reap, name="lambda-reaper", daemon=True)
        self._reaper.start()
        planes.attach(self)
        self._providers = [LambdaProvider(self, cloud.config.account_id, cloud.config.region),
                           SqsProvider(self, cloud.config.account_id, cloud.config.region)]
        for provider in self._providers:
            cloud.providers.register(provider)

    def stop(self) -> None:
        if self._reaper is None:
            return
        for provider in self._providers:
            self.cloud.providers.unregister(provider)
        self._providers = []
        planes.detach(self)
        self._stopping.set()
        self._sqs.stop()
        self._reaper.join()
        self.starter.shutdown(wait=True, cancel_futures=True)  # no environment is half-created past this
        self._close_pools()
        self._async.shutdown(wait=True, cancel_futures=True)
        self._remove_containers()
        self._flusher.stop()
        self._reaper = None

    def _remove_containers(self, timeout_s: float = 15.0) -> None:
        """Every function container gone before the cloud removes its network (closes run in threads too)."""
        selector = {"label": [f"{MANAGED_LABEL}={self.cloud.config.instance}", f"{PART_LABEL}={PART}"]}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            remaining = self.cloud.docker.api.containers(all=True, filters=selector)
            if not remaining:
                return
            for summary in remaining:
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    self.cloud.docker.api.remove_container(summary["Id"], force=True)
            time.sleep(0.1)

    def reset(self) -> None:
        self._close_pools()

    def _close_pools(self) -> None:
        with self._pools_lock:
            pools = [*self._pools.values(), *self._retired]
            self._pools.clear()
            self._retired = []
        for pool in pools:
            pool.close()

    def status(self) -> dict:
        ready = self._reaper is not None and self._reaper.is_alive()
        with self._pools_lock:
            environments = sum(len(pool.sandboxes) for pool in [*self._pools.values(), *self._retired])
        return {"ready": ready, "environments": environments,
                "endpoint_for_functions": self.aws_endpoint_url if ready else None,
                "memory_size_enforced": self.memory_enforced}


def validate_payload(payload: bytes | None) -> bytes:
    """Lambda accepts only JSON events (an empty payload is `{}`)."""
    if not payload:
        return b"{}"
    try:
        json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequestContent(f"Could not parse request body into json: Could not parse payload into json: "
                                    f"{error}") from None
    return payload
