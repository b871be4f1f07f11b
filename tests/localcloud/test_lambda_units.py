"""Lambda plane logic without a Docker engine: the pool's scaling and failures, calls, and the SQS poller."""
import json
from types import SimpleNamespace

import pytest
from moto.sqs.models import SQSBackend

from localcloud.awslambda import calls, images
from localcloud.awslambda.calls import Call
from localcloud.awslambda.event_sources import SqsPoller, failed_message_ids, mapping_concurrency, sqs_record
from localcloud.awslambda.function_spec import RUNTIME_IMAGE
from localcloud.awslambda.invocation import Throttled
from localcloud.awslambda.pool import FunctionPool
from tests.localcloud.fakes import FakeClock
from tests.localcloud.lambda_fakes import (ACCOUNT, REGION, DeferredExecutor, FakeSandbox, InlineExecutor,
                                           PollerPlane, SandboxFactory, ok, pool_plane, spec, unhandled)

SPEC = spec("f")


@pytest.fixture
def pulls(monkeypatch):
    """Image pulls the pool asks for, recorded instead of reaching an engine."""
    asked = []
    monkeypatch.setattr(images, "ensure_image", lambda cloud, image: asked.append((cloud, image)))
    return asked


def invoke() -> Call:
    return Call(b"{}", SPEC.arn, SPEC.timeout_s)


def error_of(call: Call) -> dict:
    return json.loads(call.result)


# --- the pool: scaling ---------------------------------------------------------------------------------------------

def test_a_waiting_invoke_starts_an_environment_made_by_the_factory(pulls):
    plane, factory = pool_plane(), SandboxFactory()
    pool = FunctionPool(plane, SPEC, sandbox_factory=factory)
    pool.submit(invoke())
    plane.starter.run_all()
    [sandbox] = factory.made
    assert sandbox.started and pool.sandboxes == {sandbox}
    # the environment is told where the cloud is, as a real container would be
    assert (sandbox.cloud, sandbox.aws_endpoint_url) == (plane.cloud, plane.aws_endpoint_url)


def test_environments_stop_at_the_per_function_maximum(pulls):
    plane, factory = pool_plane(max_environments=2), SandboxFactory()
    pool = FunctionPool(plane, SPEC, sandbox_factory=factory)
    for _ in range(5):
        pool.submit(invoke())
    assert len(plane.starter.pending) == 2
    plane.starter.run_all()
    pool.submit(invoke())  # still more waiting than free, but the bound is reached
    assert len(pool.sandboxes) == 2 and plane.starter.pending == []


def test_the_image_is_ensured_once_for_all_environments(pulls):
    plane = pool_plane()
    pool = FunctionPool(plane, SPEC, sandbox_factory=SandboxFactory())
    for _ in range(3):
        pool.submit(invoke())
    plane.starter.run_all()
    assert len(pool.sandboxes) == 3
    assert pulls == [(plane.cloud, RUNTIME_IMAGE)]  # zip functions all run in the one runtime image


def test_a_retired_pool_starts_no_environment(pulls):
    plane, factory = pool_plane(), SandboxFactory()
    pool = FunctionPool(plane, SPEC, sandbox_factory=factory)
    pool.submit(invoke())
    pool.retire()  # the function changed while the start waited for a starter
    plane.starter.run_all()
    pool.submit(invoke())
    assert pool.sandboxes == set() and not any(sandbox.started for sandbox in factory.made)
    assert plane.starter.pending == []


def test_losing_an_environment_starts_another_for_the_waiting_invoke(pulls):
    plane = pool_plane()
    pool = FunctionPool(plane, SPEC, sandbox_factory=SandboxFactory())
    free = FakeSandbox(pool, plane.cloud, "")
    pool.sandboxes.add(free)
    pool.submit(invoke())
    assert plane.starter.pending == []  # the free environment will take it
    pool.discard(free)  # it crashed before taking the invoke
    assert len(plane.starter.pending) == 1


# --- the pool: failures --------------------------------------------------------------------------------------------

