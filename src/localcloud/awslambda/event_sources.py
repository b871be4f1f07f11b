"""SQS event source mappings: poll each enabled mapping's queue, invoke with a batch, delete what succeeded.

As on AWS, a batch whose invoke fails stays in the queue and becomes visible again after the queue's visibility
timeout; with `ReportBatchItemFailures`, only the messages the function names as failed stay.
"""
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

POLL_S = 0.5  # between polls; a send_message to a mapped queue wakes the poller at once


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


class SqsPoller:
    def __init__(self, plane):
        self.plane = plane
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="lambda-sqs")
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
        cloud = self.plane.cloud
        sqs = cloud.backend("sqs")
        queues = {queue.queue_arn: queue for queue in list(sqs.queues.values())}
        for mapping in list(cloud.backend("lambda")._event_source_mappings.values()):
            queue = queues.get(mapping.event_source_arn)
            if queue is None or not mapping.enabled:
                continue
            with self._lock:
                if mapping.uuid in self._busy or self._stopping.is_set():
                    continue
                messages = sqs.receive_message(queue.name, mapping.batch_size, 0, int(queue.visibility_timeout))
                if not messages:
                    continue
                self._busy.add(mapping.uuid)
            self._pool.submit(self._deliver, mapping, queue, messages)

    def _deliver(self, mapping, queue, messages) -> None:
        try:
            region = self.plane.cloud.config.region
            event = {"Records": [sqs_record(message, queue, region) for message in messages]}
            outcome = self.plane.run(self.plane.function(mapping.function_arn), json.dumps(event).encode())
            if outcome.function_error:
                return  # the batch stays; it is visible again after the visibility timeout
            failed = (failed_message_ids(outcome.payload)
                      if "ReportBatchItemFailures" in (mapping.function_response_types or []) else None) or set()
            for message in messages:
                if message.id not in failed:
                    self.plane.cloud.backend("sqs").delete_message(queue.name, message.receipt_handle)
        except Exception:
            log.exception("SQS batch for %s failed", mapping.function_arn)
        finally:
            with self._lock:
                self._busy.discard(mapping.uuid)
            self._wake.set()
