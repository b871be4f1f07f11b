"""Correlation ids, JSON log lines on stdout and the X-Served-By header: how a reader follows one request across
the services (module 08) and sees which task answered it (module 05).

The same file is in users, catalog and orders: an image is built from one service folder, so each carries its own
copy (sample_services/tests/test_service_copies.py checks that the copies agree).
"""

import contextvars
import json
import logging
import re
import socket
import sys
import time
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Request

CORRELATION_HEADER = "X-Correlation-Id"
# Only ids that are safe to echo in a header and to search for in logs are taken over; others are replaced.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
QUIET_PATHS = {"/health"}  # health checks every few seconds would drown the log

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
log = logging.getLogger(__package__)


class StampCorrelationId(logging.Filter):
    """Give each record the correlation id of the request being served when it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: CloudWatch Logs Insights and `jq` read the fields without parsing text."""

    def __init__(self, service: str, version: str):
        super().__init__()
        self.service, self.version = service, version

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "version": self.version,
            "correlation_id": getattr(record, "correlation_id", "-"),
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(service: str, version: str) -> None:
    """Send this package's log records to stdout as JSON lines (the ECS awslogs driver ships stdout)."""
    log.setLevel(logging.INFO)
    if not any(isinstance(f, StampCorrelationId) for f in log.filters):
        log.addFilter(StampCorrelationId())
    for handler in [h for h in log.handlers if isinstance(h.formatter, JsonLines)]:
        log.removeHandler(handler)  # a second app in one process (tests) replaces the first one's handler
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines(service, version))
    log.addHandler(handler)


def incoming_correlation_id(request: Request) -> str:
    """The caller's correlation id if it sent a usable one, else a new one: this request starts the trail."""
    given = request.headers.get(CORRELATION_HEADER, "")
    return given if ACCEPTED_ID.fullmatch(given) else uuid.uuid4().hex


def instrument(app: FastAPI, service: str, version: str) -> None:
    """Correlate, log and label every response of `app`."""
    configure_logging(service, version)
    served_by = f"{service}/{version}/{socket.gethostname()}"

    async def serve_and_log(request: Request, call_next):
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception:
            # Logged here, with the correlation id, before the server turns it into a bare 500.
            log.exception("request failed", extra={"fields": {"method": request.method, "path": request.url.path}})
            raise
        response.headers[CORRELATION_HEADER] = correlation_id.get()
        response.headers["X-Served-By"] = served_by
        if request.url.path not in QUIET_PATHS:
            fields = {"method": request.method, "path": request.url.path, "status": response.status_code,
                      "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
            log.info("request", extra={"fields": fields})
        return response

    @app.middleware("http")
    async def correlate_and_log(request: Request, call_next):
        token = correlation_id.set(incoming_correlation_id(request))
        try:
            return await serve_and_log(request, call_next)
        finally:
            correlation_id.reset(token)
