"""How a function's pool decides to start environments: free ones first, and no start once the queue is served."""
import threading
from types import SimpleNamespace

from localcloud.awslambda.calls import Call
from localcloud.awslambda.function_spec import FunctionSpec
from localcloud.awslambda.pool import FunctionPool

SPEC = FunctionSpec(name="f", arn="arn:aws:lambda:us-east-1:123456789012:function:f", version="$LATEST",
                    package_type="Zip", handler="app.handler", runtime="python3.13", memory_mb=128, timeout_s=3,
                    environment={}, image_uri=None, image_command=None, image_entry_point=None,
                    image_working_directory=None, code_sha256="0")


def pool_and_starts():
    """A pool whose starts are collected, not run: the test runs them when it chooses."""
    starts = []
    plane = SimpleNamespace(max_environments=10, starter=SimpleNamespace(submit=starts.append), cloud=None,
                            aws_endpoint_url="")
    return FunctionPool(plane, SPEC), starts


class FreeEnvironment:
    busy = False

    def __init__(self):
        self.closing = threading.Event()


def test_each_waiting_invoke_asks_for_an_environment():
    pool, starts = pool_and_starts()
    for _ in range(3):
        pool.submit(Call(b"{}", SPEC.arn, 3))
    assert len(starts) == 3


def test_an_environment_back_from_an_invoke_takes_the_next_one_without_a_start():
    pool, starts = pool_and_starts()
    pool.sandboxes.add(FreeEnvironment())  # its result is in; it has not asked for the next invoke yet
    pool.submit(Call(b"{}", SPEC.arn, 3))
    assert starts == []


def test_a_start_whose_turn_comes_once_the_queue_is_served_does_not_happen():
    pool, starts = pool_and_starts()
    for _ in range(3):
        pool.submit(Call(b"{}", SPEC.arn, 3))
    environment = FreeEnvironment()
    pool.sandboxes.add(environment)  # came up while the starts waited for a starter
    pool.take(0), pool.take(0)
    for start in starts:
        start()
    assert pool.sandboxes == {environment}
    assert not pool.empty  # one invoke still queued, for the free environment
    pool.take(0)
    pool.sandboxes.clear()
    assert pool.empty  # no start is left counted
