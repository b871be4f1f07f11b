"""Task definition rules AWS applies at RegisterTaskDefinition and moto does not: Fargate's task sizes and what the
awslogs log driver needs."""
import re

from moto.ecs.exceptions import EcsClientException

# Fargate (Linux) task sizes: CPU units → the memory (MiB) each allows
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html).
FARGATE_MEMORY_BY_CPU = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
# "1 vCPU" / "1 GB" are accepted and converted to CPU units and MiB (same page).
UNIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*", re.IGNORECASE)


def check_task_definition(params: dict) -> None:
    containers = params.get("containerDefinitions") or []
    for container in containers:
        check_awslogs_options(container)
    if "FARGATE" in (params.get("requiresCompatibilities") or []):
        check_fargate_size(params.get("cpu"), params.get("memory"))
        for container in containers:
            check_fargate_awslogs(container, params.get("executionRoleArn"))


def check_fargate_size(cpu: str | None, memory: str | None) -> None:
    # Fargate needs the task size at task level (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/
    # task_definition_parameters.html#task_size), one of the combinations above.
    for name, value in (("cpu", cpu), ("memory", memory)):
        if value in (None, ""):
            raise EcsClientException(f"Fargate requires that '{name}' be defined at the task level.")
    cpu_units, memory_mib = units(cpu), units(memory)
    if memory_mib not in FARGATE_MEMORY_BY_CPU.get(cpu_units, ()):
        raise EcsClientException(f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
                                 f"See the Amazon ECS documentation for the valid values.")


def check_awslogs_options(container: dict) -> None:
    # awslogs-group and awslogs-region are required
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LogConfiguration.html).
    options = _awslogs_options(container)
    if options is None:
        return
    for option in ("awslogs-group", "awslogs-region"):
        if not options.get(option):
            raise EcsClientException(f"Log driver awslogs option '{option}' should not be null or empty.")


def check_fargate_awslogs(container: dict, execution_role_arn: str | None) -> None:
    # On Fargate awslogs-stream-prefix is required too, and the execution role writes the logs
    # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
    options = _awslogs_options(container)
    if options is None:
        return
    if not execution_role_arn:
        raise EcsClientException("Fargate requires task definition to have execution role ARN to support log "
                                 "driver awslogs.")
    if not options.get("awslogs-stream-prefix"):
        raise EcsClientException("Fargate requires log configuration options to include awslogs-stream-prefix to "
                                 "support log driver awslogs.")


def units(value) -> int | None:
    """"1 vCPU" → 1024, "2 GB" → 2048, "512" → 512; None for what is not a size."""
    match = UNIT.fullmatch(str(value))
    if match is None:
        return None
    number = float(match[1])
    return int(number * 1024) if match[2] else int(number)


def _awslogs_options(container: dict) -> dict | None:
    log_configuration = container.get("logConfiguration") or {}
    if log_configuration.get("logDriver") != "awslogs":
        return None
    return log_configuration.get("options") or {}
