"""Tasks as the data plane runs them: created by moto's run_task, then given the shape AWS gives a new task, with a
status that only the data plane moves. RunTask and the service scheduler both launch through `start_tasks`."""
import sys
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.moto_api import state_manager
from moto.moto_api._internal import mock_random

from localcloud.ecs import backend_fixes
from localcloud.ecs.networking import with_default_security_group

# moto walks a task of its own model ("ecs::task") towards STOPPED on every describe_tasks. A task of this model has
# a manual progression that never fires: its status is what the data plane last set.
MODEL_NAME = "localcloud::ecs::task"
NEVER_ADVANCED = {"progression": "manual", "times": sys.maxsize}


def start_tasks(backend, cluster: str, task_definition: str, count: int, overrides: dict | None,
                started_by: str | None, tags: list | None, launch_type: str | None,
                network_configuration: dict | None = None, group: str | None = None,
                platform_version: str | None = None, capacity_provider_strategy: list | None = None) -> list:
    """moto's run_task (same arguments) without its 500s, each task PROVISIONING for the data plane to launch."""
    backend_fixes.prepare(backend)
    network_configuration = with_default_security_group(backend, network_configuration)
    try:
        tasks = backend.run_task(cluster, task_definition, count, overrides, started_by, tags, launch_type,
                                 network_configuration, group, platform_version, capacity_provider_strategy)
    except Exception as error:  # moto raises a bare Exception (a 500) for an EC2 launch without instances
        if type(error) is Exception and str(error).startswith("No instances found in cluster"):
            raise InvalidParameterException("No Container Instances were found in your cluster.") from None
        raise
    for task in tasks:
        adopt(backend, task)
    return tasks


def adopt(backend, task) -> None:
    """Give a task moto has just created what AWS shows of a new one: PROVISIONING, one container per definition
    (moto keeps the first only), its cpu/memory, and no status change but the data plane's."""
    task_definition = backend.describe_task_definition(task.task_definition_arn)
    overrides = {o.get("name"): o for o in (task.overrides or {}).get("containerOverrides", [])}
    state_manager.set_transition(MODEL_NAME, NEVER_ADVANCED)
    task.last_status = "PROVISIONING"
    task.created_at = utcnow()
    task.version = 1
    task.health_status = "UNKNOWN"
    task.connectivity = None
    task.stop_code = None
    task.stopped_reason = None
    task.availability_zone = f"{task.region_name}a"
    task.cpu = task_definition.cpu or str(sum(int(c.get("cpu") or 0) for c in task_definition.container_definitions))
    task.memory = task_definition.memory or str(sum(int(c.get("memory") or c.get("memoryReservation") or 0)
                                                    for c in task_definition.container_definitions))
    task.launch_type = task.launch_type or None
    task.containers = [_container_entry(task, definition, overrides.get(definition["name"], {}))
                       for definition in task_definition.container_definitions]
    task.model_name = MODEL_NAME  # last: the data plane takes up a task once it is whole


def is_ours(task) -> bool:
    """Whether the data plane runs the task (one moto created and `adopt` completed)."""
    return task.model_name == MODEL_NAME


def _container_entry(task, definition: dict, override: dict) -> dict[str, Any]:
    partition = task.cluster_arn.split(":")[1]
    entry = {"containerArn": f"arn:{partition}:ecs:{task.region_name}:{task._account_id}:container/"
                             f"{task.cluster_name}/{task.id}/{mock_random.uuid4()}",
             "taskArn": task.task_arn, "name": definition["name"], "image": definition["image"],
             "lastStatus": "PENDING", "networkBindings": [], "networkInterfaces": [],
             "healthStatus": "UNKNOWN", "cpu": str(override.get("cpu", definition.get("cpu", 0)))}
    for key in ("memory", "memoryReservation"):
        if override.get(key, definition.get(key)) is not None:
            entry[key] = str(override.get(key, definition.get(key)))
    return entry


def find_task(backend, cluster: str, task: str):
    """A task of the cluster by ARN or id ("The referenced task was not found." as AWS says, where moto 500s)."""
    cluster_name = backend._get_cluster(cluster).name
    task_id = task.split("/")[-1]
    found = next((t for arn, t in list(backend.tasks.get(cluster_name, {}).items()) if arn.endswith(f"/{task_id}")),
                 None)
    if found is None:
        raise InvalidParameterException("The referenced task was not found.")
    return found


def request_user_stop(task, reason: str | None) -> None:
    """StopTask asks; the data plane stops the containers and then the task is STOPPED (moto would say so at once).
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html"""
    if task.desired_status != "STOPPED":
        task.desired_status = "STOPPED"
        task.stop_code = "UserInitiated"
        task.stopped_reason = reason or "Task stopped by user"
        task.stopping_at = utcnow()
