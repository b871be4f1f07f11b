"""Stage access logs: one line per request, the stage's format with `$context.<variable>` filled in, in CloudWatch Logs.

A stage's `accessLogSettings` (`destinationArn` of a log group, `format`) decide where and what. The request path
only queues a finished request's record; one thread renders and writes the lines, so a write never delays an answer.
As on AWS, nothing is written when the log group does not exist (the group is never created here).
"""
import base64
import dataclasses
import logging
import os
import queue
import re
import threading
from collections.abc import Callable

from moto.logs.exceptions import ResourceAlreadyExistsException, ResourceNotFoundException

from localcloud.apigateway.answers import GatewayResponse
from localcloud.apigateway.incoming import IncomingRequest

log = logging.getLogger(__name__)

# `$context.identity.sourceIp`: dotted names; a dot not followed by a name ends the variable ("$context.status.").
VARIABLE = re.compile(r"\$context\.([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)")
EMPTY = "-"  # what AWS writes for a variable without a value, or one it does not know


def extended_request_id() -> str:
    """A REST API's second id (`x-amz-apigw-id`), shaped as AWS's: 16 base64 characters."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


@dataclasses.dataclass
class AccessRecord:
    """What one request did, filled in as it goes through the gateway, for its access log line."""
    request: IncomingRequest
    account_id: str
    api_id: str
    stage: object | None = None  # the stage that took the request: its settings say where the line goes
    route_key: str | None = None  # HTTP APIs
    resource_path: str | None = None  # REST APIs
    extended_request_id: str | None = None
    integration_latency_ms: int | None = None
    integration_status: int | None = None  # the integration service's answer (Lambda's Invoke: 200)
    integration_answer_status: int | None = None  # the status the function or HTTP target gave
    response: GatewayResponse | None = None
    responded_at: float | None = None

    def variables(self) -> dict[str, object]:
        request, response = self.request, self.response
        error = response.error if response else None
        return {
            "requestId": request.request_id,
            "extendedRequestId": self.extended_request_id or request.request_id,  # HTTP APIs: the same id
            "accountId": self.account_id,
            "apiId": self.api_id,
            "stage": getattr(self.stage, "name", None),
            "routeKey": self.route_key,
            "resourcePath": self.resource_path,
            "httpMethod": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "status": response.status if response else None,
            "responseLength": len(response.body) if response else None,
            "requestTime": request.request_time(),
            "requestTimeEpoch": int(request.received_at * 1000),
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": request.header("user-agent"),
            "domainName": request.host,
            "integrationLatency": self.integration_latency_ms,
            "integration.latency": self.integration_latency_ms,
            "integrationStatus": self.integration_status,
            "integration.status": self.integration_answer_status,
            "responseLatency": round((self.responded_at - request.received_at) * 1000) if self.responded_at else None,
            "error.message": error,
            "error.messageString": f'"{error}"' if error else None,
        }


def render(template: str, variables: dict[str, object]) -> str:
    def value(match: re.Match) -> str:
        found = variables.get(match.group(1))
        return EMPTY if found is None or found == "" else str(found)
    return VARIABLE.sub(value, template)


def log_group_of(destination_arn: str | None) -> str | None:
    """`arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → name (log group names have no colons)."""
    _, found, rest = (destination_arn or "").partition(":log-group:")
    if not found:
        return None
    return rest.split(":", 1)[0] or None


def stream_of(record: AccessRecord) -> str:
    # AWS names the streams it writes a stage's lines to itself (opaque ids); here a stage writes one stream,
    # `<api id>_<stage>`, so its lines are read in order in one place.
    return f"{record.api_id}_{record.stage.name}"


class AccessLogWriter:
    """Renders and writes queued records in one background thread; a bad write is logged and the thread goes on."""

    def __init__(self, logs_backend: Callable[[], object]):
        self._logs_backend = logs_backend
        self._queue: queue.SimpleQueue[AccessRecord | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="apigateway-access-log", daemon=True)

    def start(self) -> "AccessLogWriter":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Write what is queued, then end the thread."""
        self._queue.put(None)
        self._thread.join()

    def submit(self, record: AccessRecord) -> None:
        """Queue a finished request's line, if its stage logs access (any thread; costs a queue put)."""
        if record.stage is not None and (getattr(record.stage, "access_log_settings", None) or {}).get("format"):
            self._queue.put(record)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():  # whatever queued meanwhile goes in the same writes
                batch.append(self._queue.get())
            records = [record for record in batch if record is not None]
            try:
                self._write(records)
            except Exception:
                log.exception("could not write %d access log lines", len(records))
            if len(records) < len(batch):
                return

    def _write(self, records: list[AccessRecord]) -> None:
        lines: dict[tuple[str, str], list[dict]] = {}  # in order of first appearance: a later line never goes first
        for record in records:
            settings = record.stage.access_log_settings
            if group := log_group_of(settings.get("destinationArn")):
                lines.setdefault((group, stream_of(record)), []).append(
                    {"timestamp": int(record.request.received_at * 1000),
                     "message": render(settings["format"], record.variables())})
        if not lines:
            return
        backend = self._logs_backend()
        for (group, stream), events in lines.items():
            events.sort(key=lambda event: event["timestamp"])  # one put must be in time order
            self._put(backend, group, stream, events)

    @staticmethod
    def _put(backend, group: str, stream: str, events: list[dict]) -> None:
        try:
            backend.put_log_events(group, stream, events)
            return
        except ResourceNotFoundException:
            pass  # the stream's first line (or the group is gone): make the stream, once
        try:
            backend.create_log_stream(group, stream)
        except ResourceAlreadyExistsException:
            pass
        except ResourceNotFoundException:
            log.debug("access log group %s does not exist: %d lines not written", group, len(events))
            return
        backend.put_log_events(group, stream, events)
