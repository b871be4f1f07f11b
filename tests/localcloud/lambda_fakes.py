"""Stand-ins for what the Lambda plane's pool and SQS poller lean on, so their logic runs without a Docker engine."""
import json
import threading
from types import SimpleNamespace

from localcloud.awslambda.concurrency import ConcurrencyLimits
from localcloud.awslambda.function_spec import FunctionSpec
from localcloud.awslambda.invocation import FunctionNotFound, Invocation

ACCOUNT, REGION = "123456789012", "us-east-1"


def spec(name: str = "f") -> FunctionSpec:
    return FunctionSpec(name=name, arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}", version="$LATEST",
                        package_type="Zip", handler="app.handler", runtime="python3.13", memory_mb=128, timeout_s=3,
                        environment={}, image_uri=None, image_command=None, image_entry_point=None,
                        image_working_directory=None, code_sha256="0")


class FakeSandbox:
    """An execution environment without a container: it records its start and close, and can fail to start."""

    def __init__(self, pool, cloud, aws_endpoint_url, *, fail_with: Exception | None = None, clock=None):
        self.pool, self.cloud, self.aws_endpoint_url = pool, cloud, aws_endpoint_url
        self.fail_with = fail_with
        self.current = None
        self.started = False
        self.closing = threading.Event()
        self.idle_since = clock() if clock else 0.0

    @property
    def busy(self) -> bool:
        return self.current is not None

    def start(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.started = True

    def close(self) -> None:
        self.closing.set()


class SandboxFactory:
    """Makes FakeSandboxes and keeps them; `failures` are raised by the next starts, one each."""

    def __init__(self, clock=None, failures=()):
        self.clock, self.failures, self.made = clock, list(failures), []

    def __call__(self, pool, cloud, aws_endpoint_url) -> FakeSandbox:
        failure = self.failures.pop(0) if self.failures else None
        sandbox = FakeSandbox(pool, cloud, aws_endpoint_url, fail_with=failure, clock=self.clock)
        self.made.append(sandbox)
        return sandbox


class DeferredExecutor:
    """Collects submitted work; the test runs it when it chooses (no threads)."""

    def __init__(self):
        self.pending = []

    def submit(self, fn, *args):
        self.pending.append((fn, args))

    def run_all(self) -> None:
        while self.pending:
            self.run_one()

    def run_one(self) -> None:
        fn, args = self.pending.pop(0)
        fn(*args)

    def shutdown(self, wait=True, cancel_futures=False) -> None:
        self.pending.clear()


class InlineExecutor(DeferredExecutor):
    """Runs submitted work at once, in the caller's thread."""

    def submit(self, fn, *args):
        fn(*args)


def pool_plane(max_environments: int = 10, starter=None):
    """What a FunctionPool reads from its plane; starts go to `starter` (a DeferredExecutor by default)."""
    return SimpleNamespace(max_environments=max_environments, starter=starter or DeferredExecutor(),
                           concurrency=ConcurrencyLimits(), cloud=SimpleNamespace(name="fake-cloud"),
                           aws_endpoint_url="http://cloud.test:4566")


def ok(payload=None) -> Invocation:
    body = b"null" if payload is None else json.dumps(payload).encode()
    return Invocation(status_code=200, payload=body, function_error=None, log_tail="", executed_version="$LATEST")


def unhandled() -> Invocation:
    body = json.dumps({"errorType": "RuntimeError", "errorMessage": "boom"}).encode()
    return Invocation(status_code=200, payload=body, function_error="Unhandled", log_tail="",
                      executed_version="$LATEST")


class PollerPlane:
    """The Lambda plane as SqsPoller sees it, over a real moto SQS backend and hand-made event source mappings.

    `respond(event)` answers each invoke with an Invocation (or raises, e.g. Throttled); every event is kept.
    """

    def __init__(self, sqs_backend, respond=lambda event: ok()):
        self.mappings: dict[str, SimpleNamespace] = {}
        lambda_backend = SimpleNamespace(_event_source_mappings=self.mappings)
        backends = {"sqs": sqs_backend, "lambda": lambda_backend}
        self.cloud = SimpleNamespace(backend=backends.__getitem__, config=SimpleNamespace(region=REGION))
        self.respond = respond
        self.events: list[dict] = []
        self.max_environments = 10
        self.reserved: dict[str, int] = {}
        self.missing: set[str] = set()
        self.concurrency = ConcurrencyLimits()

    def map_queue(self, queue, function_name: str = "consumer", **settings) -> SimpleNamespace:
        mapping = SimpleNamespace(uuid=f"mapping-{len(self.mappings)}", event_source_arn=queue.queue_arn,
                                  function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}",
                                  enabled=True, batch_size=10, scaling_config=None, function_response_types=[])
        for key, value in settings.items():
            setattr(mapping, key, value)
        self.mappings[mapping.uuid] = mapping
        return mapping

    def function(self, function: str, qualifier: str | None = None):
        name = function.rsplit(":", 1)[-1]
        if name in self.missing:
            raise FunctionNotFound(f"Function not found: {function}")
        return SimpleNamespace(function_name=name, function_arn=function)

    def reserved_concurrency(self, function_name: str) -> int | None:
        return self.reserved.get(function_name)

    def run(self, fn, payload: bytes) -> Invocation:
        event = json.loads(payload)
        self.events.append(event)
        return self.respond(event)

    def batches(self) -> list[list[str]]:
        return [[record["body"] for record in event["Records"]] for event in self.events]
