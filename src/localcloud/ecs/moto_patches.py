"""Fixes to moto's ECS models so the data plane owns task status and valid input never turns into a 500.

Each fix is a small function naming the moto behaviour it works around; `apply()` installs them once per process.
"""
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2 import ec2_backends
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs import models, responses
from moto.ecs.exceptions import EcsClientException, InvalidParameterException
from moto.moto_api._internal import mock_random
from localcloud.moto_patching import wrap as _wrap

Backend = models.EC2ContainerServiceBackend

# Called (without arguments) after any API call that changes what should run; the plane wakes its loop.
change_listeners: list[Callable[[], None]] = []

DEFAULT_DEPLOYMENT_CONFIGURATION = {"deploymentCircuitBreaker": {"enable": False, "rollback": False},
                                    "maximumPercent": 200, "minimumHealthyPercent": 100}


def notify_change() -> None:
    for listener in list(change_listeners):
        listener()




def new_deployment(service, task_definition_arn: str) -> dict[str, Any]:
    now = utcnow()
    deployment_id = f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
    return {"id": deployment_id, "status": "PRIMARY", "taskDefinition": task_definition_arn,
            "desiredCount": service.desired_count, "pendingCount": 0, "runningCount": 0, "failedTasks": 0,
            "createdAt": now, "updatedAt": now, "launchType": service.launch_type,
            "platformFamily": "Linux" if service.launch_type == "FARGATE" else None,
            "networkConfiguration": service.network_configuration or None,
            "rolloutState": "IN_PROGRESS", "rolloutStateReason": f"ECS deployment {deployment_id} in progress."}


# --- task status belongs to the data plane ------------------------------------------------------------------------

def task_status_is_not_advanced_by_describe() -> None:
    # moto's ecs::task state machine walks a task towards STOPPED on every describe_tasks; the data plane sets it.
    models.Task.last_status = property(lambda task: task._status,
                                       lambda task, value: setattr(task, "_status", value))
    models.Task.advance = lambda task: None


def task_starts_provisioning_with_one_container_per_definition() -> None:
    # moto starts a task RUNNING with only the first container definition; AWS starts it PROVISIONING with all.
    def make(original):
        def __init__(task, cluster, task_definition, *args, **kwargs):
            original(task, cluster, task_definition, *args, **kwargs)
            overrides = {o.get("name"): o for o in (task.overrides or {}).get("containerOverrides", [])}
            task._status = "PROVISIONING"
            task.created_at = utcnow()
            task.version = 1
            task.health_status = "UNKNOWN"
            task.connectivity = None
            task.stop_code = None
            task.stopped_reason = None
            task.availability_zone = f"{task.region_name}a"
            task.cpu = task_definition.cpu or str(sum(int(c.get("cpu") or 0) for c in
                                                      task_definition.container_definitions))
            task.memory = task_definition.memory or str(sum(int(c.get("memory") or c.get("memoryReservation") or 0)
                                                            for c in task_definition.container_definitions))
            task.launch_type = task.launch_type or None
            task.containers = [_container_entry(task, definition, overrides.get(definition["name"], {}))
                               for definition in task_definition.container_definitions]
        return __init__
    _wrap(models.Task, "__init__", make)


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


def stop_task_leaves_the_stopping_to_the_data_plane() -> None:
    # moto marks a stopped task STOPPED at once (and 500s on an unknown task); AWS stops it asynchronously.
    def make(original):
        def stop_task(backend, cluster_str, task_str, reason):
            cluster = backend._get_cluster(cluster_str)
            task_id = task_str.split("/")[-1]
            task = next((t for arn, t in backend.tasks.get(cluster.name, {}).items() if arn.endswith(f"/{task_id}")),
                        None)
            if task is None:
                raise InvalidParameterException("The referenced task was not found.")
            if task.desired_status != "STOPPED":
                task.desired_status = "STOPPED"
                task.stop_code = "UserInitiated"
                task.stopped_reason = reason or "Task stopped by user"
                task.stopping_at = utcnow()
            notify_change()
            return task
        return stop_task
    _wrap(Backend, "stop_task", make)


# --- 500s on valid input --------------------------------------------------------------------------------------------

def awsvpc_task_in_a_vpc_without_dns_hostnames() -> None:
    # moto sets an ENI's private_dns_name only when its VPC has DNS hostnames on; ECS reads it anyway (AttributeError).
    if not hasattr(NetworkInterface, "private_dns_name"):
        NetworkInterface.private_dns_name = None


def task_memory_only_at_task_level() -> None:
    # moto adds each container's memory into the task's needs: a container without one (Fargate) is a TypeError.
    def make(original):
        def calculate(task_definition):
            needs = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
            for definition in task_definition.container_definitions:
                needs["CPU"] += int(definition.get("cpu") or 0)
                needs["MEMORY"] += int(definition.get("memory") or definition.get("memoryReservation") or 0)
                needs["PORTS"] += [m["hostPort"] for m in definition.get("portMappings", []) if "hostPort" in m]
            needs["MEMORY"] = needs["MEMORY"] or int(task_definition.memory or 0)
            return needs
        return staticmethod(calculate)
    Backend._calculate_task_resource_requirements = make(Backend._calculate_task_resource_requirements)


