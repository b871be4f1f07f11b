"""Measure what clients see: poll URLs at a fixed rate in the background, then summarise and plot.

    poller = Poller([catalog_url, users_url], rate=5)
    poller.start()
    ...                      # break something; poller.mark("fault on") notes when
    samples = poller.stop()
    summary_table(samples)   # availability, p50/p95 latency, longest outage per URL
    plot(samples)            # requests over time, failures in red, one panel per URL

`summarize` and `plot` are plain functions over the recorded samples, so they are tested without a server.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from workshop.tables import Table


@dataclass(frozen=True)
class Sample:
    """One request: when it started (s since polling began), what it asked, what came back, how long it took."""

    t: float
    url: str
    status: int | None
    error: str | None
    latency: float
    served_by: str | None = None  # the answer's X-Served-By header: which service, version and host answered

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Event:
    t: float
    label: str


class Poller:
    """Sends GET requests to each URL `rate` times a second until stopped, like independent clients would.

    Requests start on schedule whether or not earlier ones have answered (an open loop): a server that hangs
    collects a queue of waiting clients, as it would in production, instead of being asked less often.
    """

    def __init__(self, urls: list[str], rate: float = 5.0, timeout: float = 1.0):
        self.urls = list(urls)
        self.period = 1.0 / rate
        self.timeout = timeout
        self.samples: list[Sample] = []
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = 0.0
        self._client: httpx.Client | None = None
        self._workers: ThreadPoolExecutor | None = None

    def start(self) -> "Poller":
        self._stopping.clear()
        # A fresh connection per request: like separate clients, and a restarted server is noticed at once.
        self._client = httpx.Client(timeout=self.timeout, headers={"Connection": "close"},
                                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=0))
        in_flight = int(self.timeout / self.period + 2) * len(self.urls)
        self._workers = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="poller")
        self._started = time.monotonic()
        self._threads = [threading.Thread(target=self._schedule, args=(u,), daemon=True, name=f"poll {u}")
                         for u in self.urls]
        for thread in self._threads:
            thread.start()
        return self

    def mark(self, label: str) -> None:
        """Note that something happened now (shown as a line on the plot)."""
        with self._lock:
            self.events.append(Event(self.elapsed(), label))

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def recorded(self) -> list[Sample]:
        """The samples so far, in time order, while polling goes on."""
        with self._lock:
            return sorted(self.samples, key=lambda s: s.t)

    def stop(self) -> list[Sample]:
        """Stop polling; returns once every request has ended, with all samples in time order."""
        self._stopping.set()
        for thread in self._threads:
            thread.join()
        if self._workers:
            self._workers.shutdown(wait=True)
        if self._client:
            self._client.close()
        with self._lock:
            return sorted(self.samples, key=lambda s: s.t)

    def run(self, seconds: float) -> list[Sample]:
        """Poll for `seconds`, blocking, and return the samples."""
        self.start()
        time.sleep(seconds)
        return self.stop()

    def __enter__(self) -> "Poller":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _schedule(self, url: str) -> None:
        next_at = time.monotonic()
        while not self._stopping.is_set():
            self._workers.submit(self._request, url)
            next_at += self.period
            self._stopping.wait(max(next_at - time.monotonic(), 0))

    def _request(self, url: str) -> None:
        started = time.monotonic()
        status = error = served_by = None
        try:
            response = self._client.get(url)
            status, served_by = response.status_code, response.headers.get("x-served-by")
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        latency = time.monotonic() - started
        with self._lock:
            self.samples.append(Sample(started - self._started, url, status, error, latency, served_by))


# An answer slower than this counts as part of an outage: the service is up, but a user is left waiting.
SLOW_S = 0.5


@dataclass(frozen=True)
class Summary:
    url: str
    requests: int
    failed: int                  # errors, no answer within the timeout, or a status other than 2xx
    slow: int                    # answered 2xx, but after more than SLOW_S
    availability: float          # % of requests answered 2xx within the timeout
    p50_ms: float | None         # latency percentiles over all requests, failed ones included
    p95_ms: float | None
    longest_outage_s: float      # see longest_outage

    def row(self, label: str | None = None) -> dict:
        return {"what": label or self.url, "requests": self.requests, "failed": self.failed,
                f"slow (> {SLOW_S:g} s)": self.slow, "availability %": round(self.availability, 1),
                "p50 ms": _round(self.p50_ms), "p95 ms": _round(self.p95_ms),
                "longest outage s": round(self.longest_outage_s, 2)}


def _round(value):
    return None if value is None else round(value, 1)


def percentile(values: list[float], fraction: float) -> float | None:
    """The value below which `fraction` of `values` lie (nearest rank); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(int(-(-fraction * len(ordered) // 1)), 1)  # ceil, at least the first
    return ordered[min(rank, len(ordered)) - 1]


def prompt(sample: Sample, slow: float = SLOW_S) -> bool:
    """Answered 2xx within `slow` seconds."""
    return sample.ok and sample.latency <= slow


def longest_outage(samples: list[Sample], slow: float = SLOW_S) -> float:
    """Longest time, in seconds, from a request that failed or was slow to the next prompt answer's request
    (to the end of polling if none came): how long a user could be left without a timely answer."""
    ordered = sorted(samples, key=lambda s: s.t)
    longest, outage_start = 0.0, None
    for sample in ordered:
        good = prompt(sample, slow)
        if not good and outage_start is None:
            outage_start = sample.t
        elif good and outage_start is not None:
            longest = max(longest, sample.t - outage_start)
            outage_start = None
    if outage_start is not None:
        last = ordered[-1]
        longest = max(longest, last.t + last.latency - outage_start)
    return longest


def summarize(samples: list[Sample], url: str | None = None, slow: float = SLOW_S) -> Summary:
    """Availability, latency and longest outage of the samples (of one URL if given)."""
    chosen = [s for s in samples if url is None or s.url == url]
    failed = sum(not s.ok for s in chosen)
    latencies = [s.latency * 1000 for s in chosen]
    return Summary(url=url or "all", requests=len(chosen), failed=failed,
                   slow=sum(s.ok and not prompt(s, slow) for s in chosen),
                   availability=100.0 * (len(chosen) - failed) / len(chosen) if chosen else 0.0,
                   p50_ms=percentile(latencies, 0.50), p95_ms=percentile(latencies, 0.95),
                   longest_outage_s=longest_outage(chosen, slow))


def during(samples: list[Sample], start: float, end: float) -> list[Sample]:
    """The samples of requests sent between `start` and `end` (seconds since polling began)."""
    return [s for s in samples if start <= s.t <= end]


def urls_of(samples: list[Sample], first: list[str] = ()) -> list[str]:
    """The URLs of the samples, those in `first` first (in its order), the others as they were first asked."""
    seen = {s.url for s in samples}
    return [u for u in first if u in seen] + [u for u in dict.fromkeys(s.url for s in samples) if u not in first]


def summary_table(samples: list[Sample], labels: dict[str, str] | None = None, title: str | None = None) -> Table:
    """One row per URL; `labels` maps a URL to a short name for the table."""
    labels = labels or {}
    return Table([summarize(samples, u).row(labels.get(u, u)) for u in urls_of(samples, list(labels))], title=title)


def plot(samples: list[Sample], events: list[Event] = (), labels: dict[str, str] | None = None,
         title: str | None = None, timeout: float | None = None):
    """Latency of each request over time, failures as red crosses, one panel per URL side by side."""
    import matplotlib.pyplot as plt

    labels = labels or {}
    urls = urls_of(samples, list(labels))
    figure, axes = plt.subplots(1, max(len(urls), 1), figsize=(5.2 * max(len(urls), 1), 3.4), sharey=True,
                                squeeze=False)
    end = max((s.t + s.latency for s in samples), default=1.0)
    for axis, u in zip(axes[0], urls):
        mine = [s for s in samples if s.url == u]
        good = [s for s in mine if s.ok]
        bad = [s for s in mine if not s.ok]
        axis.plot([s.t for s in good], [s.latency * 1000 for s in good], ".", color="tab:blue", markersize=4,
                  label=f"answered ({len(good)})")
        axis.plot([s.t for s in bad], [s.latency * 1000 for s in bad], "x", color="tab:red", markersize=6,
                  label=f"failed ({len(bad)})")
        summary = summarize(mine)
        axis.set_title(f"{labels.get(u, u)} — {summary.availability:.0f}% available", fontsize=10)
        axis.set_xlabel("seconds")
        axis.set_xlim(0, end)
        axis.grid(alpha=0.3)
        for number, event in enumerate(events):
            axis.axvline(event.t, color="grey", linestyle="--", linewidth=1)
            # Alternate the label heights, so labels of events close in time do not overlap.
            axis.annotate(event.label, (event.t, 1), xycoords=("data", "axes fraction"),
                          xytext=(3, -12 - 11 * (number % 2)), textcoords="offset points", fontsize=8,
                          color="dimgrey")
        axis.legend(loc="center right", fontsize=8, framealpha=0.9)
    axes[0][0].set_ylabel("latency (ms)")
    if timeout:
        axes[0][0].set_ylim(0, timeout * 1000 * 1.15)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    plt.close(figure)  # returned, not shown twice: Jupyter renders the returned figure
    return figure
