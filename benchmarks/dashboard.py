"""Dashboard figures on the local cloud, with one service of two tasks behind a load balancer:

- how long one refresh of the dashboard's state takes (services, tasks, rules, target health: every boto3 call);
- a stopped task: seconds until the service is steady again (replacement running, every target healthy);
- a rolling deployment under load (20 requests/s): seconds until steady on the new version, and failed requests.

`run(repeats)` returns medians with their samples; asserts nothing (targets are in the issue, not in tests).
"""
import time

from benchmarks.stats import median_of
from tests.dashboard_fixtures import BALANCER, CLUSTER, SERVICE, register, shop_cloud
from workshop.dashboard.actions import scale, stop_task, wait_until_steady
from workshop.dashboard.load import LoadGenerator, failed_requests
from workshop.dashboard.state import TaskDefinitions, read_snapshot

LOAD_RATE = 20


def run(repeats: int = 3) -> dict:
    with shop_cloud("bench-dash") as shop:
        ecs, elbv2 = shop.ecs, shop.elbv2
        scale(ecs, CLUSTER, SERVICE, 2)
        wait_until_steady(ecs, elbv2, CLUSTER, SERVICE, timeout=60)

        definitions = TaskDefinitions(ecs)  # as the dashboard keeps it between refreshes
        read_snapshot(ecs, elbv2, CLUSTER, BALANCER, definitions=definitions)  # warm-up
        reads = []
        for _ in range(max(repeats, 10)):
            started = time.perf_counter()
            read_snapshot(ecs, elbv2, CLUSTER, BALANCER, definitions=definitions)
            reads.append((time.perf_counter() - started) * 1000)

        replaced = []
        for _ in range(repeats):
            victim = next(t for t in read_snapshot(ecs, elbv2, CLUSTER).tasks if t.last_status == "RUNNING")
            stop_task(ecs, CLUSTER, victim.arn)
            replaced.append(wait_until_steady(ecs, elbv2, CLUSTER, SERVICE, without_task=victim.arn,
                                              timeout=60, interval=0.1))

        rolled, failed = [], []
        for number in range(repeats):
            revision = register(ecs, f"2.{number}")
            with LoadGenerator({"users": shop.url}, rate=LOAD_RATE) as load:
                time.sleep(0.5)
                ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=revision)
                rolled.append(wait_until_steady(ecs, elbv2, CLUSTER, SERVICE, timeout=90, interval=0.1))
                time.sleep(0.5)
            failed.append(failed_requests(load.samples))
    return {
        "dashboard_refresh_read_ms": median_of(reads, unit="ms"),
        "dashboard_stopped_task_to_steady_s": median_of(replaced, target="≤ 10 s"),
        "dashboard_rollout_to_steady_s": median_of(rolled),
        "dashboard_rollout_failed_requests": median_of(failed, unit="req", target="0"),
    }


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))
