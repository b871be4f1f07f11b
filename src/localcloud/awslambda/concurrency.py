"""Concurrent executions per function, against its ReservedConcurrentExecutions, and of the functions without a
reservation together, against what the account leaves unreserved (AWS throttles past either)."""
import threading
from collections import Counter

from localcloud.awslambda.invocation import Throttled


class ConcurrencyLimits:
    def __init__(self):
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._unreserved_in_flight: Counter[str] = Counter()  # those that draw on the account's unreserved pool

    def acquire(self, function_name: str, reserved: int | None, unreserved_pool: int | None = None) -> None:
        with self._lock:
            if reserved is not None and self._in_flight[function_name] >= reserved:
                raise Throttled("Rate Exceeded.")
            # https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html: functions without reserved
            # concurrency share the account's unreserved concurrency.
            if reserved is None and unreserved_pool is not None and \
                    sum(self._unreserved_in_flight.values()) >= unreserved_pool:
                raise Throttled("Rate Exceeded.")
            self._in_flight[function_name] += 1
            if reserved is None:
                self._unreserved_in_flight[function_name] += 1

    def release(self, function_name: str) -> None:
        with self._lock:
            self._in_flight[function_name] -= 1
            if self._in_flight[function_name] <= 0:
                del self._in_flight[function_name]
            if self._unreserved_in_flight[function_name] > 1:
                self._unreserved_in_flight[function_name] -= 1
            else:
                self._unreserved_in_flight.pop(function_name, None)

    def in_flight(self, function_name: str) -> int:
        with self._lock:
            return self._in_flight[function_name]
