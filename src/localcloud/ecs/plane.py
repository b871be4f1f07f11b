"""EcsPlane: the reconcile loop that turns moto's ECS state into containers, woken by API calls and engine events."""
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import docker
from moto.core.utils import utcnow

from localcloud.config import MANAGED_LABEL, PART_LABEL
from localcloud.ecs import fargate_pace, tasks as ecs_tasks
from localcloud.ecs.cloud_map import CloudMapRelays
from localcloud.ecs.provider import EcsProvider
from localcloud.ecs.runner import PART, TASK_LABEL, TaskRunner
from localcloud.ecs.scheduler import ServiceScheduler
from localcloud.ecs.targets import TargetRegistrar

log = logging.getLogger(__name__)

PASS_INTERVAL_S = 1.0  # health (container and target) is polled; everything else wakes the loop at once
TASK_WORKERS = 8


class EcsPlane:
    name = "ecs"

    def __init__(self):
        self.cloud = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()
        self._loop_thread: threading.Thread | None = None
        self._engine_thread: threading.Thread | None = None
        self._engine_events = None
        self._pool: ThreadPoolExecutor | None = None
        self._provider: EcsProvider | None = None
        self.cloud_map: CloudMapRelays | None = None

    # --- DataPlane -------------------------------------------------------------------------------------------------
    def start(self, cloud) -> None:
        self.cloud = cloud
        self.cloud_map = CloudMapRelays(cloud)  # Cloud Map names, guarded by the tasks' security groups
        self.runner = TaskRunner(cloud, announce=self.cloud_map.announce)
        self.registrar = TargetRegistrar(cloud)
        self.scheduler = ServiceScheduler(self.registrar)
        self._stopping.clear()
        self._pool = ThreadPoolExecutor(TASK_WORKERS, thread_name_prefix="ecs-task")
        self._provider = EcsProvider(self, cloud.config.account_id, cloud.config.region)
        cloud.providers.register(self._provider)
        self._engine_thread = threading.Thread(target=self._watch_engine, name="ecs-engine-events", daemon=True)
        self._loop_thread = threading.Thread(target=self._run, name="ecs-reconcile", daemon=True)
        self._engine_thread.start()
        self._loop_thread.start()
        self.cloud_map.start()

    def stop(self) -> None:
        if self._loop_thread is None:
            return
        self.cloud.providers.unregister(self._provider)
        self._provider = None
        self._stopping.set()
        self._wake.set()
        self.cloud_map.stop()
        self._loop_thread.join()
        if self._engine_events is not None:
            with contextlib.suppress(Exception):
                self._engine_events.close()
        self._engine_thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.runner.forget_all()
        self._stop_all_tasks("The local cloud stopped")
        self._loop_thread = None

    def reset(self) -> None:
        # moto's backends are new and empty: the next pass removes the containers of the tasks it no longer knows.
        self.runner.forget_all()
        self.registrar.forget_all()
        self.scheduler.forget_all()
        self._wake.set()

    def backend(self):
        """moto's ECS state for the cloud's account and region."""
        return self.cloud.backend("ecs")

    def wake(self) -> None:
        """Something that should run changed (an API call): the loop passes at once."""
        self._wake.set()

    def status(self) -> dict:
        running = self._loop_thread is not None and self._loop_thread.is_alive()
        return {"ready": running, "tasks": len(self.runner.runtimes) if running else 0}

    # --- the loop --------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(PASS_INTERVAL_S)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self.reconcile_once()
            except Exception:
                log.exception("ECS reconcile pass failed; trying again")

    def reconcile_once(self) -> None:
        """Observe the containers and moto's tasks and services, then start or stop what differs."""
        backend = self.cloud.backend("ecs")
        summaries = {c["Id"]: c for c in self.cloud.docker.api.containers(all=True, filters=self._selector())}
        tasks = [task for cluster_tasks in list(backend.tasks.values()) for task in list(cluster_tasks.values())
                 if ecs_tasks.is_ours(task)]
        for task in tasks:
            if task.task_arn not in self._in_flight:
                try:
                    self.runner.observe(task, summaries)
                except Exception:
                    log.exception("task %s: observing its containers failed", task.task_arn)
        self.scheduler.reconcile(LaunchingBackend(backend, self.wake), tasks)
        for task in tasks:
            if task.desired_status == "RUNNING" and task.last_status == "PROVISIONING":
                if fargate_pace.provisioned(self.cloud, backend, task):  # at the `aws` pace, after Fargate's time
                    self._submit(task.task_arn, self.runner.launch, task)
            elif task.desired_status == "STOPPED" and task.last_status not in ("STOPPED", "PROVISIONING"):
                self._submit(task.task_arn, self._stop_task, backend, task)
            elif task.desired_status == "STOPPED" and task.last_status == "PROVISIONING":
                self.runner.stop(task)  # never launched: nothing to take down
        known = {task.task_arn for task in tasks}
        for summary in summaries.values():
            task_arn = summary["Labels"].get(TASK_LABEL)
            if task_arn not in known and task_arn not in self._in_flight and task_arn not in self.runner.runtimes:
                self._submit(f"orphan:{summary['Id']}", self._remove_container, summary["Id"])

    def _stop_task(self, backend, task) -> None:
        if task.last_status == "RUNNING":
            task.last_status = "DEACTIVATING"
        self.scheduler.before_stop(backend, task)
        self.runner.stop(task)

    def _remove_container(self, container_id: str) -> None:
        try:
            self.cloud.docker.api.remove_container(container_id, force=True, v=True)
        except docker.errors.NotFound:
            pass

    def _submit(self, key: str, action, *args) -> None:
        with self._in_flight_lock:
            if key in self._in_flight or self._stopping.is_set():
                return
            self._in_flight.add(key)

        def run():
            try:
                action(*args)
            except Exception:
                log.exception("ECS action on %s failed", key)
            finally:
                with self._in_flight_lock:
                    self._in_flight.discard(key)
                self._wake.set()
        self._pool.submit(run)

    def _watch_engine(self) -> None:
        """Wake the loop on any event of a task container (die, health_status, …)."""
        while not self._stopping.is_set():
            try:
                self._engine_events = self.cloud.docker.events(decode=True,
                                                               filters={"type": "container", **self._selector()})
                for _ in self._engine_events:
                    self._wake.set()
            except Exception as error:
                if self._stopping.is_set():
                    return
                log.warning("engine events interrupted (%s); reconnecting", error)
                self._stopping.wait(1.0)

    def _selector(self) -> dict:
        return {"label": [f"{MANAGED_LABEL}={self.cloud.config.instance}", f"{PART_LABEL}={PART}"]}

    def _stop_all_tasks(self, reason: str) -> None:
        """Containers go with the cloud; tasks say so, so a later cloud in this process does not adopt them."""
        backend = self.cloud.backend("ecs")
        now = utcnow()
        for cluster_tasks in list(backend.tasks.values()):
            for task in list(cluster_tasks.values()):
                if task.last_status != "STOPPED":
                    task.desired_status = task.last_status = "STOPPED"
                    task.stop_code = task.stop_code or "ServiceSchedulerInitiated"
                    task.stopped_reason = task.stopped_reason or reason
                    task.stopped_at = now
                    for entry in task.containers:
                        entry["lastStatus"] = "STOPPED"


class LaunchingBackend:
    """moto's ECS backend as the service scheduler uses it, its run_task launching as RunTask does (complete tasks
    for the data plane, the loop woken so they start at once)."""

    def __init__(self, backend, wake):
        self._backend, self._wake = backend, wake

    def __getattr__(self, name: str):
        return getattr(self._backend, name)

    def run_task(self, *args, **kwargs) -> list:
        started = ecs_tasks.start_tasks(self._backend, *args, **kwargs)
        self._wake()
        return started