def awsvpc_configuration_without_security_groups(backend, network_configuration):
    # moto reads awsvpcConfiguration["securityGroups"] (KeyError); AWS uses the VPC's default security group.
    configuration = (network_configuration or {}).get("awsvpcConfiguration")
    if configuration is None:
        return network_configuration
    subnets = configuration.get("subnets") or []
    if not subnets:
        raise InvalidParameterException("subnets can not be empty.")
    if not configuration.get("securityGroups"):
        ec2 = ec2_backends[backend.account_id][backend.region_name]
        try:
            vpc_id = ec2.get_subnet(subnets[0]).vpc_id
        except InvalidSubnetIdError as error:
            raise InvalidParameterException(
                f"Error retrieving subnet information for [{subnets[0]}]: {error.message} "
                f"(ErrorCode: {error.code})") from None
        configuration = {**configuration, "securityGroups": [ec2.get_default_security_group(vpc_id).id]}
        network_configuration = {**network_configuration, "awsvpcConfiguration": configuration}
    return network_configuration


def run_task_on_the_engine() -> None:
    # moto raises a bare Exception (500) for EC2 tasks in a cluster without container instances; AWS gives a 400.
    def make(original):
        def run_task(backend, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type,
                     networking_configuration=None, *args, **kwargs):
            networking_configuration = awsvpc_configuration_without_security_groups(backend, networking_configuration)
            try:
                tasks = original(backend, cluster_str, task_definition_str, count, overrides, started_by, tags,
                                 launch_type, networking_configuration, *args, **kwargs)
            except Exception as error:
                if str(error).startswith("No instances found in cluster"):
                    raise InvalidParameterException("No Container Instances were found in your cluster.") from None
                raise
            notify_change()
            return tasks
        return run_task
    _wrap(Backend, "run_task", make)


def list_tasks_filters_by_service_name() -> None:
    # moto ignores serviceName (and lists STOPPED tasks by default); AWS filters by service and by desired RUNNING.
    def make(original):
        def list_tasks(backend, cluster_str=None, container_instance=None, family=None, started_by=None,
                       service_name=None, desiredStatus=None):
            if service_name:
                backend._get_service(cluster_str or "default", service_name.split("/")[-1])
            tasks = original(backend, cluster_str, container_instance, family, started_by, None,
                             desiredStatus or "RUNNING")
            if service_name:
                tasks = [t for t in tasks if t.group == f"service:{service_name.split('/')[-1]}"]
            return tasks
        return list_tasks
    _wrap(Backend, "list_tasks", make)


def list_task_definition_families_ignores_status() -> None:
    # moto lists every family; AWS lists a family as ACTIVE while one revision is, INACTIVE once all are deregistered.
    def make(original):
        def list_task_definition_families(response):
            status = response._get_param("status", "ACTIVE")
            families = response.ecs_backend.list_task_definition_families(response._get_param("familyPrefix"))
            def active(family):
                return any(d.status == "ACTIVE" for d in response.ecs_backend.task_definitions[family].values())
            chosen = [f for f in families if status == "ALL" or active(f) == (status == "ACTIVE")]
            return ActionResult({"families": chosen})
        return list_task_definition_families
    _wrap(responses.EC2ContainerServiceResponse, "list_task_definition_families", make)


def create_service_with_awsvpc_and_deployment_configuration() -> None:
    # moto drops deploymentConfiguration/healthCheckGracePeriodSeconds and KeyErrors on awsvpc without securityGroups.
    def make_backend(original):
        def create_service(backend, cluster_str, service_name, desired_count, *args, **kwargs):
            if kwargs.get("network_configuration"):
                kwargs["network_configuration"] = awsvpc_configuration_without_security_groups(
                    backend, kwargs["network_configuration"])
            service = original(backend, cluster_str, service_name, desired_count, *args, **kwargs)
            service.created_at = utcnow()
            service.running_count, service.pending_count = 0, 0
            service.deployment_configuration = dict(DEFAULT_DEPLOYMENT_CONFIGURATION)
            service.events = []
            if service.deployments and service.task_definition:
                service.deployments = [new_deployment(service, service.task_definition)]
            notify_change()
            return service
        return create_service

    def make_response(original):
        def create_service(response):
            result = original(response)
            service = response.ecs_backend._get_service(response._get_param("cluster", "default"),
                                                        response._get_param("serviceName"))
            service.deployment_configuration = _deployment_configuration(
                response._get_param("deploymentConfiguration"))
            service.health_check_grace_period_seconds = response._get_param("healthCheckGracePeriodSeconds")
            return result
        return create_service
    _wrap(Backend, "create_service", make_backend)
    _wrap(responses.EC2ContainerServiceResponse, "create_service", make_response)


