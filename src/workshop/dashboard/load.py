"""A load generator for the ECS module: steady requests to each service, recording who answered.

    with LoadGenerator({"users": f"{base}/users", "orders": f"{base}/orders"}, rate=20) as load:
        ...                                   # roll out, stop a task, or:
        with load.window("orders fault"):     # shaded on the plots
            ...
    load.samples                              # one Sample per request, with its X-Served-By answer
    plot_versions(load.samples)               # the mix of versions answering over time, failures on top
    plot_success(load.samples, load.labels, windows=load.windows)

It is `workshop.traffic.Poller` (open loop, a fresh connection per request), plus per-service labels, fault windows
and time-bucketed figures. Everything below the class is a plain function of samples, tested without a server.
"""
import contextlib
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from workshop.tables import Table
from workshop.traffic import Event, Poller, Sample, percentile, summary_table

FAILED = "failed"
FAILED_COLOUR = "tab:red"
# Version colours in order of first appearance: the old version blue, the new one orange, as in most slides.
VERSION_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")


@dataclass(frozen=True)
class ServedBy:
    """The parts of an `X-Served-By: <service>/<version>/<host>` header."""

    service: str
    version: str
    host: str


@dataclass(frozen=True)
class Window:
    """A stretch of time (seconds since the load started) to shade on the plots, e.g. while a fault was on."""

    start: float
    end: float
    label: str


def served_by(sample: Sample) -> ServedBy | None:
    """Who answered the request, from its X-Served-By header; None when the header is missing or malformed."""
    parts = (sample.served_by or "").split("/", 2)
    return ServedBy(*parts) if len(parts) == 3 and all(parts) else None


def version_of(sample: Sample) -> str:
    """The version that answered a successful request, FAILED for a failed one, "?" without a header."""
    if not sample.ok:
        return FAILED
    answer = served_by(sample)
    return answer.version if answer else "?"


def label_from_url(url: str) -> str:
    """A short name for a URL: its first path segment (`…/catalog/books` → catalog), else its host."""
    parts = urlsplit(url)
    segment = parts.path.strip("/").split("/", 1)[0]
    return segment or parts.netloc or url


class LoadGenerator:
    """Sends GET requests to each URL `rate` times a second (per URL) in the background until stopped.

    `urls` is a list, or a dict of {label: url} naming the service each URL belongs to. Starting again begins a
    new run (new samples). Works with no display at all: the samples and figures are plain values.
    """

    def __init__(self, urls: dict[str, str] | list[str], rate: float = 20.0, timeout: float = 1.0):
        named = urls.items() if isinstance(urls, dict) else ((label_from_url(u), u) for u in urls)
        self.labels: dict[str, str] = {url: label for label, url in named}  # url → label, as traffic.py uses
        if not self.labels:
            raise ValueError("LoadGenerator needs at least one URL to send requests to")
        self.rate, self.timeout = rate, timeout
        self.windows: list[Window] = []
        self._poller: Poller | None = None
        self._running = False

    def start(self) -> "LoadGenerator":
        if self.running:
            return self
        self.windows = []
        self._poller = Poller(list(self.labels), rate=self.rate, timeout=self.timeout).start()
        self._running = True
        return self

    def stop(self) -> list[Sample]:
        """Stop; returns once every request has ended, with all samples in time order."""
        if self._poller is None:
            return []
        if self._running:
            self._running = False
            self._poller.stop()
        return self.samples

    @property
    def running(self) -> bool:
        return self._running

    @property
    def samples(self) -> list[Sample]:
        """The samples so far (all of them once stopped), in time order."""
        return self._poller.recorded() if self._poller else []

    @property
    def events(self) -> list[Event]:
        return list(self._poller.events) if self._poller else []

    def elapsed(self) -> float:
        return self._poller.elapsed() if self._poller else 0.0

    def mark(self, label: str) -> None:
        """Note that something happened now (a dashed line on the plots)."""
        if self._poller:
            self._poller.mark(label)

    @contextlib.contextmanager
    def window(self, label: str):
        """`with load.window("orders fault"): …` records the time inside as a shaded window."""
        start = self.elapsed()
        try:
            yield
        finally:
            self.windows.append(Window(start, self.elapsed(), label))

    def __enter__(self) -> "LoadGenerator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def summary(self, title: str | None = None) -> Table:
        """Per URL: requests, failures, availability, latency percentiles, longest outage."""
        return summary_table(self.samples, self.labels, title=title)

    def plot_versions(self, width: float = 1.0, title: str | None = None):
        return plot_versions(self.samples, width, self.events, self.windows, title=title)

    def plot_success(self, width: float = 1.0, title: str | None = None):
        return plot_success(self.samples, self.labels, width, self.events, self.windows, title=title)

    def plot_latency(self, width: float = 1.0, title: str | None = None):
        return plot_latency(self.samples, self.labels, width, self.events, self.windows, title=title)


