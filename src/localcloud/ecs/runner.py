"""A task becomes containers on the cloud's network; the task's status follows those containers."""
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field

import docker
from moto.core.utils import utcnow

from localcloud import pace as pacing
from localcloud.ecs import container_spec, fargate_pace
from localcloud.image_references import registry_host, split_reference
from localcloud.ecs.logs import LogGroupMissing, LogShipper, awslogs_options, prepare_destination, stream_name

log = logging.getLogger(__name__)

PART = "ecs-task"
TASK_LABEL = "localcloud.ecs.task-arn"
CONTAINER_LABEL = "localcloud.ecs.container-name"
DEFAULT_STOP_TIMEOUT_S = 30  # ECS's default before SIGKILL
DOCKER_HEALTH = {"healthy": "HEALTHY", "unhealthy": "UNHEALTHY"}


class TaskFailedToStart(Exception):
    def __init__(self, reason: str, container: str | None = None):
        super().__init__(reason)
        self.reason, self.container = reason, container


@dataclass
class TaskRuntime:
    """What the engine holds for one task: its containers, its address, where its ports are published."""
    task_arn: str
    container_ids: dict[str, str] = field(default_factory=dict)
    private_ip: str | None = None
    host_ports: dict[int, int] = field(default_factory=dict)
    shippers: list[LogShipper] = field(default_factory=list)