def _deployment_configuration(given: dict | None) -> dict:
    configuration = {**DEFAULT_DEPLOYMENT_CONFIGURATION, **(given or {})}
    if configuration.get("maximumPercent", 200) < configuration.get("minimumHealthyPercent", 100):
        raise InvalidParameterException("The maximumPercent must be greater than or equal to the "
                                        "minimumHealthyPercent.")
    return configuration


def update_service_starts_a_deployment() -> None:
    # moto stores the task definition as given (not its ARN), copies desiredCount into runningCount and never
    # starts a new deployment; AWS rolls a new PRIMARY deployment on a new task definition or forceNewDeployment.
    def make(original):
        def update_service(backend, properties):
            cluster_str = properties.get("cluster", "default")
            service = backend._get_service(cluster_str, properties["service"].split("/")[-1])
            counts = (service.running_count, service.pending_count)
            force = properties.pop("force_new_deployment", False)
            task_definition = properties.get("task_definition")
            if task_definition:
                properties["task_definition"] = backend.describe_task_definition(task_definition).arn
            if properties.get("deployment_configuration"):
                properties["deployment_configuration"] = _deployment_configuration(
                    properties["deployment_configuration"])
            if properties.get("network_configuration"):
                properties["network_configuration"] = awsvpc_configuration_without_security_groups(
                    backend, properties["network_configuration"])
            previous = service.task_definition
            service = original(backend, properties)
            service.running_count, service.pending_count = counts
            if service.deployment_controller.get("type", "ECS") == "ECS" and service.task_definition:
                if force or service.task_definition != previous or not service.deployments:
                    for deployment in service.deployments:
                        deployment["status"] = "ACTIVE"
                    service.deployments.insert(0, new_deployment(service, service.task_definition))
                service.deployments[0]["desiredCount"] = service.desired_count
            notify_change()
            return service
        return update_service
    _wrap(Backend, "update_service", make)


def delete_service_wakes_the_scheduler() -> None:
    # A deleted service's tasks must stop; moto only flags the service INACTIVE.
    def make(original):
        def delete_service(backend, *args, **kwargs):
            service = original(backend, *args, **kwargs)
            service.status = "DRAINING"
            notify_change()
            return service
        return delete_service
    _wrap(Backend, "delete_service", make)


def awsvpc_port_mappings_must_match() -> None:
    # moto accepts an awsvpc task definition whose hostPort differs from its containerPort; AWS refuses it.
    def make(original):
        def register_task_definition(backend, family, container_definitions, *args, **kwargs):
            network_mode = kwargs.get("network_mode") or (args[2] if len(args) > 2 else None)
            if network_mode == "awsvpc":
                for container in container_definitions:
                    for mapping in container.get("portMappings") or []:
                        host_port = mapping.get("hostPort")
                        if host_port not in (None, 0, mapping.get("containerPort")):
                            raise EcsClientException("When networkMode=awsvpc, the host ports and container ports "
                                                     "in port mappings must match.")
            return original(backend, family, container_definitions, *args, **kwargs)
        return register_task_definition
    _wrap(Backend, "register_task_definition", make)


def service_load_balancer_port_must_exist() -> None:
    # moto accepts a service whose load balancer names a container port the task definition does not map.
    def make(original):
        def create_service(backend, cluster_str, service_name, desired_count, task_definition_str=None,
                           load_balancers=None, *args, **kwargs):
            if task_definition_str and load_balancers:
                definition = backend.describe_task_definition(task_definition_str)
                for balancer in load_balancers:
                    name, port = balancer.get("containerName"), balancer.get("containerPort")
                    container = next((c for c in definition.container_definitions if c.get("name") == name), None)
                    if container is None:
                        raise InvalidParameterException(
                            f"The container {name} does not exist in the task definition.")
                    if port not in [m.get("containerPort") for m in container.get("portMappings") or []]:
                        raise InvalidParameterException(
                            f"The container {name} did not have a container port {port} defined.")
            return original(backend, cluster_str, service_name, desired_count, task_definition_str,
                            load_balancers, *args, **kwargs)
        return create_service
    _wrap(Backend, "create_service", make)


FIXES = (task_status_is_not_advanced_by_describe, awsvpc_task_in_a_vpc_without_dns_hostnames,
         task_starts_provisioning_with_one_container_per_definition,
         stop_task_leaves_the_stopping_to_the_data_plane, task_memory_only_at_task_level, run_task_on_the_engine,
         list_tasks_filters_by_service_name, list_task_definition_families_ignores_status,
         create_service_with_awsvpc_and_deployment_configuration,
         update_service_starts_a_deployment, delete_service_wakes_the_scheduler, awsvpc_port_mappings_must_match,
         service_load_balancer_port_must_exist)


def apply() -> None:
    """Install every fix once per process (later calls do nothing)."""
    if getattr(Backend, "_localcloud_patched", False):
        return
    for fix in FIXES:
        fix()
    Backend._localcloud_patched = True

