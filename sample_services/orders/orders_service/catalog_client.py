"""Orders' client for the catalog service: a timeout on every call, a bounded retry and, when configuration
switches it on, a circuit breaker, so a slow or broken catalog costs an order seconds, not the orders service."""

import logging
import math
import time
import uuid
from dataclasses import dataclass

import httpx
import pybreaker

from .observability import CORRELATION_HEADER, correlation_id
from .settings import Settings

RETRY_PAUSE_SECONDS = 0.1  # times the attempt number: a short pause gives a restarting catalog a moment

log = logging.getLogger(__package__)


class CatalogError(Exception):
    """What orders answers its own caller when the catalog call did not give a reservation."""

    status_code = 502

    def __init__(self, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail, self.headers = detail, headers


class BookNotFound(CatalogError):
    status_code = 404


class NotEnoughStock(CatalogError):
    status_code = 409


class CatalogUnavailable(CatalogError):
    status_code = 503


class CatalogTimeout(CatalogError):
    status_code = 504


# Business answers are the catalog working as it should: they never count towards opening the breaker.
NOT_FAILURES = (BookNotFound, NotEnoughStock)


@dataclass(frozen=True)
class Reservation:
    id: str
    book_id: int
    quantity: int
    unit_price: float


class CatalogClient:
    def __init__(self, settings: Settings):
        self.base_url = settings.catalog_url.rstrip("/")
        self.timeout = settings.catalog_timeout_seconds
        self.attempts = 1 + settings.catalog_retries
        self.http = httpx.Client(timeout=self.timeout)
        self.breaker = None
        if settings.catalog_circuit_breaker:
            # The call that opens the breaker still reports its own cause (a timeout is a 504, not a 503).
            self.breaker = pybreaker.CircuitBreaker(
                fail_max=settings.catalog_breaker_failures,
                reset_timeout=settings.catalog_breaker_reset_seconds,
                exclude=list(NOT_FAILURES),
                throw_new_error_on_trip=False,
                name="catalog",
            )

    def close(self) -> None:
        self.http.close()

    def reserve(self, book_id: int, quantity: int) -> Reservation:
        """Reserve `quantity` copies of a book; raises a CatalogError saying what to answer otherwise."""
        reservation_id = uuid.uuid4().hex  # one key for every attempt, so a retry cannot take the stock twice
        if self.breaker is None:
            return self._reserve_with_retries(book_id, quantity, reservation_id)
        try:
            return self.breaker.call(self._reserve_with_retries, book_id, quantity, reservation_id)
        except pybreaker.CircuitBreakerError:
            wait = self.breaker.reset_timeout
            raise CatalogUnavailable(
                f"Catalog circuit breaker is open after {self.breaker.fail_max} failed calls: orders fail fast "
                f"without calling catalog, and try it again within {wait:g} s",
                headers={"Retry-After": str(math.ceil(wait))},
            ) from None

    def breaker_state(self) -> dict:
        """The breaker as module 08 plots it: closed (calls go through), open (fail fast) or half-open (one try)."""
        if self.breaker is None:
            return {"enabled": False, "state": "closed", "failures": 0}
        return {"enabled": True, "state": self.breaker.current_state, "failures": self.breaker.fail_counter,
                "fail_max": self.breaker.fail_max, "reset_seconds": self.breaker.reset_timeout}

    def _reserve_with_retries(self, book_id: int, quantity: int, reservation_id: str) -> Reservation:
        url = f"{self.base_url}/catalog/books/{book_id}/reservations/{reservation_id}"
        failure: CatalogError | None = None
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                time.sleep(RETRY_PAUSE_SECONDS * (attempt - 1))
            try:
                return self._reserve_once(url, quantity)
            except (CatalogUnavailable, CatalogTimeout) as error:
                failure = error
                fields = {"attempt": attempt, "attempts": self.attempts, "error": error.detail}
                log.warning("catalog call failed", extra={"fields": fields})
        tries = f"{self.attempts} attempt{'s' if self.attempts > 1 else ''}"
        raise type(failure)(f"{failure.detail} ({tries}); try again later")

    def _reserve_once(self, url: str, quantity: int) -> Reservation:
        headers = {CORRELATION_HEADER: correlation_id.get()}
        try:
            response = self.http.put(url, json={"quantity": quantity}, headers=headers)
        except httpx.TimeoutException:
            raise CatalogTimeout(f"Catalog did not answer within {self.timeout:g} s") from None
        except httpx.TransportError as error:
            reason = f"{type(error).__name__}: {error}"
            raise CatalogUnavailable(f"Catalog unreachable at {self.base_url} ({reason})") from None
        if response.status_code in (200, 201):
            return Reservation(**response.json())
        detail = detail_of(response)
        if response.status_code == 404 and detail == "Book not found":
            raise BookNotFound(detail)
        if response.status_code == 409:
            raise NotEnoughStock(detail)
        if response.status_code >= 500:
            raise CatalogUnavailable(f"Catalog answered {response.status_code}: {detail}")
        # Anything else means orders is not talking to the catalog it thinks: a retry would not help.
        raise CatalogError(f"Catalog answered {response.status_code} for {url}: {detail}; "
                           f"check that CATALOG_URL ({self.base_url}) reaches the catalog service")


def detail_of(response: httpx.Response) -> str:
    """FastAPI's `detail` when the answer has one, else the start of the body (a load balancer's page)."""
    try:
        return str(response.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase
