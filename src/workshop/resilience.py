"""Module 08's tools that are not its lesson: order traffic, before/after figures, a rollout, and log searches.

    book = ensure_load_book(base)                       # a book with enough stock for a few thousand orders
    with OrderLoad(base, book, rate=10) as load:        # POST /orders (and GET /orders) in the background
        ...
    phase_table({"before": before, "after": after})    # per phase: requests, failures, latency, answers seen
    plot_phases({"before": before, "after": after})    # latency and success over time, one column per phase

Everything is plain HTTP and boto3, so it behaves the same against the local cloud and a real account.
"""
import time
import uuid
from collections import Counter
from dataclasses import dataclass, replace

import httpx

from workshop.checks import ExerciseIncomplete
from workshop.dashboard import LoadGenerator
from workshop.dashboard.load import Window, _new_figure, draw_latency, draw_success
from workshop.tables import Table
from workshop.traffic import Poller, Sample, percentile

LOAD_BOOK_TITLE = "The Load Test (workshop edition)"
LOAD_BOOK_STOCK = 1_000_000  # the seed books have 65 copies in all: a few seconds of load would sell out


def ensure_load_book(base_url: str, timeout: float = 10.0) -> int:
    """The id of a catalog book that load tests may order from, created once per catalog database."""
    books = httpx.get(f"{base_url}/catalog/books", timeout=timeout).raise_for_status().json()
    found = next((book["id"] for book in books if book["title"] == LOAD_BOOK_TITLE), None)
    if found is not None:
        return found
    created = httpx.post(f"{base_url}/catalog/books", timeout=timeout, json={
        "title": LOAD_BOOK_TITLE, "author": "The workshop", "price": 1.0, "stock": LOAD_BOOK_STOCK})
    return created.raise_for_status().json()["id"]


@dataclass(frozen=True)
class OrderSample(Sample):
    confirmation: str | None = None  # orders' X-Confirmation answer: sent, failed, queued, not-queued or off
    order_id: int | None = None      # the order placed, when one was


class OrderPoller(Poller):
    """A Poller that POSTs a JSON body to the URLs given one, and GETs the others."""

    def __init__(self, urls: list[str], bodies: dict[str, dict], **options):
        super().__init__(urls, **options)
        self.bodies = bodies

    def _request(self, url: str) -> None:
        started = time.monotonic()
        status = error = served_by = confirmation = order_id = None
        try:
            if url in self.bodies:
                response = self._client.post(url.split("#", 1)[0], json=self.bodies[url])
            else:
                response = self._client.get(url.split("#", 1)[0])
            status, served_by = response.status_code, response.headers.get("x-served-by")
            confirmation = response.headers.get("x-confirmation")
            if status == 201 and response.headers.get("content-type", "").startswith("application/json"):
                order_id = response.json().get("id")
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        latency = time.monotonic() - started
        with self._lock:
            self.samples.append(OrderSample(started - self._started, url, status, error, latency, served_by,
                                            confirmation, order_id))


PLACE = "place order"
LIST = "list orders"


class OrderLoad(LoadGenerator):
    """Places orders (POST /orders, which calls catalog) and lists them (GET /orders, which does not), each
    `rate` times a second. Samples, windows, marks and plots are LoadGenerator's."""

    def __init__(self, base_url: str, book_id: int, rate: float = 10.0, timeout: float = 10.0,
                 list_orders: bool = True):
        # One URL per kind of request: a fragment (never sent) tells the two apart in the samples.
        self.place_url = f"{base_url}/orders#place"
        urls = {PLACE: self.place_url}
        if list_orders:
            urls[LIST] = f"{base_url}/orders#list"
        super().__init__(urls, rate=rate, timeout=timeout)
        self.body = {"user_id": 1, "book_id": book_id, "quantity": 1}

    def start(self) -> "OrderLoad":
        if self.running:
            return self
        self.windows = []
        self._poller = OrderPoller(list(self.labels), {self.place_url: self.body}, rate=self.rate,
                                   timeout=self.timeout).start()
        self._running = True
        return self


def _phase_samples(phases: dict[str, LoadGenerator]) -> dict[str, list[Sample]]:
    return {name: load.samples for name, load in phases.items()}


def phase_rows(phases: dict[str, list[Sample]], labels: dict[str, str]) -> list[dict]:
    """Per phase and kind of request: how many, how many failed, latency percentiles, and the answers seen."""
    rows = []
    for phase, samples in phases.items():
        for url, label in labels.items():
            mine = [s for s in samples if s.url == url]
            if not mine:
                continue
            latencies = [s.latency * 1000 for s in mine]
            answers = Counter(str(s.status) if s.status else (s.error or "no answer") for s in mine)
            rows.append({"phase": phase, "request": label, "requests": len(mine),
                         "failed": sum(not s.ok for s in mine),
                         "p50 ms": round(percentile(latencies, 0.5)), "p95 ms": round(percentile(latencies, 0.95)),
                         "max ms": round(max(latencies)),
                         "answers": ", ".join(f"{code}×{count}" for code, count in sorted(answers.items()))})
    return rows


