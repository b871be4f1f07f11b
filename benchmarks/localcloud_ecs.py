"""ECS figures: run_task until the task's container answers HTTP on its published port (image present locally).

Measured for a 1 vCPU task (cpu "1024": the data plane's and engine's share) and for the smallest Fargate size
(cpu "256"), whose 0.25 vCPU quota slows the app's own start-up (Python imports) as it would on Fargate.

`run(repeats)` returns medians with their samples; asserts nothing (targets are in the issue, not in tests).
"""
import time

from benchmarks.stats import median_of

from tests.localcloud.ecs_fixtures import (awsvpc, client, default_subnet, describe_task, ecs_cloud,
                                           get_when_serving, register_fargate, web_container)

TARGET_S = 2.0


def time_run_task_to_http(ecs, cluster: str, task_definition: str, subnet: str) -> tuple[float, float]:
    """(seconds to the first HTTP answer, seconds until describe_tasks said RUNNING)."""
    started = time.perf_counter()
    task_arn = ecs.run_task(cluster=cluster, taskDefinition=task_definition, launchType="FARGATE",
                            networkConfiguration=awsvpc(subnet))["tasks"][0]["taskArn"]
    running_at = None
    while True:
        task = describe_task(ecs, cluster, task_arn)
        if task["lastStatus"] == "RUNNING":
            running_at = time.perf_counter() - started
            break
        if task["lastStatus"] == "STOPPED":
            raise RuntimeError(f"benchmark task stopped: {task.get('stoppedReason')}")
        time.sleep(0.01)
    get_when_serving(task["containers"][0]["networkBindings"][0]["hostPort"])
    answered = time.perf_counter() - started
    ecs.stop_task(cluster=cluster, task=task_arn)
    return answered, running_at


def run(repeats: int = 5) -> dict:
    with ecs_cloud("bench-ecs") as cloud:
        ecs = client(cloud, "ecs")
        ecs.create_cluster(clusterName="bench")
        subnet = default_subnet(cloud)
        figures = {}
        for cpu, suffix in (("1024", ""), ("256", "_quarter_vcpu")):
            task_definition = register_fargate(ecs, f"bench-web-{cpu}", [web_container()], cpu=cpu, memory="2048")
            time_run_task_to_http(ecs, "bench", task_definition, subnet)  # warm-up
            answered, running = [], []
            for _ in range(repeats):
                to_http, to_running = time_run_task_to_http(ecs, "bench", task_definition, subnet)
                answered.append(to_http)
                running.append(to_running)
            figures[f"ecs_run_task_to_http{suffix}"] = median_of(answered, target=f"≤ {TARGET_S:g} s")
            figures[f"ecs_run_task_to_running{suffix}"] = median_of(running)
    return figures


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))
