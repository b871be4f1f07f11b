"""Stand-ins for what the ECS service scheduler reads and talks to: moto's services and tasks, the target registrar,
a clock. A `Scene` plays the rest of the data plane by hand: tasks start and stop only when a test says so."""
from datetime import datetime, timedelta, timezone
from itertools import count

from moto.ecs.exceptions import InvalidParameterException

from localcloud.ecs.scheduler import ServiceScheduler
from tests.localcloud.fakes import FakeClock

ACCOUNT, REGION, CLUSTER = "123456789012", "us-east-1", "shop"
TARGET_GROUP = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/web/0123456789abcdef"
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
_numbers = count(1)
_deployment_numbers = count(1)


def task_definition_arn(revision: int = 1, family: str = "web") -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


class FakeTask:
    """The attributes of moto's Task that the scheduler reads and writes (no `localcloud_running_since` until the
    scheduler first sees it RUNNING, as with a real task)."""

    def __init__(self, cluster_name: str, task_definition: str, started_by: str, group: str):
        number = next(_numbers)
        self.id = f"{number:032x}"
        self.task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster_name}/{self.id}"
        self.cluster_name, self.task_definition_arn = cluster_name, task_definition
        self.started_by, self.group = started_by, group
        self.desired_status, self.last_status = "RUNNING", "PROVISIONING"
        self.health_status = "UNKNOWN"
        self.stop_code = self.stopped_reason = None
        self.created_at = EPOCH + timedelta(seconds=number)  # later tasks are newer
        self.containers = []


def deployment(service, task_definition: str, status: str = "PRIMARY") -> dict:
    """A deployment as the moto fixes create it on create_service/update_service."""
    deployment_id = f"ecs-svc/{next(_deployment_numbers):019d}"
    return {"id": deployment_id, "status": status, "taskDefinition": task_definition,
            "desiredCount": service.desired_count, "pendingCount": 0, "runningCount": 0, "failedTasks": 0,
            "createdAt": EPOCH, "updatedAt": EPOCH, "launchType": service.launch_type,
            "rolloutState": "IN_PROGRESS", "rolloutStateReason": f"ECS deployment {deployment_id} in progress."}


class FakeService:
    """The attributes of moto's Service (with the moto fixes' additions) that the scheduler reads and writes."""

    def __init__(self, name: str, desired_count: int, cluster_name: str = CLUSTER, *, minimum_healthy: int = 100,
                 maximum: int = 200, grace_period: int | None = None, load_balancers: list | None = None,
                 controller: str = "ECS"):
        self.name, self.cluster_name, self.desired_count = name, cluster_name, desired_count
        self.arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster_name}/{name}"
        self.status = "ACTIVE"
        self.deployment_controller = {"type": controller}
        self.deployment_configuration = {"deploymentCircuitBreaker": {"enable": False, "rollback": False},
                                         "maximumPercent": maximum, "minimumHealthyPercent": minimum_healthy}
        self.health_check_grace_period_seconds = grace_period
        self.load_balancers = load_balancers or []
        self.launch_type, self.platform_version = "FARGATE", "LATEST"
        self.network_configuration = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}
        self.running_count = self.pending_count = 0
        self.events = []
        self.deployments = [deployment(self, task_definition_arn(1))]

    @property
    def messages(self) -> list[str]:
        """Event messages, oldest first (describe_services lists them newest first)."""
        return [event["message"] for event in reversed(self.events)]


class FakeBackend:
    """moto's ECS backend as far as the scheduler goes: its services, and run_task."""

    def __init__(self):
        self.services: dict[str, FakeService] = {}
        self.tasks: list[FakeTask] = []
        self.refuse_placement = False
        self.broken_clusters: set[str] = set()

    def add(self, service: FakeService) -> FakeService:
        self.services[f"{service.cluster_name}:{service.name}"] = service
        return service

    def run_task(self, cluster_name, task_definition, count, overrides, started_by, tags, launch_type,
                 network_configuration, group, platform_version, capacity_provider_strategy):
        if self.refuse_placement:
            raise InvalidParameterException("No Container Instances were found in your cluster.")
        if cluster_name in self.broken_clusters:
            raise RuntimeError(f"cluster {cluster_name} is broken")
        started = [FakeTask(cluster_name, task_definition, started_by, group) for _ in range(count)]
        self.tasks.extend(started)
        return started


