"""What the dashboard's buttons do, as plain boto3 calls a learner can also type: scale a service, stop a task,
and wait until a service is steady again (every task running, every target healthy).

    scale(ecs, "shop", "catalog", 3)
    wait_until_steady(ecs, elbv2, "shop", "catalog")        # seconds it took
"""
import time

from workshop.dashboard.state import Snapshot, TaskDefinitions, read_snapshot, target_group_name


def scale(ecs, cluster: str, service: str, desired: int) -> int:
    """Ask the service for `desired` tasks; returns the desiredCount ECS accepted."""
    if desired < 0:
        raise ValueError(f"a service cannot run {desired} tasks: choose 0 or more")
    updated = ecs.update_service(cluster=cluster, service=service, desiredCount=desired)
    return updated["service"]["desiredCount"]


def stop_task(ecs, cluster: str, task: str, reason: str = "Stopped from the workshop dashboard") -> str:
    """Stop one task (ARN or id), as a crash would end it; its service starts a replacement. Returns its ARN."""
    stopped = ecs.stop_task(cluster=cluster, task=task, reason=reason)
    return stopped["task"]["taskArn"]


def steady_problem(snapshot: Snapshot, service: str, without_task: str | None = None) -> str | None:
    """Why `service` is not steady yet (one short sentence), or None when it is: as many running tasks as desired,
    one deployment, and each of its target groups with one healthy target per running task."""
    found = next((s for s in snapshot.services if s.name == service), None)
    if found is None:
        return f"there is no service {service} in cluster {snapshot.cluster}"
    running = {t.id for t in snapshot.tasks_of(service) if t.last_status == "RUNNING"}
    if without_task and without_task.rsplit("/", 1)[-1] in running:
        return f"task {without_task.rsplit('/', 1)[-1][:12]} is still running"
    if not (found.desired == found.running == len(running)) or found.pending:
        return f"{len(running)} of {found.desired} tasks running, {found.pending} pending"
    if found.deployments > 1:
        return f"{found.deployments} deployments are still rolling"
    for group in {target_group_name(arn) for arn in found.target_groups}:
        healthy = {t.task_id for t in snapshot.targets
                   if t.target_group == group and t.state == "healthy" and t.task_id in running}
        if len(healthy) < len(running):
            return f"{len(healthy)} of {len(running)} targets healthy in target group {group}"
    return None


def wait_until_steady(ecs, elbv2, cluster: str, service: str, *, without_task: str | None = None,
                      timeout: float = 120.0, interval: float = 0.5, clock=time.monotonic,
                      sleep=time.sleep) -> float:
    """Block until `service` is steady (see steady_problem) and, if given, `without_task` is no longer one of its
    running tasks; returns the seconds it took. Raises TimeoutError saying what was still missing."""
    started = clock()
    definitions = TaskDefinitions(ecs)
    while True:
        snapshot = read_snapshot(ecs, elbv2, cluster, definitions=definitions)
        problem = steady_problem(snapshot, service, without_task)
        if problem is None:
            return clock() - started
        if clock() - started >= timeout:
            found = next((s for s in snapshot.services if s.name == service), None)
            event = f" Its latest event: {found.last_event!r}." if found and found.last_event else ""
            raise TimeoutError(f"service {service} is not steady after {timeout:g} s: {problem}.{event} "
                               f"Look at its tasks' stoppedReason (describe_tasks) and its events "
                               f"(describe_services) to see why.")
        sleep(interval)
