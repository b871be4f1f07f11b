"""Concurrent executions per function, against its ReservedConcurrentExecutions (AWS throttles past it)."""
import threading
from collections import Counter

from localcloud.awslambda.invocation import Throttled


class ConcurrencyLimits:
    def __init__(self):
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()

    def acquire(self, function_name: str, reserved: int | None) -> None:
        with self._lock:
            if reserved is not None and self._in_flight[function_name] >= reserved:
                raise Throttled("Rate Exceeded.")
            self._in_flight[function_name] += 1

    def release(self, function_name: str) -> None:
        with self._lock:
            self._in_flight[function_name] -= 1
            if self._in_flight[function_name] <= 0:
                del self._in_flight[function_name]

    def in_flight(self, function_name: str) -> int:
        with self._lock:
            return self._in_flight[function_name]