def phase_table(phases: dict[str, LoadGenerator], title: str | None = None) -> Table:
    labels = next(iter(phases.values())).labels
    return Table(phase_rows(_phase_samples(phases), labels), title=title)


def plot_phases(phases: dict[str, LoadGenerator], title: str | None = None, width: float = 1.0):
    """Latency (top) and success (bottom) over time, one column per phase, on the same scales."""
    figure = _new_figure((5.5 * len(phases), 6.2))
    axes = figure.subplots(2, len(phases), squeeze=False, sharey="row")
    for column, (phase, load) in enumerate(phases.items()):
        samples, events, windows = load.samples, load.events, load.windows
        draw_latency(axes[0][column], samples, load.labels, width, events, windows)
        draw_success(axes[1][column], samples, load.labels, width, events, windows)
        axes[0][column].set_title(phase, fontsize=10)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    return figure


def window_samples(load: LoadGenerator, window: Window) -> list[Sample]:
    return [s for s in load.samples if window.start <= s.t <= window.end]


def relabelled(samples: list[Sample], url: str) -> list[Sample]:
    """The same samples under another URL (to put two runs of one URL side by side)."""
    return [replace(s, url=url) for s in samples]


# --- orders' deployment ------------------------------------------------------------------------------------------

def running_task_definition(ecs, cluster: str, service: str) -> dict:
    """The task definition of the service's PRIMARY deployment (what new tasks run), read back from ECS."""
    described = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    primary = next(d for d in described["deployments"] if d["status"] == "PRIMARY")
    return ecs.describe_task_definition(taskDefinition=primary["taskDefinition"])["taskDefinition"]


def environment_of(task_definition: dict) -> dict[str, str]:
    container = task_definition["containerDefinitions"][0]
    return {pair["name"]: pair["value"] for pair in container.get("environment", [])}


def breaker_state(base_url: str, timeout: float = 5.0) -> dict:
    return httpx.get(f"{base_url}/orders/admin/catalog-breaker", timeout=timeout).raise_for_status().json()


def set_fault(base_url: str, service: str, mode: str, seconds: float = 5.0, timeout: float = 5.0) -> dict:
    """Switch the fault of the service's task behind the load balancer (each service runs one task here)."""
    return httpx.put(f"{base_url}/{service}/admin/faults", json={"mode": mode, "seconds": seconds},
                     timeout=timeout).raise_for_status().json()


def place_order(base_url: str, book_id: int, correlation_id: str | None = None, timeout: float = 15.0):
    """One order, with a correlation id of our choosing (X-Correlation-Id) so its trail can be found later."""
    headers = {"X-Correlation-Id": correlation_id or f"workshop-{uuid.uuid4().hex[:12]}"}
    return httpx.post(f"{base_url}/orders", json={"user_id": 1, "book_id": book_id, "quantity": 1},
                      headers=headers, timeout=timeout)


def wait_until_orders_succeed(base_url: str, book_id: int, deadline_seconds: float = 30.0) -> float:
    """Place orders until one succeeds (a breaker lets its trial call through after its reset time); seconds."""
    started = time.monotonic()
    while True:
        try:
            if place_order(base_url, book_id, timeout=5.0).status_code == 201:
                return round(time.monotonic() - started, 1)
        except httpx.HTTPError:
            pass
        if time.monotonic() - started > deadline_seconds:
            raise TimeoutError(f"orders did not succeed within {deadline_seconds:g} s: is catalog's fault off?")
        time.sleep(0.5)


# --- CloudWatch Logs ---------------------------------------------------------------------------------------------

def find_in_logs(logs, group: str, text: str, deadline_seconds: float = 20.0, since_ms: int | None = None,
                 pause: float = 1.0) -> list[dict]:
    """Poll `filter_log_events` for `text` (quoted: an exact phrase) until events come or the deadline passes;
    the events found, possibly none. Log delivery takes a moment on AWS too."""
    started = time.monotonic()
    options = {"logGroupName": group, "filterPattern": f'"{text}"'}
    if since_ms is not None:
        options["startTime"] = since_ms
    while True:
        events = []
        for page in logs.get_paginator("filter_log_events").paginate(**options):
            events += page["events"]
        if events or time.monotonic() - started > deadline_seconds:
            return events
        time.sleep(pause)


# --- CloudWatch metrics -------------------------------------------------------------------------------------------