class FakeRegistrar:
    """The TargetRegistrar's answers, set by the test: which tasks are healthy, which a target group finds unhealthy."""

    def __init__(self):
        self.not_ready: set[str] = set()  # task ARNs not (yet) healthy for a rollout
        self.elb_unhealthy: dict[str, str] = {}  # task ARN → the target group that reports it unhealthy
        self.registered: dict[str, list[str]] = {}

    def register(self, service, task) -> list[str]:
        if task.task_arn in self.registered:
            return []
        groups = [entry["targetGroupArn"] for entry in service.load_balancers]
        self.registered[task.task_arn] = groups
        return groups

    def deregister(self, task) -> list[str]:
        return self.registered.pop(task.task_arn, [])

    def healthy(self, service, task) -> bool:
        return (task.last_status == "RUNNING" and task.health_status != "UNHEALTHY"
                and task.task_arn not in self.not_ready)

    def unhealthy_target_group(self, task) -> str | None:
        return self.elb_unhealthy.get(task.task_arn)


class Scene:
    """One service (more can be added) in a fake backend, a scheduler on a fake clock, and the data plane by hand."""

    def __init__(self, desired_count: int = 2, **service_settings):
        self.clock = FakeClock()
        self.backend = FakeBackend()
        self.registrar = FakeRegistrar()
        self.scheduler = ServiceScheduler(self.registrar, clock=self.clock)
        self.service = self.backend.add(FakeService("web", desired_count, **service_settings))

    def reconcile(self) -> None:
        """One scheduler pass over every task the backend holds, as the plane's loop does."""
        self.scheduler.reconcile(self.backend, list(self.backend.tasks))

    def start_pending(self) -> None:
        """The runner's part: every task to launch is now RUNNING."""
        for task in self.backend.tasks:
            if task.desired_status == "RUNNING" and task.last_status == "PROVISIONING":
                task.last_status = "RUNNING"

    def finish_stopping(self) -> None:
        """The runner's part: every task asked to stop has stopped."""
        for task in self.backend.tasks:
            if task.desired_status == "STOPPED":
                task.last_status = "STOPPED"

    def settle(self, passes: int = 3) -> None:
        """A few passes of the whole plane, a second apart."""
        for _ in range(passes):
            self.clock.advance(1)
            self.reconcile()
            self.start_pending()
            self.finish_stopping()

    def deploy(self, revision: int) -> dict:
        """update_service with a new task definition: the old deployments become ACTIVE, a new one is PRIMARY."""
        for old in self.service.deployments:
            old["status"] = "ACTIVE"
        new = deployment(self.service, task_definition_arn(revision))
        self.service.deployments.insert(0, new)
        return new

    def live(self, service: FakeService | None = None) -> list[FakeTask]:
        service = service or self.service
        return [t for t in self.backend.tasks
                if t.group == f"service:{service.name}" and t.cluster_name == service.cluster_name
                and t.desired_status == "RUNNING"]

    def newest(self) -> FakeTask:
        return self.backend.tasks[-1]

    @staticmethod
    def fail_to_start(task: FakeTask) -> None:
        task.desired_status = task.last_status = "STOPPED"
        task.stop_code, task.stopped_reason = "TaskFailedToStart", "CannotPullContainerError: not found"

    @staticmethod
    def crash(task: FakeTask) -> None:
        task.desired_status = task.last_status = "STOPPED"
        task.stop_code, task.stopped_reason = "EssentialContainerExited", "Essential container in task exited"
