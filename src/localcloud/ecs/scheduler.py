"""The service scheduler: keep desiredCount running, replace tasks that die (with back-off), roll deployments."""
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.moto_api._internal import mock_random

log = logging.getLogger(__name__)

FAILURE_STOP_CODES = ("TaskFailedToStart", "EssentialContainerExited")
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 300.0
PROVEN_AFTER_S = 10.0  # a task running this long after the last failure ends the back-off
MAX_EVENTS = 100
TROUBLESHOOTING = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."


@dataclass
class ServiceState:
    """What the scheduler remembers about one service between passes."""
    failures: int = 0
    last_failure_at: float = 0.0
    next_launch_at: float = 0.0
    steady: bool = False
    counted: set[str] = field(default_factory=set)  # failed task ARNs already counted


def task_id(task) -> str:
    return task.task_arn.split("/")[-1]


def add_event(service, message: str) -> None:
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": utcnow(), "message": message})
    del service.events[MAX_EVENTS:]


def request_stop(task, reason: str) -> None:
    task.desired_status, task.stop_code, task.stopped_reason = "STOPPED", "ServiceSchedulerInitiated", reason
    task.stopping_at = utcnow()


class ServiceScheduler:
    def __init__(self, registrar, clock: Callable[[], float] = time.monotonic):
        self.registrar = registrar
        self.clock = clock
        self.states: dict[str, ServiceState] = {}

    def reconcile(self, backend, tasks: list) -> None:
        """One pass over every service of the backend; one bad service does not stop the others."""
        for service in list(backend.services.values()):
            try:
                self._reconcile_service(backend, service, tasks)
            except Exception:
                log.exception("service %s: reconcile failed", service.arn)

    def before_stop(self, backend, task) -> None:
        """Take a service's task out of its target groups (and say so in the service's events)."""
        service = self._service_of(backend, task)
        if service is None:
            return
        for group_arn in self.registrar.deregister(task):
            add_event(service, f"(service {service.name}) deregistered 1 targets in (target-group {group_arn})")

    @staticmethod
    def _service_of(backend, task):
        if not (task.group or "").startswith("service:"):
            return None
        return backend.services.get(f"{task.cluster_name}:{task.group.removeprefix('service:')}")

    # --- one service -----------------------------------------------------------------------------------------------
    def _reconcile_service(self, backend, service, tasks: list) -> None:
        state = self.states.setdefault(service.arn, ServiceState())
        mine = [t for t in tasks if t.cluster_name == service.cluster_name and t.group == f"service:{service.name}"]
        self._count_failures(service, state, mine)
        live = [t for t in mine if t.desired_status == "RUNNING"]
        if service.status != "ACTIVE":
            self._drain(service, live, stopping=[t for t in mine if t.last_status != "STOPPED"])
            return
        if service.deployment_controller.get("type", "ECS") != "ECS" or not service.deployments:
            return
        self._replace_unhealthy(service, state, live)
        live = [t for t in live if t.desired_status == "RUNNING"]
        self._register_targets(service, live)
        primary, old = service.deployments[0], service.deployments[1:]
        configuration = getattr(service, "deployment_configuration", None) or {}
        desired = service.desired_count
        max_total = max(math.floor(desired * configuration.get("maximumPercent", 200) / 100), desired)
        min_healthy = math.ceil(desired * configuration.get("minimumHealthyPercent", 100) / 100)
        ours = [t for t in live if t.started_by == primary["id"]]
        if len(ours) > desired:
            self._stop_tasks(service, sorted(ours, key=self._stop_order)[:len(ours) - desired], primary)
        elif len(ours) < desired:
            self._launch(backend, service, state, primary, min(desired - len(ours), max_total - len(live)))
        self._drain_old_deployments(service, [t for t in live if t.started_by != primary["id"]], ours, min_healthy)
        live = [t for t in mine if t.desired_status == "RUNNING"]
        service.deployments = [primary] + [d for d in old if any(t.started_by == d["id"] for t in live)]
        self._update_counts(service, live)
        self._update_rollout(service, state, [t for t in live if t.started_by == primary["id"]])

    def _count_failures(self, service, state: ServiceState, tasks: list) -> None:
        for task in tasks:
            failed = task.stop_code in FAILURE_STOP_CODES or (
                task.stop_code == "ServiceSchedulerInitiated" and "health checks" in (task.stopped_reason or ""))
            if task.last_status == "STOPPED" and failed and task.task_arn not in state.counted:
                state.counted.add(task.task_arn)
                state.failures += 1
                state.last_failure_at = self.clock()
                delay = 0.0 if state.failures == 1 else min(BACKOFF_BASE_S * 2 ** (state.failures - 2), BACKOFF_MAX_S)
                state.next_launch_at = self.clock() + delay
                for deployment in service.deployments:
                    if deployment["id"] == task.started_by:
                        deployment["failedTasks"] = deployment.get("failedTasks", 0) + 1
                if state.failures >= 3 and state.failures % 3 == 0:
                    add_event(service, f"(service {service.name}) is unable to consistently start tasks "
                                       f"successfully. {TROUBLESHOOTING}")
        if state.failures and any(self._proven(task, state) for task in tasks):
            state.failures, state.next_launch_at = 0, 0.0

    def _proven(self, task, state: ServiceState) -> bool:
        started = getattr(task, "localcloud_running_since", None)
        return (task.last_status == "RUNNING" and started is not None and started > state.last_failure_at
                and self.clock() - started >= PROVEN_AFTER_S)

    def _replace_unhealthy(self, service, state: ServiceState, live: list) -> None:
        grace = getattr(service, "health_check_grace_period_seconds", None) or 0
        for task in live:
            if task.last_status != "RUNNING":
                continue
            if not hasattr(task, "localcloud_running_since"):
                task.localcloud_running_since = self.clock()
            if task.health_status == "UNHEALTHY":
                request_stop(task, "Task failed container health checks")
            elif self.clock() - task.localcloud_running_since >= grace:
                group_arn = self.registrar.unhealthy_target_group(task)
                if group_arn:
                    request_stop(task, f"Task failed ELB health checks in (target-group {group_arn})")
            if task.desired_status == "STOPPED":
                add_event(service, f"(service {service.name}) has stopped 1 running tasks: (task {task_id(task)}).")

    def _register_targets(self, service, live: list) -> None:
        for task in live:
            if task.last_status == "RUNNING" and service.load_balancers:
                for group_arn in self.registrar.register(service, task):
                    add_event(service, f"(service {service.name}) registered 1 targets in (target-group {group_arn})")

    def _launch(self, backend, service, state: ServiceState, deployment: dict, count: int) -> None:
        if count <= 0 or self.clock() < state.next_launch_at:
            return
        try:
            started = backend.run_task(
                service.cluster_name, deployment["taskDefinition"], count, None, deployment["id"], None,
                service.launch_type, service.network_configuration or None, f"service:{service.name}",
                service.platform_version, getattr(service, "capacity_provider_strategy", None))
        except InvalidParameterException as error:
            state.next_launch_at = self.clock() + BACKOFF_MAX_S / 10
            add_event(service, f"(service {service.name}) was unable to place a task because no container "
                               f"instance met all of its requirements. Reason: {error.message} {TROUBLESHOOTING}")
            return
        state.steady = False
        add_event(service, f"(service {service.name}) has started {len(started)} tasks: "
                           + " ".join(f"(task {task_id(t)})" for t in started) + ".")

    def _drain_old_deployments(self, service, old_tasks: list, new_tasks: list, min_healthy: int) -> None:
        healthy = sum(1 for t in old_tasks + new_tasks if self.registrar.healthy(service, t))
        to_stop = []
        for task in sorted(old_tasks, key=self._stop_order):
            if not self.registrar.healthy(service, task):
                to_stop.append(task)
            elif healthy - 1 >= min_healthy:
                to_stop.append(task)
                healthy -= 1
        if to_stop:
            self._stop_tasks(service, to_stop, service.deployments[0])

    def _stop_tasks(self, service, tasks: list, deployment: dict) -> None:
        for task in tasks:
            request_stop(task, f"Scaling activity initiated by (deployment {deployment['id']})")
        add_event(service, f"(service {service.name}) has stopped {len(tasks)} running tasks: "
                           + " ".join(f"(task {task_id(t)})" for t in tasks) + ".")

    @staticmethod
    def _stop_order(task) -> tuple:
        """Stop the tasks that serve least first: not yet running, then unhealthy, then the newest."""
        return (task.last_status == "RUNNING", task.health_status != "UNHEALTHY",
                -(task.created_at.timestamp() if getattr(task, "created_at", None) else 0))

    def _drain(self, service, live: list, stopping: list) -> None:
        """A deleted service stops its tasks; once they have stopped it becomes INACTIVE."""
        if live:
            self._stop_tasks(service, live, service.deployments[0] if service.deployments else {"id": "-"})
        service.running_count = service.pending_count = 0
        if service.status == "DRAINING" and not stopping:
            service.status = "INACTIVE"

    @staticmethod
    def _update_counts(service, live: list) -> None:
        for index, deployment in enumerate(service.deployments):
            tasks = [t for t in live if t.started_by == deployment["id"]]
            running = sum(1 for t in tasks if t.last_status == "RUNNING")
            counts = (running, len(tasks) - running, service.desired_count if index == 0 else len(tasks))
            if counts != (deployment["runningCount"], deployment["pendingCount"], deployment["desiredCount"]):
                deployment["runningCount"], deployment["pendingCount"], deployment["desiredCount"] = counts
                deployment["updatedAt"] = utcnow()
        service.running_count = sum(1 for t in live if t.last_status == "RUNNING")
        service.pending_count = len(live) - service.running_count

    def _update_rollout(self, service, state: ServiceState, ours: list) -> None:
        primary = service.deployments[0]
        settled = (len(service.deployments) == 1 and len(ours) == service.desired_count
                   and all(self.registrar.healthy(service, t) for t in ours))
        if settled and primary.get("rolloutState") == "IN_PROGRESS":
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            primary["updatedAt"] = utcnow()
            add_event(service, f"(service {service.name}) (deployment {primary['id']}) deployment completed.")
        if settled and not state.steady:
            add_event(service, f"(service {service.name}) has reached a steady state.")
        state.steady = settled

    def forget_all(self) -> None:
        self.states.clear()
