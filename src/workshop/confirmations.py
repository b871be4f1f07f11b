"""Module 08's asynchronicity tools: a spike of orders, what the notifier confirmed (read back from its CloudWatch
logs), the comparison of orders' two ways to confirm, and putting the notifier back as module 06 left it.

    queued = spike(base, book, rate=20, seconds=3)            # POST /orders only, recording X-Confirmation
    confirmed = wait_for_confirmations(logs, notifier, queued, via="sqs")
    confirmation_rows({"queued": (queued, confirmed), …})      # latency, confirmed, lost, how late
    plot_confirmations({"queued": (queued, confirmed), …})

Plain HTTP and boto3, so it behaves the same against the local cloud and a real account.
"""
import json
import time
from dataclasses import dataclass

from workshop.api import add_route, allow_api_to_invoke, forbid_api_to_invoke, remove_route
from workshop.dashboard.load import _new_figure
from workshop.functions import TOPIC_VARIABLE
from workshop.resilience import OrderLoad, OrderSample
from workshop.traffic import percentile

CONFIRMATION_ROUTE = "POST /confirmations"
CAPACITY_VARIABLE = "SEND_SECONDS"
URL_VARIABLE = "CONFIRMATION_URL"
NO_ANSWER = "-"  # a placed order without an X-Confirmation header
# Orders' X-Confirmation answers that promise a confirmation: the notifier answered, or the topic took the event.
CONFIRMED_AT_ONCE, HANDED_TO_QUEUE = "sent", "queued"
OUTCOME_ORDER = ["sent", "queued", "failed", "not-queued", "off"]


@dataclass(frozen=True)
class Spike:
    """Orders placed in a burst: when it began (epoch seconds) and one sample per POST /orders."""
    began: float
    seconds: float
    samples: list[OrderSample]

    @property
    def placed(self) -> list[OrderSample]:
        return [s for s in self.samples if s.status == 201]

    def answered(self, confirmation: str) -> list[OrderSample]:
        """The orders placed whose X-Confirmation answer was `confirmation` (NO_ANSWER: none)."""
        return [s for s in self.placed if (s.confirmation or NO_ANSWER) == confirmation]

    def answers(self) -> list[str]:
        """The X-Confirmation answers seen, promises of a confirmation first."""
        return sorted({s.confirmation or NO_ANSWER for s in self.placed}, key=outcome_rank)

    def ids(self, confirmation: str | None = None) -> set[int]:
        """The ids of the orders placed (with this X-Confirmation answer, if one is given)."""
        return {s.order_id for s in (self.placed if confirmation is None else self.answered(confirmation))}


@dataclass(frozen=True)
class Confirmation:
    order_id: int
    at: float  # seconds after the spike began, from the log event's timestamp


def spike(base_url: str, book_id: int, rate: float, seconds: float, timeout: float = 10.0) -> Spike:
    """Place `rate` orders a second for `seconds`, then wait for the last answers."""
    began = time.time()
    with OrderLoad(base_url, book_id, rate=rate, timeout=timeout, list_orders=False) as load:
        time.sleep(seconds)
    return Spike(began=began, seconds=seconds, samples=load.samples)


def confirmations(logs, function_name: str, since: float, via: str) -> list[Confirmation]:
    """The notifier's "order confirmed" lines since `since` (epoch seconds) that came `via` "sqs" or "http",
    with their time in seconds after `since`."""
    found = []
    options = {"logGroupName": f"/aws/lambda/{function_name}", "filterPattern": '"order confirmed"',
               "startTime": int(since * 1000)}
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**options):
            for event in page["events"]:
                line = parse_line(event["message"])
                if line.get("message") == "order confirmed" and line.get("via") == via:
                    found.append(Confirmation(order_id=line["order_id"], at=event["timestamp"] / 1000 - since))
    except logs.exceptions.ResourceNotFoundException:
        return []  # no log group: the function has not logged anything yet
    return sorted(found, key=lambda confirmation: confirmation.at)


def parse_line(message: str) -> dict:
    try:
        line = json.loads(message)
    except ValueError:
        return {}
    return line if isinstance(line, dict) else {}