def test_a_lone_environment_failing_to_start_fails_every_queued_invoke(pulls):
    plane = pool_plane()
    pool = FunctionPool(plane, SPEC, sandbox_factory=SandboxFactory(failures=[RuntimeError("no space left")]))
    waiting = [invoke(), invoke()]
    for call in waiting:
        plane.concurrency.acquire(SPEC.name, None)  # as the plane does before submitting
        pool.submit(call)
    plane.starter.run_all()
    assert all(call.done and call.error_type == "Runtime.Unknown" for call in waiting)
    assert error_of(waiting[0]) == {"errorType": "Runtime.Unknown",
                                    "errorMessage": "The execution environment failed to start: no space left"}
    assert plane.concurrency.in_flight(SPEC.name) == 0 and pool.empty


def test_an_invoke_whose_caller_gave_up_is_not_failed_again(pulls):
    plane = pool_plane()
    pool = FunctionPool(plane, SPEC, sandbox_factory=SandboxFactory(failures=[RuntimeError("boom")]))
    plane.concurrency.acquire(SPEC.name, None)  # another invoke, running elsewhere, keeps its slot
    abandoned, live = invoke(), invoke()
    plane.concurrency.acquire(SPEC.name, None)
    pool.submit(abandoned)
    pool.submit(live)
    abandoned.cancel_if_waiting()  # its caller released its slot when it gave up
    plane.starter.run_all()
    assert live.done and not abandoned.done
    assert plane.concurrency.in_flight(SPEC.name) == 1  # only the live invoke's slot was released


def test_an_image_that_cannot_be_had_fails_the_queue_with_its_explanation(monkeypatch):
    error = RuntimeError("pull access denied")
    error.learner_message = "The image my-repo:1 is not in the local registry; push it first."

    def refuse(cloud, image):
        raise error
    monkeypatch.setattr(images, "ensure_image", refuse)
    plane, factory = pool_plane(), SandboxFactory()
    pool = FunctionPool(plane, SPEC, sandbox_factory=factory)
    call = invoke()
    pool.submit(call)
    plane.starter.run_all()
    assert error_of(call)["errorMessage"] == error.learner_message  # the learner's wording, not the engine's
    assert not any(sandbox.started for sandbox in factory.made) and pool.sandboxes == set()


def test_a_start_failure_leaves_the_queue_to_the_environments_still_alive(pulls):
    plane = pool_plane()
    pool = FunctionPool(plane, SPEC, sandbox_factory=SandboxFactory(failures=[RuntimeError("boom")]))
    busy = FakeSandbox(pool, plane.cloud, "")
    busy.current = invoke()
    pool.sandboxes.add(busy)
    call = invoke()
    pool.submit(call)
    plane.starter.run_all()
    assert not call.done and pool.take(0) is call  # the busy environment serves it when its invoke ends


# --- the pool: idle environments ------------------------------------------------------------------------------------

def test_idle_environments_are_reaped_after_the_idle_time_and_busy_ones_are_kept():
    clock, plane = FakeClock(), pool_plane()
    pool = FunctionPool(plane, SPEC, sandbox_factory=SandboxFactory(clock=clock), clock=clock)
    stale = FakeSandbox(pool, plane.cloud, "", clock=clock)
    clock.advance(200)
    fresh = FakeSandbox(pool, plane.cloud, "", clock=clock)
    busy = FakeSandbox(pool, plane.cloud, "", clock=clock)
    busy.current = invoke()
    pool.sandboxes |= {stale, fresh, busy}
    clock.advance(150)  # stale idle 350 s, fresh idle 150 s
    pool.reap_idle(300)
    assert pool.sandboxes == {fresh, busy}
    assert stale.closing.is_set() and not fresh.closing.is_set() and not busy.closing.is_set()


# --- calls ---------------------------------------------------------------------------------------------------------

def test_the_first_outcome_of_a_call_wins():
    call = invoke()
    assert call.start("environment")
    assert call.complete(b'{"ok": true}', None)
    assert not call.complete(calls.timeout_document(call), "Sandbox.Timedout")  # a timeout racing the result
    assert (call.result, call.error_type) == (b'{"ok": true}', None) and call.wait(0)


