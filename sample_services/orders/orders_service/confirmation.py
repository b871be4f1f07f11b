"""Synchronous order confirmation, module 08's other side: orders calls the notifier over HTTP and waits."""

import logging

import httpx

from .observability import CORRELATION_HEADER

log = logging.getLogger(__package__)


class SyncConfirmation:
    def __init__(self, url: str, timeout_seconds: float):
        self.url = url
        self.http = httpx.Client(timeout=timeout_seconds)

    def close(self) -> None:
        self.http.close()

    def send(self, event: dict) -> bool:
        """POST the OrderPlaced event and wait for the notifier; a failure is logged, the order stands."""
        fields = {"order_id": event["order_id"], "url": self.url}
        try:
            response = self.http.post(self.url, json=event, headers={CORRELATION_HEADER: event["correlation_id"]})
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.error("confirmation failed; the order stands", extra={"fields": {**fields, "error": str(error)}})
            return False
        log.info("confirmation sent", extra={"fields": fields})
        return True
