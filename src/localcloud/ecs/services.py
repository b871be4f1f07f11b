"""Services as the scheduler keeps them: moto creates and updates the model, this adds what AWS records that moto
drops (deployment configuration, grace period, deployments that roll) and checks what AWS checks first."""
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.moto_api._internal import mock_random

from localcloud.ecs.networking import with_default_security_group

# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html (replica services)
DEFAULT_DEPLOYMENT_CONFIGURATION = {"deploymentCircuitBreaker": {"enable": False, "rollback": False},
                                    "maximumPercent": 200, "minimumHealthyPercent": 100}


def create_service(backend, params: dict):
    """CreateService with botocore's parameters; the service, adopted."""
    task_definition = params.get("taskDefinition")
    check_load_balancer_ports(backend, task_definition, params.get("loadBalancers"))
    configuration = deployment_configuration(params.get("deploymentConfiguration"))
    desired_count = params.get("desiredCount")
    service = backend.create_service(
        params.get("cluster", "default"), params.get("serviceName"),
        int(desired_count) if desired_count is not None else None, task_definition, params.get("loadBalancers"),
        params.get("schedulingStrategy"), params.get("tags"), params.get("deploymentController"),
        params.get("launchType"),
        network_configuration=with_default_security_group(backend, params.get("networkConfiguration")),
        service_registries=params.get("serviceRegistries"), platform_version=params.get("platformVersion"),
        propagate_tags=params.get("propagateTags") or "NONE", role_arn=params.get("role"))
    adopt(service, configuration, params.get("healthCheckGracePeriodSeconds"))
    return service


def adopt(service, configuration: dict, grace_period_seconds: int | None) -> None:
    """No task runs yet; its one deployment (moto's id kept, so tasks the scheduler already started for it count)
    starts IN_PROGRESS."""
    service.created_at = utcnow()
    service.running_count, service.pending_count = 0, 0
    service.deployment_configuration = configuration
    service.health_check_grace_period_seconds = grace_period_seconds
    service.events = []
    if service.deployments and service.task_definition:
        service.deployments = [new_deployment(service, service.task_definition, service.deployments[0]["id"])]


def update_service(backend, properties: dict):
    """UpdateService with moto's properties (botocore's names in snake case). moto stores the task definition as
    given (not its ARN), copies desiredCount into runningCount and never starts a deployment; AWS rolls a new PRIMARY
    deployment on a new task definition or forceNewDeployment."""
    cluster = properties.get("cluster", "default")
    service = backend._get_service(cluster, properties["service"].split("/")[-1])
    counts = (service.running_count, service.pending_count)
    force = properties.pop("force_new_deployment", False)
    if properties.get("task_definition"):
        properties["task_definition"] = backend.describe_task_definition(properties["task_definition"]).arn
    if properties.get("deployment_configuration"):
        properties["deployment_configuration"] = deployment_configuration(properties["deployment_configuration"])
    if properties.get("network_configuration"):
        properties["network_configuration"] = with_default_security_group(backend,
                                                                          properties["network_configuration"])
    previous = service.task_definition
    service = backend.update_service(properties)
    service.running_count, service.pending_count = counts
    if service.deployment_controller.get("type", "ECS") == "ECS" and service.task_definition:
        if force or service.task_definition != previous or not service.deployments:
            for deployment in service.deployments:
                deployment["status"] = "ACTIVE"
            service.deployments.insert(0, new_deployment(service, service.task_definition))
        service.deployments[0]["desiredCount"] = service.desired_count
    return service


def new_deployment(service, task_definition_arn: str, deployment_id: str | None = None) -> dict[str, Any]:
    now = utcnow()
    deployment_id = deployment_id or f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
    return {"id": deployment_id, "status": "PRIMARY", "taskDefinition": task_definition_arn,
            "desiredCount": service.desired_count, "pendingCount": 0, "runningCount": 0, "failedTasks": 0,
            "createdAt": now, "updatedAt": now, "launchType": service.launch_type,
            "platformFamily": "Linux" if service.launch_type == "FARGATE" else None,
            "networkConfiguration": service.network_configuration or None,
            "rolloutState": "IN_PROGRESS", "rolloutStateReason": f"ECS deployment {deployment_id} in progress."}


def deployment_configuration(given: dict | None) -> dict:
    configuration = {**DEFAULT_DEPLOYMENT_CONFIGURATION, **(given or {})}
    if configuration.get("maximumPercent", 200) < configuration.get("minimumHealthyPercent", 100):
        raise InvalidParameterException("The maximumPercent must be greater than or equal to the "
                                        "minimumHealthyPercent.")
    return configuration


def check_load_balancer_ports(backend, task_definition: str | None, load_balancers: list | None) -> None:
    """Each load balancer entry names a container of the task definition and one of its container ports (moto
    accepts any). https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html"""
    if not task_definition or not load_balancers:
        return
    definitions = backend.describe_task_definition(task_definition).container_definitions
    for balancer in load_balancers:
        name, port = balancer.get("containerName"), balancer.get("containerPort")
        container = next((c for c in definitions if c.get("name") == name), None)
        if container is None:
            raise InvalidParameterException(f"The container {name} does not exist in the task definition.")
        if port not in [m.get("containerPort") for m in container.get("portMappings") or []]:
            raise InvalidParameterException(f"The container {name} did not have a container port {port} defined.")
