"""SQS event source mappings: poll each enabled mapping's queue, invoke with a batch, delete what succeeded.

As on AWS, a batch whose invoke fails stays in the queue and becomes visible again after the queue's visibility
timeout; with `ReportBatchItemFailures`, only the messages the function names as failed stay. Several batches of
one mapping run at once: up to `ScalingConfig.MaximumConcurrency`, and never past the function's reserved
concurrency, so the mapping's own invokes are not throttled.
"""
import json
import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from localcloud.awslambda.invocation import FunctionNotFound, Throttled

log = logging.getLogger(__name__)

POLL_S = 0.5  # between polls; a send_message to a mapped queue wakes the poller at once
DEFAULT_CONCURRENCY = 5  # AWS starts an SQS mapping with five pollers, so five batches at once without ScalingConfig
MAX_BATCHES_IN_FLIGHT = 32  # all mappings together; one thread each, so no received batch waits for a thread


def sqs_record(message, queue, region: str) -> dict:
    attributes = {"ApproximateReceiveCount": str(message.approximate_receive_count),
                  "SentTimestamp": str(message.sent_timestamp),
                  "SenderId": message.sender_id,
                  "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp)}
    if message.group_id:
        attributes.update({"MessageGroupId": message.group_id,
                           "MessageDeduplicationId": message.deduplication_id or ""})
    return {"messageId": message.id, "receiptHandle": message.receipt_handle, "body": message.body,
            "attributes": attributes, "messageAttributes": message.message_attributes, "md5OfBody": message.body_md5,
            "eventSource": "aws:sqs", "eventSourceARN": queue.queue_arn, "awsRegion": region}


def failed_message_ids(payload: bytes) -> set[str] | None:
    """`{"batchItemFailures": [{"itemIdentifier": id}, …]}` → ids; None when the response does not say."""
    try:
        failures = json.loads(payload or b"null").get("batchItemFailures")
        return {item["itemIdentifier"] for item in failures}
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def mapping_concurrency(mapping) -> int:
    """Batches one mapping may have in flight: its ScalingConfig.MaximumConcurrency, else AWS's five pollers."""
    maximum = (mapping.scaling_config or {}).get("MaximumConcurrency")
    return int(maximum) if maximum else DEFAULT_CONCURRENCY


class SqsPoller:
    def __init__(self, plane, executor=None):
        """`executor` runs the batches (`submit(fn, *args)`, `shutdown(...)`); default: a thread per batch."""
        self.plane = plane
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._by_mapping: Counter[str] = Counter()   # batches in flight, from receive to delete
        self._by_function: Counter[str] = Counter()
        self._pool = executor if executor is not None else ThreadPoolExecutor(MAX_BATCHES_IN_FLIGHT,
                                                                              thread_name_prefix="lambda-sqs")
        self._thread = threading.Thread(target=self._run, name="lambda-sqs-poller", daemon=True)

    def start(self) -> "SqsPoller":
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            try:
                self.poll_once()
            except Exception:
                log.exception("SQS event source poll failed; trying again")

    def poll_once(self) -> None:
        """Receive batches for every enabled mapping until it has no room or its queue has nothing visible."""
        cloud = self.plane.cloud
        sqs = cloud.backend("sqs")
        queues = {queue.queue_arn: queue for queue in list(sqs.queues.values())}
        for mapping in list(cloud.backend("lambda")._event_source_mappings.values()):
            queue = queues.get(mapping.event_source_arn)
            if queue is None or not mapping.enabled:
                continue
            try:
                fn = self.plane.function(mapping.function_arn)
            except FunctionNotFound:
                continue  # the messages wait, as they do on AWS while the function is missing
            while self._has_room(mapping, fn.function_name):
                with self._lock:
                    if self._stopping.is_set():
                        return
                    messages = sqs.receive_message(queue.name, mapping.batch_size, 0, int(queue.visibility_timeout))
                    if not messages:
                        break
                    self._by_mapping[mapping.uuid] += 1
                    self._by_function[fn.function_name] += 1
                self._pool.submit(self._deliver, mapping, fn.function_name, queue, messages)

    def _has_room(self, mapping, function_name: str) -> bool:
        """Another batch may start: below the mapping's concurrency, the function's environments and reserved
        concurrency, and the pool's threads."""
        limit = min(mapping_concurrency(mapping), self.plane.max_environments)
        reserved = self.plane.reserved_concurrency(function_name)
        with self._lock:
            if sum(self._by_mapping.values()) >= MAX_BATCHES_IN_FLIGHT or self._by_mapping[mapping.uuid] >= limit:
                return False
            if reserved is None:
                return True
            # a batch counts once whether or not its invoke has begun; other callers' invokes count too
            in_use = max(self._by_function[function_name], self.plane.concurrency.in_flight(function_name))
            return in_use < reserved

    def _deliver(self, mapping, function_name: str, queue, messages) -> None:
        sqs = self.plane.cloud.backend("sqs")
        try:
            region = self.plane.cloud.config.region
            event = {"Records": [sqs_record(message, queue, region) for message in messages]}
            try:
                outcome = self.plane.run(self.plane.function(mapping.function_arn), json.dumps(event).encode())
            except Throttled:
                # another caller took the last reserved slot first: the batch goes back to the queue at once
                for message in messages:
                    sqs.change_message_visibility(queue.name, message.receipt_handle, 0)
                return
            if outcome.function_error:
                return  # the batch stays; it is visible again after the visibility timeout
            failed = (failed_message_ids(outcome.payload)
                      if "ReportBatchItemFailures" in (mapping.function_response_types or []) else None) or set()
            with queue._messages_lock:  # moto rebuilds the list unlocked: a concurrent delete or send could be lost
                for message in messages:
                    if message.id not in failed:
                        sqs.delete_message(queue.name, message.receipt_handle)
        except Exception:
            log.exception("SQS batch for %s failed", mapping.function_arn)
        finally:
            with self._lock:
                self._release(self._by_mapping, mapping.uuid)
                self._release(self._by_function, function_name)
            self._wake.set()

    @staticmethod
    def _release(counter: Counter, key: str) -> None:
        counter[key] -= 1
        if counter[key] <= 0:
            del counter[key]
