"""Stage throttling as API Gateway applies it: a token bucket per stage (rate per second, burst capacity)."""
import threading
import time


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """One request's token, or False: the request is throttled (429)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class StageLimits:
    """One bucket per (API, stage), rebuilt when the stage's limits change."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, api_id: str, stage: str, rate: float | None, burst: int | None) -> bool:
        if rate is None and burst is None:
            return True
        rate = float(rate if rate is not None else 10000)
        burst = int(burst if burst is not None else 5000)
        key = (api_id, stage)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = TokenBucket(rate, burst, self._clock)
        return bucket.take()

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