class TaskRunner:
    def __init__(self, cloud, announce=lambda task: None):
        self.cloud = cloud
        self._announce = announce  # a task about to be RUNNING: its Cloud Map names must answer by then
        self.runtimes: dict[str, TaskRuntime] = {}
        self._lock = threading.Lock()
        self._engine_cpus = int(cloud.docker.info().get("NCPU") or 1)

    # --- launching -------------------------------------------------------------------------------------------------
    def launch(self, task) -> None:
        """PROVISIONING → PENDING (images) → RUNNING (containers started), or STOPPED with TaskFailedToStart."""
        backend = self.cloud.backend("ecs")
        task_definition = backend.describe_task_definition(task.task_definition_arn)
        runtime = TaskRuntime(task.task_arn)
        with self._lock:
            self.runtimes[task.task_arn] = runtime
        try:
            task.last_status = "PENDING"
            pending_since = pacing.clock_of(self.cloud)()
            task.pull_started_at = utcnow()
            for entry, definition in zip(task.containers, task_definition.container_definitions):
                entry["imageDigest"] = self._ensure_image(definition["image"], definition["name"])
            time.sleep(fargate_pace.pending_left(self.cloud, task, pending_since))  # AWS's pull time, at its pace
            task.pull_stopped_at = utcnow()
            self._start_containers(task, task_definition, runtime)
        except TaskFailedToStart as failure:
            self._fail_to_start(task, runtime, failure)
            return
        except Exception as error:
            log.exception("task %s failed to start", task.task_arn)
            self._fail_to_start(task, runtime, TaskFailedToStart(f"CannotStartContainerError: {error}"))
            return
        try:
            self._announce(task)
        except Exception:  # the names follow within a pass anyway
            log.exception("task %s: announcing it to Cloud Map failed", task.task_arn)
        now = utcnow()
        task.connectivity, task.connectivity_at, task.started_at = "CONNECTED", now, now
        task.last_status = "RUNNING"

    def _ensure_image(self, image: str, container_name: str) -> str | None:
        """The image's digest; pulled from the cloud's ECR registry with its credentials, else used if present."""
        ecr = self._ecr()
        from_ecr = ecr is not None and registry_host(image) == getattr(ecr, "registry_host", None)
        try:
            if not from_ecr:
                with contextlib.suppress(docker.errors.ImageNotFound):
                    return self._digest(self.cloud.docker.images.get(image))
            repository, tag = split_reference(image)
            pulled = self.cloud.docker.images.pull(repository, tag=tag,
                                                   auth_config=ecr.auth_config() if from_ecr else None)
            return self._digest(pulled)
        except docker.errors.APIError as error:
            raise TaskFailedToStart(f"CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                                    f"failed to resolve ref {image}: {error.explanation or error}",
                                    container_name) from None

    @staticmethod
    def _digest(image) -> str | None:
        digests = image.attrs.get("RepoDigests") or []
        return digests[0].partition("@")[2] if digests else None

    def _ecr(self):
        return self.cloud.part("ecr")

    def _start_containers(self, task, task_definition, runtime: TaskRuntime) -> None:
        overrides = {o.get("name"): o for o in (task.overrides or {}).get("containerOverrides", [])}
        logs_backend = self.cloud.backend("logs")
        destinations = {}
        for definition in task_definition.container_definitions:
            options = awslogs_options(definition)
            if options is not None:
                stream = stream_name(options, definition["name"], task.id)
                try:
                    prepare_destination(logs_backend, options, stream)
                except LogGroupMissing as missing:
                    raise TaskFailedToStart(str(missing), definition["name"]) from None
                destinations[definition["name"]] = (options.get("awslogs-group"), stream)
        owner = None
        started = []
        for definition in task_definition.container_definitions:
            name = f"ecs-{self.cloud.config.instance}-{task_definition.family}-{definition['name']}-{task.id[:12]}"
            arguments = container_spec.container_arguments(
                task, task_definition, definition, overrides.get(definition["name"], {}), name=name,
                labels=self.cloud.labels(PART, **{TASK_LABEL: task.task_arn, CONTAINER_LABEL: definition["name"]}),
                network=self.cloud.network.name, namespace_owner=owner, engine_cpus=self._engine_cpus,
                endpoint_url=self.cloud.container_endpoint_url)
            container = self.cloud.docker.containers.create(**arguments)
            runtime.container_ids[definition["name"]] = container.id
            owner = owner or container.id
            container.start()
            started.append((definition, container))
            if definition["name"] in destinations:
                group, stream = destinations[definition["name"]]
                runtime.shippers.append(LogShipper(container, logs_backend, group, stream).start())
        self._record_network(task, task_definition, runtime, started)

    def _record_network(self, task, task_definition, runtime: TaskRuntime, started) -> None:
        owner = started[0][1]
        owner.reload()
        settings = owner.attrs["NetworkSettings"]
        runtime.private_ip = settings["Networks"][self.cloud.network.name]["IPAddress"]
        task.localcloud_private_ip = runtime.private_ip  # bridge-mode tasks have no ENI to carry it
        for port in container_spec.container_ports(task_definition):
            binding = (settings["Ports"] or {}).get(f"{port}/tcp") or []
            if binding:
                runtime.host_ports[port] = int(binding[0]["HostPort"])
                self.cloud.addresses.publish((runtime.private_ip, port), ("127.0.0.1", runtime.host_ports[port]))
        attachment_id = None
        for attachment in task.attachments:
            attachment_id = attachment["id"]
            for detail in attachment["details"]:
                if detail["name"] == "privateIPv4Address":
                    detail["value"] = runtime.private_ip
        for entry, (definition, container) in zip(task.containers, started):
            entry["runtimeId"] = container.id
            entry["lastStatus"] = "RUNNING"
            entry["networkBindings"] = [
                {"bindIP": "127.0.0.1", "containerPort": m["containerPort"],
                 "hostPort": runtime.host_ports[m["containerPort"]], "protocol": m.get("protocol", "tcp")}
                for m in definition.get("portMappings", []) if m.get("containerPort") in runtime.host_ports]
            if attachment_id:
                entry["networkInterfaces"] = [{"attachmentId": attachment_id, "privateIpv4Address": runtime.private_ip}]

    def _fail_to_start(self, task, runtime: TaskRuntime, failure: TaskFailedToStart) -> None:
        self._remove(runtime)
        for entry in task.containers:
            entry["lastStatus"] = "STOPPED"
            if failure.container in (None, entry["name"]):
                entry["reason"] = failure.reason
        now = utcnow()
        task.desired_status, task.stop_code, task.stopped_reason = "STOPPED", "TaskFailedToStart", failure.reason
        task.stopping_at = task.stopped_at = task.execution_stopped_at = now
        task.last_status = "STOPPED"

    # --- observing -------------------------------------------------------------------------------------------------
    def observe(self, task, summaries: dict[str, dict]) -> None:
        """Container states (from one `docker ps -a`) → container status, health, exit; an essential exit stops."""
        runtime = self.runtimes.get(task.task_arn)
        if runtime is None or task.last_status != "RUNNING":
            return
        backend = self.cloud.backend("ecs")
        definitions = {d["name"]: d for d in backend.describe_task_definition(
            task.task_definition_arn).container_definitions}
        for entry in task.containers:
            container_id = runtime.container_ids.get(entry["name"])
            summary = summaries.get(container_id)
            if summary is not None and summary["State"] in ("running", "restarting", "paused"):
                entry["healthStatus"] = health_of(summary.get("Status", ""), definitions[entry["name"]])
                continue
            if entry["lastStatus"] != "STOPPED":
                self._record_exit(entry, container_id)
                if definitions[entry["name"]].get("essential", True) and task.desired_status == "RUNNING":
                    task.desired_status, task.stop_code = "STOPPED", "EssentialContainerExited"
                    task.stopped_reason = "Essential container in task exited"
                    task.stopping_at = utcnow()
        task.health_status = task_health(task.containers, definitions)

    def _record_exit(self, entry: dict, container_id: str | None) -> None:
        entry["lastStatus"] = "STOPPED"
        try:
            state = self.cloud.docker.api.inspect_container(container_id)["State"]
        except (docker.errors.NotFound, docker.errors.NullResource):
            entry["reason"] = "CannotInspectContainerError: the container was removed"
            return
        entry["exitCode"] = state.get("ExitCode")
        if state.get("OOMKilled"):
            entry["reason"] = "OutOfMemoryError: Container killed due to memory usage"
        elif state.get("Error"):
            entry["reason"] = state["Error"]

    # --- stopping --------------------------------------------------------------------------------------------------
    def stop(self, task) -> None:
        """STOPPING → containers stopped (SIGTERM, then SIGKILL after stopTimeout), output flushed → STOPPED."""
        runtime = self.runtimes.get(task.task_arn)
        task.last_status = "STOPPING"
        if runtime is not None:
            backend = self.cloud.backend("ecs")
            definitions = {d["name"]: d for d in backend.describe_task_definition(
                task.task_definition_arn).container_definitions}
            for entry in reversed(task.containers):  # the namespace owner goes last
                container_id = runtime.container_ids.get(entry["name"])
                if container_id is None:
                    continue
                with contextlib.suppress(docker.errors.NotFound):
                    timeout = definitions[entry["name"]].get("stopTimeout") or DEFAULT_STOP_TIMEOUT_S
                    self.cloud.docker.api.stop(container_id, timeout=timeout)
                if entry["lastStatus"] != "STOPPED":
                    self._record_exit(entry, container_id)
            self._remove(runtime)
        for entry in task.containers:
            entry["lastStatus"] = "STOPPED"
        now = utcnow()
        task.stopped_at = task.execution_stopped_at = now
        task.stopping_at = getattr(task, "stopping_at", None) or now
        task.connectivity = "DISCONNECTED"
        task.desired_status = "STOPPED"
        task.last_status = "STOPPED"

    def _remove(self, runtime: TaskRuntime) -> None:
        for shipper in runtime.shippers:
            shipper.finish()
        if runtime.private_ip:
            self.cloud.addresses.withdraw(runtime.private_ip)
        for container_id in runtime.container_ids.values():
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                self.cloud.docker.api.remove_container(container_id, force=True, v=True)
        with self._lock:
            self.runtimes.pop(runtime.task_arn, None)

    def forget_all(self) -> None:
        """Close every log stream, withdraw every address, drop what the runner knows (containers go elsewhere)."""
        with self._lock:
            runtimes = list(self.runtimes.values())
            self.runtimes.clear()
        for runtime in runtimes:
            if runtime.private_ip:
                self.cloud.addresses.withdraw(runtime.private_ip)
            for shipper in runtime.shippers:
                shipper.close()
                shipper.finish()


def health_of(docker_status: str, definition: dict) -> str:
    """`docker ps`'s "Up 3 seconds (healthy)" → the container's ECS healthStatus."""
    if not definition.get("healthCheck"):
        return "UNKNOWN"
    for word, status in DOCKER_HEALTH.items():
        if f"({word})" in docker_status:
            return status
    return "UNKNOWN"


def task_health(containers: list[dict], definitions: dict[str, dict]) -> str:
    """UNHEALTHY if an essential container is; HEALTHY if every essential one with a check is; else UNKNOWN."""
    checked = [c["healthStatus"] for c in containers
               if definitions[c["name"]].get("essential", True) and definitions[c["name"]].get("healthCheck")]
    if "UNHEALTHY" in checked:
        return "UNHEALTHY"
    return "HEALTHY" if checked and all(status == "HEALTHY" for status in checked) else "UNKNOWN"
