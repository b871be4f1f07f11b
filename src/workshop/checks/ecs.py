"""Module 05's exercise: a Fargate task definition for the users service.

`check_task_definition(ecs, arn, expected)` reads the registered task definition back from ECS and compares it
with what the service and Fargate need; each problem comes back as one `ExerciseIncomplete` line with the fix.
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