def test_a_call_given_up_before_pickup_cannot_start_and_a_started_one_cannot_be_given_up():
    abandoned, taken = invoke(), invoke()
    assert abandoned.cancel_if_waiting() and not abandoned.start("environment")
    assert taken.start("environment") and not taken.cancel_if_waiting()
    assert taken.sandbox == "environment" and taken.wait_until_taken(0)


@pytest.mark.parametrize("exit_code, out_of_memory, error_type, ending", [
    (137, False, "Runtime.ExitError", "Runtime exited with error: signal: killed"),
    (None, False, "Runtime.ExitError", "Runtime exited with error: signal: killed"),
    (1, False, "Runtime.ExitError", "Runtime exited with error: exit status 1"),
    (137, True, "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"),
])
def test_a_dead_runtime_is_reported_as_lambda_words_it(exit_code, out_of_memory, error_type, ending):
    call = invoke()
    document = json.loads(calls.exit_document(call, exit_code, out_of_memory))
    assert document["errorType"] == error_type
    assert document["errorMessage"] == f"RequestId: {call.request_id} Error: {ending}"


def test_a_timeout_names_the_configured_timeout():
    call = invoke()
    assert json.loads(calls.timeout_document(call)) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {call.request_id} Error: Task timed out after 3.00 seconds"}


# --- SQS event sources: pure parts ---------------------------------------------------------------------------------

@pytest.fixture
def sqs():
    """moto's SQS backend used as a library: real receive, visibility and delete semantics, no server."""
    return SQSBackend(REGION, ACCOUNT)


def test_an_sqs_record_has_the_fields_lambda_documents(sqs):
    queue = sqs.create_queue("orders.fifo", FifoQueue="true")
    sqs.send_message("orders.fifo", "hello", group_id="g1", deduplication_id="d1")
    [message] = sqs.receive_message("orders.fifo", 10, 0, 30)
    record = sqs_record(message, queue, REGION)
    assert record["messageId"] == message.id and record["receiptHandle"] == message.receipt_handle
    assert record["body"] == "hello" and record["md5OfBody"] == message.body_md5
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs", f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders.fifo", REGION)
    attributes = record["attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"  # strings, as in Lambda's event
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= attributes.keys()
    assert (attributes["MessageGroupId"], attributes["MessageDeduplicationId"]) == ("g1", "d1")


@pytest.mark.parametrize("payload, failed", [
    (b'{"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]}', {"a", "b"}),
    (b'{"batchItemFailures": []}', set()),
    (b'{"processed": 3}', None),
    (b'"done"', None),
    (b'{"batchItemFailures": [{"id": "a"}]}', None),
    (b"not json", None),
    (b"", None),
])
def test_batch_item_failures_are_read_only_from_a_well_formed_response(payload, failed):
    assert failed_message_ids(payload) == failed


def test_a_mapping_runs_five_batches_at_once_unless_its_scaling_config_says():
    assert mapping_concurrency(SimpleNamespace(scaling_config=None)) == 5  # AWS's five pollers
    assert mapping_concurrency(SimpleNamespace(scaling_config={"MaximumConcurrency": 2})) == 2


# --- SQS event sources: polling ------------------------------------------------------------------------------------

def queue_with(sqs, *bodies: str, name: str = "orders"):
    queue = sqs.create_queue(name, VisibilityTimeout="30")
    for body in bodies:
        sqs.send_message(name, body)
    return queue


def counts(queue) -> tuple[int, int]:
    """(visible, in flight): in flight messages were received and not deleted, hidden until the visibility timeout."""
    return queue.approximate_number_of_messages, queue.approximate_number_of_messages_not_visible


def test_messages_are_delivered_in_batches_of_the_batch_size_and_deleted_after_success(sqs):
    queue = queue_with(sqs, "a", "b", "c", "d", "e")
    plane = PollerPlane(sqs)
    plane.map_queue(queue, batch_size=2)
    SqsPoller(plane, executor=InlineExecutor()).poll_once()
    assert sorted(len(batch) for batch in plane.batches()) == [1, 2, 2]
    assert sorted(body for batch in plane.batches() for body in batch) == ["a", "b", "c", "d", "e"]
    assert counts(queue) == (0, 0)


def test_a_failed_invoke_leaves_its_whole_batch_in_the_queue(sqs):
    queue = queue_with(sqs, "a", "b", "c")
    plane = PollerPlane(sqs, respond=lambda event: unhandled())
    plane.map_queue(queue)
    SqsPoller(plane, executor=InlineExecutor()).poll_once()
    assert len(plane.events) == 1  # not redelivered at once: hidden until the visibility timeout
    assert counts(queue) == (0, 3)


def fail_poison(event):
    """A handler's partial batch response naming the records whose body is "poison"."""
    return ok({"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in event["Records"]
                                     if record["body"] == "poison"]})