def wait_for_confirmations(logs, function_name: str, burst: Spike, via: str, deadline_seconds: float = 60.0,
                           pause: float = 1.0) -> list[Confirmation]:
    """The confirmations of the spike's orders: poll the notifier's logs until every order that orders says it
    confirmed or queued is there, or the deadline passes (then what was found: a shortfall is an answer, not an
    error). Lines about other orders (an earlier run's, still queued) are left out."""
    placed = burst.ids()
    expected = burst.ids(CONFIRMED_AT_ONCE if via == "http" else HANDED_TO_QUEUE)
    started = time.monotonic()
    while True:
        found = [c for c in confirmations(logs, function_name, burst.began, via) if c.order_id in placed]
        if expected <= {c.order_id for c in found} or time.monotonic() - started > deadline_seconds:
            return found
        time.sleep(pause)


def confirmation_rows(runs: dict[str, tuple[Spike, list[Confirmation]]]) -> list[dict]:
    """Per way of confirming and X-Confirmation answer: orders, how long placing them took, how many confirmations
    arrived, and how long after the order's answer the latest one came."""
    rows = []
    for name, (burst, confirmed) in runs.items():
        arrived = {c.order_id: c.at for c in confirmed}
        for outcome in burst.answers():
            mine = burst.answered(outcome)
            latencies = [s.latency * 1000 for s in mine]
            # 0: confirmed before orders answered (the synchronous way)
            delays = [max(0.0, arrived[s.order_id] - (s.t + s.latency)) for s in mine if s.order_id in arrived]
            rows.append({"confirmation": name, "X-Confirmation": outcome, "orders": len(mine),
                         "p50 ms": round(percentile(latencies, 0.5)), "p95 ms": round(percentile(latencies, 0.95)),
                         "confirmed": len(delays), "never confirmed": len(mine) - len(delays),
                         "latest confirmation after the answer, s": round(max(delays), 1) if delays else None})
    return rows


def outcome_rank(outcome: str) -> int:
    return OUTCOME_ORDER.index(outcome) if outcome in OUTCOME_ORDER else len(OUTCOME_ORDER)


def plot_confirmations(runs: dict[str, tuple[Spike, list[Confirmation]]], title: str | None = None):
    """Per way of confirming: each order's latency (top) and orders placed vs confirmed so far (bottom)."""
    figure = _new_figure((5.5 * len(runs), 6.2))
    axes = figure.subplots(2, len(runs), squeeze=False, sharey="row", sharex=True)
    for column, (name, (burst, confirmed)) in enumerate(runs.items()):
        latency, progress = axes[0][column], axes[1][column]
        for outcome in burst.answers():
            mine = burst.answered(outcome)
            latency.plot([s.t for s in mine], [s.latency * 1000 for s in mine], ".", label=f"confirmation {outcome}")
        latency.set(title=name, ylabel="placing an order (ms)")
        latency.set_ylim(bottom=0)
        latency.legend(fontsize=8, loc="upper right")
        answered = sorted(s.t + s.latency for s in burst.placed)
        progress.step(answered, range(1, len(answered) + 1), where="post", label="orders placed")
        progress.step([c.at for c in confirmed], range(1, len(confirmed) + 1), where="post",
                      label="confirmations sent")
        for axis in (latency, progress):
            axis.axvspan(0, burst.seconds, color="0.9", zorder=0)
        progress.set(xlabel="seconds after the spike began (grey: the spike)", ylabel="so far")
        progress.legend(fontsize=8, loc="lower right")
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    return figure


# --- the notifier's capacity, and putting the synchronous side away ------------------------------------------------

def limit_notifier(session, notifier_name: str, send_seconds: float, concurrency: int) -> float:
    """What module 08 does before its spikes: each confirmation takes `send_seconds`, at most `concurrency` at
    once. Returns the confirmations a second it can send."""
    lambda_client = session.client("lambda")
    configuration = lambda_client.get_function_configuration(FunctionName=notifier_name)
    variables = configuration.get("Environment", {}).get("Variables", {})
    lambda_client.update_function_configuration(
        FunctionName=notifier_name, Environment={"Variables": {**variables, CAPACITY_VARIABLE: str(send_seconds)}})
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=notifier_name, WaiterConfig={"Delay": 1})
    lambda_client.put_function_concurrency(FunctionName=notifier_name, ReservedConcurrentExecutions=concurrency)
    return concurrency / send_seconds


# Lambda keeps at least this many of the account's concurrent executions unreserved
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html): on an account whose concurrency
# is 10, as new accounts often have, no function can reserve any.
UNRESERVED_MINIMUM = 10
STAGE = "$default"
# A route's throttle lifted back to the account's default, as module 07 lifts its stage's.
UNTHROTTLED = {"ThrottlingBurstLimit": 5000, "ThrottlingRateLimit": 10000.0}


def can_reserve(lambda_client, concurrency: int) -> bool:
    """Whether the account can reserve `concurrency` for one function and keep the minimum unreserved."""
    unreserved = lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    return unreserved - concurrency >= UNRESERVED_MINIMUM


def limit_queue_consumers(lambda_client, mapping_uuid: str, concurrency: int) -> int:
    """Without reserved concurrency, the queue's side: the event source mapping invokes at most `concurrency`
    (2 at least, AWS's minimum) at once. Returns the maximum set."""
    # MaximumConcurrency takes 2 to 1000 (https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html).
    maximum = max(2, concurrency)
    lambda_client.update_event_source_mapping(UUID=mapping_uuid, ScalingConfig={"MaximumConcurrency": maximum})
    return maximum


def throttle_confirmation_route(apigatewayv2, api_id: str, concurrency: int, send_seconds: float) -> None:
    """Without reserved concurrency, the synchronous side: the API lets `concurrency` confirmations in at once and
    `concurrency / send_seconds` a second, and answers the others 429, as a throttled function would."""
    apigatewayv2.update_stage(ApiId=api_id, StageName=STAGE, RouteSettings={CONFIRMATION_ROUTE: {
        "ThrottlingBurstLimit": concurrency, "ThrottlingRateLimit": concurrency / send_seconds}})


def route_to_notifier(session, api_id: str, notifier_name: str, notifier_arn: str) -> str:
    """What module 08 builds for the synchronous way: `POST /confirmations` on the API invokes the notifier."""
    allow_api_to_invoke(session, api_id, notifier_name)
    return add_route(session.client("apigatewayv2"), api_id, CONFIRMATION_ROUTE, IntegrationType="AWS_PROXY",
                     IntegrationUri=notifier_arn, PayloadFormatVersion="2.0")


def synchronous_environment(environment: dict[str, str], api_endpoint: str) -> dict[str, str]:
    """Orders' environment calling the notifier through the API instead of publishing to the topic."""
    calling = {name: value for name, value in environment.items() if name != TOPIC_VARIABLE}
    return {**calling, URL_VARIABLE: f"{api_endpoint}/confirmations"}


def restore_notifier(session, api_id: str, notifier_name: str) -> list[str]:
    """The notifier as module 06 left it: no confirmation route (nor its throttle), no simulated sending time, no
    reserved concurrency, no maximum concurrency on its mapping. Returns what was changed (nothing, when it
    already was)."""
    lambda_client, apigatewayv2, changed = session.client("lambda"), session.client("apigatewayv2"), []
    stage = next((s for s in apigatewayv2.get_stages(ApiId=api_id)["Items"] if s["StageName"] == STAGE), {})
    throttle = (stage.get("RouteSettings") or {}).get(CONFIRMATION_ROUTE, {}).get("ThrottlingRateLimit")
    routes = {route["RouteKey"] for route in apigatewayv2.get_routes(ApiId=api_id)["Items"]}
    if throttle is not None and throttle < UNTHROTTLED["ThrottlingRateLimit"] and CONFIRMATION_ROUTE in routes:
        apigatewayv2.update_stage(ApiId=api_id, StageName=STAGE, RouteSettings={CONFIRMATION_ROUTE: UNTHROTTLED})
        changed.append(f"throttle of {CONFIRMATION_ROUTE}")
    for mapping in lambda_client.list_event_source_mappings(FunctionName=notifier_name)["EventSourceMappings"]:
        if mapping.get("ScalingConfig", {}).get("MaximumConcurrency"):
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], ScalingConfig={})
            changed.append("the queue's maximum concurrency")
    if remove_route(session, api_id, CONFIRMATION_ROUTE):
        changed.append(f"route {CONFIRMATION_ROUTE}")
    if forbid_api_to_invoke(session, api_id, notifier_name):
        changed.append("permission for the API")
    if lambda_client.get_function_concurrency(FunctionName=notifier_name).get("ReservedConcurrentExecutions"):
        lambda_client.delete_function_concurrency(FunctionName=notifier_name)
        changed.append("reserved concurrency")
    configuration = lambda_client.get_function_configuration(FunctionName=notifier_name)
    variables = configuration.get("Environment", {}).get("Variables", {})
    if CAPACITY_VARIABLE in variables:
        del variables[CAPACITY_VARIABLE]
        lambda_client.update_function_configuration(FunctionName=notifier_name, Environment={"Variables": variables})
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=notifier_name,
                                                              WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        changed.append(CAPACITY_VARIABLE)
    return changed