def metric_datapoints(cloudwatch, expected_samples: int, deadline_seconds: float = 120.0, pause: float = 5.0,
                      sleep=time.sleep, clock=time.monotonic, **query) -> list[dict]:
    """`get_metric_statistics(**query)`'s datapoints, by time, polled until they count `expected_samples` values
    or the deadline passes (values put a moment ago take up to a minute or two to show on AWS)."""
    started = clock()
    while True:
        points = sorted(cloudwatch.get_metric_statistics(**query)["Datapoints"], key=lambda point: point["Timestamp"])
        counted = sum(point.get("SampleCount", 0) for point in points)
        waited = clock() - started
        if counted >= expected_samples or waited + pause > deadline_seconds:
            return points
        print(f"… {counted} of {expected_samples} values visible in CloudWatch so far ({waited:.0f} s)")
        sleep(pause)


# Orders' settings that module 08 changes; without them orders runs as the starting point left it.
MODULE_VARIABLES = ("CATALOG_TIMEOUT_SECONDS", "CATALOG_RETRIES", "CATALOG_CIRCUIT_BREAKER",
                    "CATALOG_BREAKER_FAILURES", "CATALOG_BREAKER_RESET_SECONDS", "CONFIRMATION_URL",
                    "CONFIRMATION_TIMEOUT_SECONDS")
WAIT = {"Delay": 1, "MaxAttempts": 600}  # Fargate deployments take minutes on AWS
GRACE_SECONDS = 15  # a new task's first health checks do not count against it: it is still starting


def with_environment(task_definition: dict, environment: dict) -> dict:
    """Its container definition with `environment` instead of the one it had (each value written as a string)."""
    unanswered = [name for name, value in environment.items() if value is Ellipsis]
    if unanswered:
        # A revision with "Ellipsis" in it would start tasks that fail, and a rollout that waits minutes for them.
        raise ExerciseIncomplete(f"{', '.join(unanswered)} {'is' if len(unanswered) == 1 else 'are'} still `...`: finish the exercise that chooses it, or "
                                 f"run the reference answer under its check, then run this cell again")
    container = dict(task_definition["containerDefinitions"][0])
    container["environment"] = [{"name": name, "value": str(value)} for name, value in environment.items()]
    return container


def starting_revision(ecs, cluster: str, service: str = "orders") -> str:
    """The ARN of the service's revision without module 08's settings: the running one if it is clean, else the
    latest registered revision whose environment is the running one's minus those settings."""
    running = running_task_definition(ecs, cluster, service)
    environment = environment_of(running)
    clean = {name: value for name, value in environment.items() if name not in MODULE_VARIABLES}
    if clean == environment:
        return running["taskDefinitionArn"]
    family = running["family"]
    for arn in ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC")["taskDefinitionArns"]:
        candidate = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        if candidate["family"] == family and environment_of(candidate) == clean:
            return arn
    raise LookupError(f"no revision of {family} runs without module 08's settings; run catch_up again")


def roll(ecs, elbv2, cluster: str, service: str, task_definition_arn: str, target_group: str) -> float:
    """Update the service to a revision and wait until it is stable and its targets are healthy; seconds."""
    started = time.monotonic()
    ecs.update_service(cluster=cluster, service=service, taskDefinition=task_definition_arn,
                       healthCheckGracePeriodSeconds=GRACE_SECONDS)
    ecs.get_waiter("services_stable").wait(cluster=cluster, services=[service], WaiterConfig=WAIT)
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=target_group, WaiterConfig=WAIT)
    return round(time.monotonic() - started, 1)


def restore(ecs, elbv2, cluster: str, base_url: str, target_group: str, revision: str) -> str:
    """Faults off, and orders back on `revision` (rolled only if it runs another one): the starting point."""
    for service in ("catalog", "orders"):
        set_fault(base_url, service, "off")
    if running_task_definition(ecs, cluster, "orders")["taskDefinitionArn"] != revision:
        roll(ecs, elbv2, cluster, "orders", revision, target_group)
    return revision.rsplit("/", 1)[-1]


# --- what a run really had ----------------------------------------------------------------------------------------

DEFAULT_TIMEOUT_SECONDS, DEFAULT_RETRIES = "2", "2"  # orders' own defaults when its environment does not say


def settings_label(environment: dict[str, str]) -> str:
    """Orders' catalog settings in a few words: 'timeout 0.4 s, 1 retry, circuit breaker'."""
    timeout = environment.get("CATALOG_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    retries = environment.get("CATALOG_RETRIES", DEFAULT_RETRIES)
    breaker = str(environment.get("CATALOG_CIRCUIT_BREAKER", "off")).lower() in ("on", "true", "1")
    return (f"timeout {timeout} s, {retries} {'retry' if retries == '1' else 'retries'}, "
            f"{'circuit breaker' if breaker else 'no breaker'}")


def revision_label(ecs, task_definition_arn: str) -> str:
    """'bookshop-orders:7: timeout …', read back from ECS, so a plot names what the run really ran."""
    definition = ecs.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    return f"{definition['family']}:{definition['revision']}: {settings_label(environment_of(definition))}"
