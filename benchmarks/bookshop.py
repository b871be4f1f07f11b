"""The bookshop on ECS (module 05's end state, built by catch_up), measured as a learner experiences it:

- edit catalog's code → rebuilt → pushed → service rolled → the new version answering through the load balancer;
- failed requests to catalog during that rolling deployment (20 requests/s);
- orders broken (its fault switch on errors): success rate of users and catalog meanwhile.

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
from workshop.dashboard.load import LoadGenerator
from workshop.deploy import build_and_push, service_dir
from workshop.paths import BUILD
from workshop.session import Session
from workshop.stack import container_definition, register_task_definition

LOAD_RATE = 20
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


def run(repeats: int = 3) -> dict:
    config = Config(port=0, instance=f"bench-shop-{uuid.uuid4().hex[:6]}")
    with localcloud.running(config) as cloud:
        os.environ.update(cloud.config.client_environment())
        session = Session(mode="local", region=cloud.config.region, account=cloud.config.account_id, prefix="bench")
        stack = catch_up("06", session).stack
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
        cloud.reset()
    return {
        "bookshop: catalog code edit → new version answering via the load balancer": median_of(rolls, "s", "≤ 10 s"),
        "bookshop: failed requests during catalog's rolling deployment": median_of(failures, "req", "0"),
        "bookshop: users success rate while orders is broken": median_of(isolation["users"], "%", "100 %"),
        "bookshop: catalog success rate while orders is broken": median_of(isolation["catalog"], "%", "100 %"),
    }