def test_only_the_reported_item_failures_stay_in_the_queue(sqs):
    queue = queue_with(sqs, "a", "poison", "b")
    plane = PollerPlane(sqs, respond=fail_poison)
    plane.map_queue(queue, function_response_types=["ReportBatchItemFailures"])
    SqsPoller(plane, executor=InlineExecutor()).poll_once()
    assert counts(queue) == (0, 1)
    assert [message.body for message in queue._messages] == ["poison"]


def test_item_failures_are_ignored_without_report_batch_item_failures(sqs):
    queue = queue_with(sqs, "a", "poison", "b")
    plane = PollerPlane(sqs, respond=fail_poison)
    plane.map_queue(queue)  # FunctionResponseTypes not set: the response is just a success
    SqsPoller(plane, executor=InlineExecutor()).poll_once()
    assert counts(queue) == (0, 0)


def test_a_throttled_batch_is_visible_again_at_once(sqs):
    queue = queue_with(sqs, "a", "b", "c")

    def throttle(event):
        raise Throttled("Rate Exceeded.")
    plane = PollerPlane(sqs, respond=throttle)
    plane.map_queue(queue)
    executor = DeferredExecutor()
    SqsPoller(plane, executor=executor).poll_once()
    assert counts(queue) == (0, 3)
    executor.run_all()
    assert counts(queue) == (3, 0)  # not after the 30 s visibility timeout


def test_batches_in_flight_stop_at_the_mapping_maximum_concurrency(sqs):
    queue = queue_with(sqs, *"abcdef")
    plane = PollerPlane(sqs)
    plane.map_queue(queue, batch_size=1, scaling_config={"MaximumConcurrency": 2})
    executor = DeferredExecutor()
    poller = SqsPoller(plane, executor=executor)
    poller.poll_once()
    assert len(executor.pending) == 2 and counts(queue) == (4, 2)
    executor.run_one()  # one batch done: room for exactly one more
    poller.poll_once()
    assert len(executor.pending) == 2 and counts(queue) == (3, 2)


def test_reserved_concurrency_bounds_the_batches_and_counts_other_callers_invokes(sqs):
    queue = queue_with(sqs, *"abcdef")
    plane = PollerPlane(sqs)
    plane.map_queue(queue, batch_size=1)
    plane.reserved["consumer"] = 2
    plane.concurrency.acquire("consumer", None)  # two Invokes from elsewhere hold both reserved slots
    plane.concurrency.acquire("consumer", None)
    executor = DeferredExecutor()
    poller = SqsPoller(plane, executor=executor)
    poller.poll_once()
    assert executor.pending == []  # a batch now would only be throttled
    plane.concurrency.release("consumer")
    plane.concurrency.release("consumer")
    poller.poll_once()
    assert len(executor.pending) == 2  # the reserved concurrency, below the mapping's five


def test_a_disabled_mapping_or_a_missing_function_leaves_the_messages_waiting(sqs):
    disabled_queue, orphan_queue = queue_with(sqs, "a", name="paused"), queue_with(sqs, "b", name="orphan")
    plane = PollerPlane(sqs)
    plane.map_queue(disabled_queue, enabled=False)
    plane.map_queue(orphan_queue, function_name="deleted")
    plane.missing.add("deleted")
    SqsPoller(plane, executor=InlineExecutor()).poll_once()
    assert plane.events == []
    assert counts(disabled_queue) == counts(orphan_queue) == (1, 0)  # not even received: no receive count spent

