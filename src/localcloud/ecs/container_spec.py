"""How one ECS container definition becomes the arguments of a Docker container (pure functions, no engine)."""
from typing import Any

NANOSECONDS = 1_000_000_000
CPU_UNITS_PER_VCPU = 1024
# ECS's container health check defaults (seconds, except retries).
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}


def docker_healthcheck(health_check: dict | None) -> dict | None:
    if not health_check or not health_check.get("command"):
        return None
    settings = {**HEALTH_CHECK_DEFAULTS, **health_check}
    return {"test": list(settings["command"]), "interval": int(settings["interval"] * NANOSECONDS),
            "timeout": int(settings["timeout"] * NANOSECONDS), "retries": int(settings["retries"]),
            "start_period": int(settings["startPeriod"] * NANOSECONDS)}


def resource_limits(definition: dict, task_cpu: str | None, task_memory: str | None, engine_cpus: int) -> dict:
    """Container limits first, the task's (Fargate units: 1024 CPU units = 1 vCPU, memory in MiB) as the ceiling."""
    limits: dict[str, Any] = {}
    memory = definition.get("memory") or task_memory
    if memory:
        limits["mem_limit"] = f"{int(memory)}m"
    if definition.get("memoryReservation"):
        limits["mem_reservation"] = f"{int(definition['memoryReservation'])}m"
    if task_cpu:
        vcpus = min(int(task_cpu) / CPU_UNITS_PER_VCPU, engine_cpus)  # the engine refuses more than it has
        limits["nano_cpus"] = int(max(vcpus, 0.01) * NANOSECONDS)
    if int(definition.get("cpu") or 0) >= 2:
        limits["cpu_shares"] = int(definition["cpu"])
    return limits


def environment(definition: dict, override: dict, region: str, endpoint_url: str | None = None) -> dict[str, str]:
    variables = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    if endpoint_url:
        # The SDK in a task calls the local cloud; on AWS the task role's credentials come from ECS, here any key works.
        variables.update(AWS_ENDPOINT_URL=endpoint_url, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    for entry in [*definition.get("environment", []), *override.get("environment", [])]:
        variables[entry["name"]] = entry.get("value", "")
    return variables


HOST_NAME_LIMIT = 63  # the kernel refuses a longer one ("sethostname: invalid argument") and the task never starts


def host_name(container_name: str, task_id: str) -> str:
    """The container's name as its host name, shortened in the middle when too long: it keeps its end, the task
    id (`task_id`), which tells tasks apart (X-Served-By)."""
    if len(container_name) <= HOST_NAME_LIMIT:
        return container_name
    head = container_name.removesuffix(task_id).rstrip("-")
    return f"{head[:HOST_NAME_LIMIT - len(task_id) - 1].rstrip('-')}-{task_id}"


def container_ports(task_definition) -> list[int]:
    return [m["containerPort"] for d in task_definition.container_definitions
            for m in d.get("portMappings", []) if m.get("containerPort")]


def container_arguments(task, task_definition, definition: dict, override: dict, *, name: str, labels: dict,
                        network: str | None, namespace_owner: str | None, engine_cpus: int,
                        endpoint_url: str | None = None) -> dict:
    """`docker.containers.create` keyword arguments; the first container owns the task's network namespace."""
    arguments = {"image": definition["image"], "name": name, "labels": labels, "detach": True,
                 "environment": environment(definition, override, task.region_name, endpoint_url),
                 "command": override.get("command", definition.get("command")),
                 "entrypoint": definition.get("entryPoint"),
                 "working_dir": definition.get("workingDirectory"), "user": definition.get("user"),
                 "healthcheck": docker_healthcheck(definition.get("healthCheck")),
                 # An init process forwards SIGTERM to apps that would ignore it as PID 1, so stops are prompt.
                 "init": (definition.get("linuxParameters") or {}).get("initProcessEnabled", True),
                 **resource_limits(definition, task_definition.cpu, task_definition.memory, engine_cpus)}
    if namespace_owner is None:
        arguments["network"] = network
        arguments["hostname"] = host_name(name, task.id[:12])
        arguments["ports"] = {f"{port}/tcp": ("127.0.0.1", None) for port in container_ports(task_definition)}
    else:
        arguments["network_mode"] = f"container:{namespace_owner}"
    return {key: value for key, value in arguments.items() if value is not None}