# --- over time -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VersionMix:
    start: float                 # seconds since the load started
    counts: dict[str, int]       # version → successful answers in the bucket
    failed: int


@dataclass(frozen=True)
class RatePoint:
    start: float
    requests: int
    succeeded: int

    @property
    def rate(self) -> float | None:
        """% of the bucket's requests that succeeded; None for an empty bucket."""
        return 100.0 * self.succeeded / self.requests if self.requests else None


@dataclass(frozen=True)
class LatencyPoint:
    start: float
    p50_ms: float | None
    p95_ms: float | None


def _buckets(samples: list[Sample], width: float) -> list[list[Sample]]:
    """The samples by `width`-second bucket of their start time, from 0 to the last one (empty buckets kept)."""
    if width <= 0:
        raise ValueError("the bucket width must be a positive number of seconds")
    if not samples:
        return []
    buckets = [[] for _ in range(int(max(s.t for s in samples) // width) + 1)]
    for sample in samples:
        buckets[int(sample.t // width)].append(sample)
    return buckets


def service_of(sample: Sample, labels: dict[str, str] | None = None) -> str:
    return (labels or {}).get(sample.url) or label_from_url(sample.url)


def services_of(samples: list[Sample], labels: dict[str, str] | None = None) -> list[str]:
    """The service labels of the samples: those of `labels` first, in its order, then as first seen."""
    ordered = list(dict.fromkeys((labels or {}).values()))
    return ordered + [s for s in dict.fromkeys(service_of(x, labels) for x in samples) if s not in ordered]


def versions_seen(samples: list[Sample]) -> list[str]:
    """The versions that answered, in order of their first answer."""
    return [v for v in dict.fromkeys(version_of(s) for s in sorted(samples, key=lambda s: s.t)) if v != FAILED]


def version_mix(samples: list[Sample], width: float = 1.0) -> list[VersionMix]:
    """Per bucket of time: how many answers each version gave, and how many requests failed."""
    mixes = []
    for index, bucket in enumerate(_buckets(samples, width)):
        counts: dict[str, int] = {}
        for sample in bucket:
            version = version_of(sample)
            counts[version] = counts.get(version, 0) + 1
        failed = counts.pop(FAILED, 0)
        mixes.append(VersionMix(index * width, counts, failed))
    return mixes


def success_over_time(samples: list[Sample], labels: dict[str, str] | None = None,
                      width: float = 1.0) -> dict[str, list[RatePoint]]:
    """Per service, per bucket of time: requests sent and how many succeeded (2xx)."""
    buckets = _buckets(samples, width)
    rates = {}
    for service in services_of(samples, labels):
        rates[service] = [RatePoint(index * width, len(mine), sum(s.ok for s in mine))
                          for index, bucket in enumerate(buckets)
                          for mine in [[s for s in bucket if service_of(s, labels) == service]]]
    return rates


def latency_over_time(samples: list[Sample], labels: dict[str, str] | None = None,
                      width: float = 1.0) -> dict[str, list[LatencyPoint]]:
    """Per service, per bucket of time: median and 95th percentile latency of all its requests."""
    buckets = _buckets(samples, width)
    latencies = {}
    for service in services_of(samples, labels):
        points = []
        for index, bucket in enumerate(buckets):
            mine = [s.latency * 1000 for s in bucket if service_of(s, labels) == service]
            points.append(LatencyPoint(index * width, percentile(mine, 0.5), percentile(mine, 0.95)))
        latencies[service] = points
    return latencies


def success_rate(samples: list[Sample], service: str | None = None, labels: dict[str, str] | None = None,
                 window: Window | None = None) -> float | None:
    """% of requests (of one service, sent inside `window`, if given) that succeeded; None without requests."""
    chosen = [s for s in samples if (service is None or service_of(s, labels) == service)
              and (window is None or window.start <= s.t <= window.end)]
    return 100.0 * sum(s.ok for s in chosen) / len(chosen) if chosen else None


def failed_requests(samples: list[Sample], window: Window | None = None) -> int:
    """How many requests (sent inside `window`, if given) failed: an error, a timeout or a non-2xx status."""
    return sum(not s.ok for s in samples if window is None or window.start <= s.t <= window.end)


def success_table(samples: list[Sample], labels: dict[str, str] | None = None,
                  windows: list[Window] = (), title: str | None = None) -> Table:
    """Per service: success rate overall and inside each window (e.g. while orders was broken)."""
    rows = []
    for service in services_of(samples, labels):
        mine = [s for s in samples if service_of(s, labels) == service]
        row = {"service": service, "requests": len(mine), "failed": failed_requests(mine),
               "success %": _rounded(success_rate(mine))}
        for window in windows:
            row[f"success % during {window.label}"] = _rounded(success_rate(mine, window=window))
        rows.append(row)
    return Table(rows, title=title)


def _rounded(value: float | None):
    return None if value is None else round(value, 1)


# --- plots (matplotlib figures; Jupyter shows a returned figure, papermill saves it) ------------------------------

def _decorate(axis, events: list[Event], windows: list[Window], width: float, samples: list[Sample]) -> None:
    for window in windows:
        # Behind the data, and not red: red means failed requests.
        axis.axvspan(window.start, window.end, color="gold", alpha=0.25, linewidth=0, zorder=0)
        axis.annotate(window.label, (window.start, 0.02), xycoords=("data", "axes fraction"), xytext=(3, 0),
                      textcoords="offset points", fontsize=8, color="darkgoldenrod")
    for number, event in enumerate(events):
        axis.axvline(event.t, color="grey", linestyle="--", linewidth=1)
        # Alternate the label heights, so labels of events close in time do not overlap.
        axis.annotate(event.label, (event.t, 1), xycoords=("data", "axes fraction"),
                      xytext=(3, -12 - 11 * (number % 2)), textcoords="offset points", fontsize=8, color="dimgrey")
    end = max((s.t for s in samples), default=0.0) + width
    axis.set_xlim(0, max(end, width))
    axis.set_xlabel("seconds")
    axis.grid(alpha=0.3)


def draw_versions(axis, samples: list[Sample], width: float = 1.0, events=(), windows=()) -> None:
    """Stacked bars per bucket: answers per second of each version, failed requests in red on top."""
    mixes = version_mix(samples, width)
    starts = [m.start for m in mixes]
    bottom = [0.0] * len(mixes)
    for number, version in enumerate(versions_seen(samples)):
        heights = [m.counts.get(version, 0) / width for m in mixes]
        axis.bar(starts, heights, width=width, bottom=bottom, align="edge", label=f"version {version}",
                 color=VERSION_COLOURS[number % len(VERSION_COLOURS)], edgecolor="white", linewidth=0.3)
        bottom = [b + h for b, h in zip(bottom, heights)]
    failed = sum(m.failed for m in mixes)
    axis.bar(starts, [m.failed / width for m in mixes], width=width, bottom=bottom, align="edge",
             label=f"{FAILED} ({failed})", color=FAILED_COLOUR, edgecolor="white", linewidth=0.3)
    axis.set_ylabel("answers per second")
    _decorate(axis, events, windows, width, samples)
    axis.legend(loc="lower right", fontsize=8, framealpha=0.9)


def draw_success(axis, samples: list[Sample], labels=None, width: float = 1.0, events=(), windows=()) -> None:
    """One line per service: % of its requests that succeeded, per bucket of time."""
    rates = success_over_time(samples, labels, width)
    for number, (service, points) in enumerate(rates.items()):
        shown = [p for p in points if p.rate is not None]
        overall = success_rate(samples, service, labels)
        # Each line thinner than the one before, so services that overlap at 100 % all stay visible.
        axis.plot([p.start + width / 2 for p in shown], [p.rate for p in shown], marker=".",
                  linewidth=1.4 + 1.2 * (len(rates) - 1 - number),
                  label=f"{service} ({overall:.0f}% overall)" if overall is not None else service)
    axis.set_ylim(-5, 115)  # room above 100 % for the event labels
    axis.set_ylabel("requests succeeded (%)")
    _decorate(axis, events, windows, width, samples)
    axis.legend(loc="lower left", fontsize=8, framealpha=0.9)


def draw_latency(axis, samples: list[Sample], labels=None, width: float = 1.0, events=(), windows=()) -> None:
    """One line per service: median latency per bucket, its 95th percentile as a band; failures as red crosses."""
    for service, points in latency_over_time(samples, labels, width).items():
        shown = [p for p in points if p.p50_ms is not None]
        middles = [p.start + width / 2 for p in shown]
        line, = axis.plot(middles, [p.p50_ms for p in shown], linewidth=1.6, label=f"{service} median")
        axis.fill_between(middles, [p.p50_ms for p in shown], [p.p95_ms for p in shown], color=line.get_color(),
                          alpha=0.15, linewidth=0)
    failed = [s for s in samples if not s.ok]
    if failed:
        axis.plot([s.t for s in failed], [s.latency * 1000 for s in failed], "x", color=FAILED_COLOUR,
                  markersize=5, label=f"{FAILED} ({len(failed)})")
    axis.set_ylim(bottom=0)
    axis.set_ylabel("latency (ms)")
    _decorate(axis, events, windows, width, samples)
    axis.legend(loc="upper left", fontsize=8, framealpha=0.9)


def _new_figure(size: tuple[float, float]):
    """A figure made without pyplot: safe to draw in the dashboard's thread, and shown once, as a cell's value."""
    from matplotlib.figure import Figure

    class Plot(Figure):
        def _repr_png_(self) -> bytes:
            # Jupyter shows it even where pyplot (and with it the inline backend) was never imported.
            image = io.BytesIO()
            self.savefig(image, format="png", dpi=100, bbox_inches="tight")
            return image.getvalue()

    return Plot(figsize=size)


def _figure(draw, title: str | None, *args, size=(9, 3.4), **kwargs):
    figure = _new_figure(size)
    draw(figure.subplots(), *args, **kwargs)
    if title:
        figure.axes[0].set_title(title, fontsize=10)
    figure.tight_layout()
    return figure


def plot_versions(samples: list[Sample], width: float = 1.0, events=(), windows=(), title: str | None = None):
    """The mix of versions answering over time (a rolling deployment), failed requests on top in red."""
    failed = failed_requests(samples)
    title = title or f"which version answered — {failed} of {len(samples)} requests failed"
    return _figure(draw_versions, title, samples, width, events, windows)


def plot_success(samples: list[Sample], labels=None, width: float = 1.0, events=(), windows=(),
                 title: str | None = None):
    """Success rate over time, one line per service, windows (e.g. a fault) shaded."""
    return _figure(draw_success, title or "requests that succeeded, per service", samples, labels, width, events,
                   windows)


def plot_latency(samples: list[Sample], labels=None, width: float = 1.0, events=(), windows=(),
                 title: str | None = None):
    """Latency over time per service: median line, 95th percentile band, failures as red crosses."""
    return _figure(draw_latency, title or "latency, per service", samples, labels, width, events, windows)


def plot_overview(samples: list[Sample], labels=None, width: float = 1.0, events=(), windows=(),
                  title: str | None = None):
    """Success rate and latency side by side: what the dashboard's live plot shows."""
    figure = _new_figure((11, 3.2))
    left, right = figure.subplots(1, 2)
    draw_success(left, samples, labels, width, events, windows)
    draw_latency(right, samples, labels, width, events, windows)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure
