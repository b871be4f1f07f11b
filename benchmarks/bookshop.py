"""The bookshop on ECS (module 05's end state, built by catch_up), measured as a learner experiences it:

- edit catalog's code → rebuilt → pushed → service rolled → the new version answering through the load balancer;
- failed requests to catalog during that rolling deployment (20 requests/s);
- orders broken (its fault switch on errors): success rate of users and catalog meanwhile;
- a spike of orders against a notifier that can send fewer confirmations a second (module 08): order latency and
  confirmations with the queue, and the confirmations lost when orders calls the notifier synchronously.

`run(repeats)` returns medians with their samples; asserts nothing.
"""
import os
import shutil
import time
import uuid

import httpx

import localcloud
from benchmarks.stats import median_of
from localcloud.config import Config
from workshop.catch_up import catch_up
from workshop.confirmations import (confirmation_rows, limit_notifier, restore_notifier, route_to_notifier, spike,
                                    synchronous_environment, wait_for_confirmations)
from workshop.dashboard.load import LoadGenerator
from workshop.deploy import build_and_push, service_dir
from workshop.paths import BUILD
from workshop.resilience import ensure_load_book, environment_of, roll, running_task_definition, with_environment
from workshop.session import Session
from workshop.stack import container_definition, register_task_definition

LOAD_RATE = 20
# Module 08's spike: 12 orders/s for 3 s against a notifier that sends 5 confirmations/s (0.4 s each, 2 at once).
SPIKE_RATE, SPIKE_SECONDS, SEND_SECONDS, NOTIFIER_CONCURRENCY = 12, 3, 0.4, 2
SCRATCH = BUILD / "bench" / "catalog-edit"


def edit_catalog() -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)
    shutil.copytree(service_dir("catalog"), SCRATCH)
    with open(SCRATCH / "catalog_service" / "catalog.py", "a") as code:
        code.write(f"\n# edited {uuid.uuid4()}\n")


def roll_catalog(session, stack, version: str) -> float:
    """Seconds from the code edit until `version` answers /catalog/books through the load balancer."""
    started = time.monotonic()
    edit_catalog()
    tag = f"{version}-{uuid.uuid4().hex[:6]}"
    build_and_push(session, "catalog", tag, path=SCRATCH, quiet=True)
    ecs = session.client("ecs")
    uri = session.client("ecr").describe_repositories(repositoryNames=[f"{session.prefix}/catalog"])[
        "repositories"][0]["repositoryUri"]
    definition = register_task_definition(ecs, session, (stack.execution_role, stack.task_role),
                                          container_definition(session, "catalog", f"{uri}:{tag}", stack.log_group,
                                                               version=version))
    ecs.update_service(cluster=stack.cluster, service="catalog", taskDefinition=definition)
    while time.monotonic() - started < 120:
        served = httpx.get(stack.base_url + "/catalog/books", timeout=2).headers.get("x-served-by", "")
        if served.split("/")[1:2] == [version]:
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"catalog {version} did not answer within 120 s")


def confirmation_spikes(session, start, repeats: int) -> dict[str, list]:
    """Per repeat: a spike with orders publishing (queued), then one with orders calling the notifier (synchronous)."""
    stack, functions, api = start.stack, start.functions, start.api
    ecs, elbv2 = session.client("ecs"), session.client("elbv2")
    book = ensure_load_book(stack.base_url)
    limit_notifier(session, functions.notifier_name, SEND_SECONDS, NOTIFIER_CONCURRENCY)
    route_to_notifier(session, api.api_id, functions.notifier_name, functions.notifier_arn)
    queued_revision = running_task_definition(ecs, stack.cluster, "orders")
    environment = synchronous_environment(environment_of(queued_revision), api.endpoint)
    sync_revision = register_task_definition(ecs, session, (stack.execution_role, stack.task_role),
                                             with_environment(queued_revision, environment))
    logs = session.client("logs")
    figures = {"queued p50": [], "queued lag": [], "queued lost": [], "sync sent p50": [], "sync lost": []}
    for _ in range(repeats):
        for name, revision, via in (("queued", queued_revision["taskDefinitionArn"], "sqs"),
                                    ("sync", sync_revision, "http")):
            roll(ecs, elbv2, stack.cluster, "orders", revision, stack.target_groups["orders"])
            burst = spike(stack.base_url, book, SPIKE_RATE, SPIKE_SECONDS)
            confirmed = wait_for_confirmations(logs, functions.notifier_name, burst, via)
            rows = {row["X-Confirmation"]: row for row in confirmation_rows({name: (burst, confirmed)})}
            lost = sum(row["never confirmed"] for row in rows.values())
            figures[f"{name} lost"].append(100 * lost / max(sum(row["orders"] for row in rows.values()), 1))
            if name == "queued":
                figures["queued p50"].append(rows["queued"]["p50 ms"])
                figures["queued lag"].append(rows["queued"]["latest confirmation after the answer, s"])
            elif "sent" in rows:
                figures["sync sent p50"].append(rows["sent"]["p50 ms"])
    roll(ecs, elbv2, stack.cluster, "orders", queued_revision["taskDefinitionArn"], stack.target_groups["orders"])
    restore_notifier(session, api.api_id, functions.notifier_name)
    return figures


def run(repeats: int = 3) -> dict:
    config = Config(port=0, instance=f"bench-shop-{uuid.uuid4().hex[:6]}")
    with localcloud.running(config) as cloud:
        os.environ.update(cloud.config.client_environment())
        session = Session(mode="local", region=cloud.config.region, account=cloud.config.account_id, prefix="bench")
        start = catch_up("08", session)
        stack = start.stack
        ecs = session.client("ecs")
        rolls, failures = [], []
        for attempt in range(repeats):
            with LoadGenerator({"catalog": stack.base_url + "/catalog/books"}, rate=LOAD_RATE) as load:
                rolls.append(roll_catalog(session, stack, f"2.{attempt}"))
                ecs.get_waiter("services_stable").wait(cluster=stack.cluster, services=["catalog"],
                                                       WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            failures.append(sum(1 for sample in load.samples if not sample.ok))
        urls = {name: stack.base_url + path for name, path in
                (("users", "/users"), ("catalog", "/catalog/books"), ("orders", "/orders"))}
        isolation = {"users": [], "catalog": []}
        for _ in range(repeats):
            with LoadGenerator(urls, rate=LOAD_RATE) as load:
                httpx.put(stack.base_url + "/orders/admin/faults", json={"mode": "errors"})
                time.sleep(5)
                httpx.put(stack.base_url + "/orders/admin/faults", json={"mode": "off"})
            for service in isolation:
                samples = [s for s in load.samples if load.labels[s.url] == service]
                isolation[service].append(100 * sum(s.ok for s in samples) / len(samples))
        spikes = confirmation_spikes(session, start, repeats)
        cloud.reset()
    spike_name = f"bookshop: spike of {SPIKE_RATE} orders/s against 5 confirmations/s"
    return {
        f"{spike_name}, queued: order p50": median_of(spikes["queued p50"], "ms"),
        f"{spike_name}, queued: orders never confirmed": median_of(spikes["queued lost"], "%", "0 %"),
        f"{spike_name}, queued: latest confirmation after the order's answer": median_of(spikes["queued lag"], "s"),
        f"{spike_name}, synchronous: p50 of the orders confirmed": median_of(spikes["sync sent p50"], "ms"),
        f"{spike_name}, synchronous: orders never confirmed": median_of(spikes["sync lost"], "%"),
        "bookshop: catalog code edit → new version answering via the load balancer": median_of(rolls, "s", "≤ 10 s"),
        "bookshop: failed requests during catalog's rolling deployment": median_of(failures, "req", "0"),
        "bookshop: users success rate while orders is broken": median_of(isolation["users"], "%", "100 %"),
        "bookshop: catalog success rate while orders is broken": median_of(isolation["catalog"], "%", "100 %"),
    }
