"""A service's tasks in the target groups of its `loadBalancers` (moto's ELBv2 backend; health from the ELBv2 plane)."""
import logging

from moto.elbv2.exceptions import InvalidTargetError, TargetGroupNotFoundError

from localcloud.elbv2 import provider as elbv2  # registrations as the API makes them: keyed by (Id, Port), settled

log = logging.getLogger(__name__)


def task_targets(service, task) -> list[tuple[str, str, int]]:
    """(target group ARN, task private IP, container port) for each load balancer entry of the service."""
    ip = task_private_ip(task)
    if ip is None:
        return []
    return [(entry["targetGroupArn"], ip, int(entry["containerPort"]))
            for entry in service.load_balancers if entry.get("targetGroupArn")]


def task_private_ip(task) -> str | None:
    for entry in task.containers:
        for interface in entry.get("networkInterfaces", []):
            return interface.get("privateIpv4Address")
    return getattr(task, "localcloud_private_ip", None)


class TargetRegistrar:
    def __init__(self, cloud):
        self.cloud = cloud
        self.registered: dict[str, list[tuple[str, str, int]]] = {}  # task ARN → its targets

    def register(self, service, task) -> list[str]:
        """Register a RUNNING task once; the target group ARNs it joined."""
        if task.task_arn in self.registered:
            return []
        targets = task_targets(service, task)
        joined = []
        for group_arn, ip, port in targets:
            try:
                elbv2.register_targets(self.cloud, group_arn, [{"Id": ip, "Port": port}])
                joined.append(group_arn)
            except TargetGroupNotFoundError:
                log.warning("service %s: target group %s does not exist", service.name, group_arn)
        self.registered[task.task_arn] = targets
        return joined

    def deregister(self, task) -> list[str]:
        """Take a task out of its target groups before it stops; the target group ARNs it left."""
        left = []
        for group_arn, ip, port in self.registered.pop(task.task_arn, []):
            try:
                elbv2.deregister_targets(self.cloud, group_arn, [{"Id": ip, "Port": port}])
                left.append(group_arn)
            except (TargetGroupNotFoundError, InvalidTargetError):
                pass
        return left

    def healthy(self, service, task) -> bool:
        """Healthy for a rollout: container health (if checked), then every target group's view (if there is one)."""
        if task.last_status != "RUNNING" or task.health_status == "UNHEALTHY":
            return False
        if task.health_status != "HEALTHY" and self._has_health_check(task):
            return False
        plane = self._elbv2_plane()
        if plane is None or not service.load_balancers:
            return True
        return all(plane.target_health(group_arn, ip, port) == "healthy"
                   for group_arn, ip, port in self.registered.get(task.task_arn, []))

    def unhealthy_target_group(self, task) -> str | None:
        """The target group that reports the task "unhealthy", if the ELBv2 plane runs."""
        plane = self._elbv2_plane()
        if plane is None:
            return None
        for group_arn, ip, port in self.registered.get(task.task_arn, []):
            if plane.target_health(group_arn, ip, port) == "unhealthy":
                return group_arn
        return None

    def _has_health_check(self, task) -> bool:
        definition = self.cloud.backend("ecs").describe_task_definition(task.task_definition_arn)
        return any(d.get("healthCheck") and d.get("essential", True) for d in definition.container_definitions)

    def _elbv2_plane(self):
        return self.cloud.part("elbv2")

    def forget_all(self) -> None:
        self.registered.clear()
