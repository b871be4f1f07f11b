"""Module 05's exercises: a Fargate task definition for the users service, and the health check of its target group.

- `check_task_definition(ecs, arn, …)` reads the registered task definition back from ECS and compares it with what
  the service and Fargate need;
- `check_users_health_check(elbv2, session, vpc_id, arn)` reads users' target group back from Elastic Load
  Balancing and holds its health check against the team's three rules (below).
Each problem comes back as one `ExerciseIncomplete` line with the fix.
"""
from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check

# Fargate's CPU units and the memory (MiB) each allows (the small sizes a workshop uses).
FARGATE_SIZES = {"256": ("512", "1024", "2048"), "512": ("1024", "2048", "3072", "4096"),
                 "1024": tuple(str(m) for m in range(2048, 8193, 1024))}
SERVICE_PORT = 8000


@exercise_check("05.1")
def check_task_definition(ecs, task_definition_arn, *, image: str, log_group: str, architecture: str) -> None:
    require_answer("users_task_definition", task_definition_arn)
    if not isinstance(task_definition_arn, str):
        raise ExerciseIncomplete("`users_task_definition` must be the taskDefinitionArn that "
                                 "register_task_definition returned (…[\"taskDefinition\"][\"taskDefinitionArn\"])")
    definition = ecs.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    problems = list(_problems(definition, image, log_group, architecture))
    if problems:
        raise ExerciseIncomplete(problems[0])
    print(f"✔ {definition['family']}:{definition['revision']}: Fargate, awsvpc, {definition['cpu']} CPU units / "
          f"{definition['memory']} MiB, port {SERVICE_PORT}, health check, logs to {log_group}")


def _problems(definition: dict, image: str, log_group: str, architecture: str):
    if "FARGATE" not in definition.get("requiresCompatibilities", []):
        yield "requiresCompatibilities must include \"FARGATE\""
    if definition.get("networkMode") != "awsvpc":
        yield f"networkMode is {definition.get('networkMode')!r}, but Fargate needs \"awsvpc\""
    cpu, memory = definition.get("cpu"), definition.get("memory")
    if memory not in FARGATE_SIZES.get(cpu, ()):
        yield (f"cpu {cpu!r} with memory {memory!r} is not a Fargate size: for cpu \"256\" use memory \"512\", "
               f"\"1024\" or \"2048\"")
    if not definition.get("executionRoleArn"):
        yield "executionRoleArn is missing: ECS needs the execution role to pull from ECR and write logs"
    platform = (definition.get("runtimePlatform") or {}).get("cpuArchitecture")
    if platform != architecture:
        yield f"runtimePlatform's cpuArchitecture is {platform!r}, but the image was built for {architecture!r}"
    containers = definition["containerDefinitions"]
    if len(containers) != 1:
        yield f"the task definition has {len(containers)} containers; users needs one"
        return
    container = containers[0]
    if container.get("image") != image:
        yield f"the container's image is {container.get('image')!r}; use the one pushed in module 04: {image}"
    ports = [mapping.get("containerPort") for mapping in container.get("portMappings", [])]
    if ports != [SERVICE_PORT]:
        shown = ports[0] if len(ports) == 1 else ports
        yield f"the task definition's containerPort is {shown} but the service listens on {SERVICE_PORT}"
    if not container.get("healthCheck"):
        yield "the container has no healthCheck: ask /health, as the catalog definition does"
    logging = container.get("logConfiguration") or {}
    if logging.get("logDriver") != "awslogs" or logging.get("options", {}).get("awslogs-group") != log_group:
        yield f"logConfiguration must use the awslogs driver with awslogs-group {log_group!r}"
    # Fargate's awslogs driver needs both
    # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
    for option, example in (("awslogs-region", "session.region"), ("awslogs-stream-prefix", '"users"')):
        if not logging.get("options", {}).get(option):
            yield f"logConfiguration's options need {option!r} on Fargate: add \"{option}\": {example}"


# Exercise 05.2's rules for users' health check: a dead task stops getting requests within DETECT_WITHIN_S, a task
# that recovers gets them again within DETECT_WITHIN_S, and an answer to /health that takes SLOWEST_HEALTHY_S is no
# failure. (A new target needs one passed check; a target marked unhealthy needs HealthyThresholdCount in a row.)
DETECT_WITHIN_S = 15
SLOWEST_HEALTHY_S = 2
HEALTH_PATH = "/health"


@exercise_check("05.2")
def check_users_health_check(elbv2, session, vpc_id: str, target_group_arn) -> None:
    require_answer("users_target_group", target_group_arn)
    name = session.name("users")
    try:
        group = elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]
    except elbv2.exceptions.TargetGroupNotFoundException:
        raise ExerciseIncomplete(f"there is no target group {name}: create it with elbv2.create_target_group("
                                 f"Name=session.name(\"users\"), …)") from None
    if target_group_arn != group["TargetGroupArn"]:
        raise ExerciseIncomplete(f"`users_target_group` is not {name}'s ARN: assign "
                                 f"…[\"TargetGroups\"][0][\"TargetGroupArn\"]")
    problems = list(_health_problems(group, vpc_id))
    if problems:
        raise ExerciseIncomplete(problems[0])
    interval, unhealthy = group["HealthCheckIntervalSeconds"], group["UnhealthyThresholdCount"]
    timeout = group["HealthCheckTimeoutSeconds"]
    print(f"✔ {name}: {HEALTH_PATH} every {interval} s, {timeout} s to answer; a dead task "
          f"is out after {interval * unhealthy} s, a recovered one back in after "
          f"{interval * group['HealthyThresholdCount']} s")


def _health_problems(group: dict, vpc_id: str):
    if group.get("TargetType") != "ip":
        yield f"TargetType is {group.get('TargetType')!r}: Fargate tasks are registered by IP address, use \"ip\""
    if (group.get("Protocol"), group.get("Port")) != ("HTTP", 8000):
        yield f"it forwards {group.get('Protocol')} to port {group.get('Port')}: users serves HTTP on port 8000"
    if group.get("VpcId") != vpc_id:
        yield "it is in another VPC: pass VpcId=network.vpc_id, where the tasks run"
    if group.get("HealthCheckPath") != HEALTH_PATH:
        yield (f"the health check asks {group.get('HealthCheckPath')!r}: ask {HEALTH_PATH!r}, where users says "
               f"whether it can serve")
    interval, timeout = group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]
    healthy, unhealthy = group["HealthyThresholdCount"], group["UnhealthyThresholdCount"]
    if timeout <= SLOWEST_HEALTHY_S:
        yield (f"a busy users task takes up to {SLOWEST_HEALTHY_S} s to answer, and a {timeout} s timeout counts that "
               f"as a failure: give HealthCheckTimeoutSeconds more than {SLOWEST_HEALTHY_S}")
    if interval * unhealthy > DETECT_WITHIN_S:
        yield (f"a dead users task keeps getting requests for up to {interval * unhealthy} s ({unhealthy} failed "
               f"checks × {interval} s); the team allows {DETECT_WITHIN_S} s: lower HealthCheckIntervalSeconds or "
               f"UnhealthyThresholdCount")
    if interval * healthy > DETECT_WITHIN_S:
        yield (f"a users task that recovers waits {interval * healthy} s for requests ({healthy} passed checks × "
               f"{interval} s); "
               f"the team allows {DETECT_WITHIN_S} s: lower HealthCheckIntervalSeconds or HealthyThresholdCount")
