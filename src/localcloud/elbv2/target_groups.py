"""Target groups whose targets are keyed as AWS keys them: by (Id, Port).

moto keys a target group's targets by Id alone, so one IP or instance registered on two ports becomes one target
(ECS registers a task's IP once per container port). The provider gives its target groups this class; moto's own
code (register_targets, deregister_targets, EC2's terminate_instances) then reaches these methods through the group.
"""
from moto.elbv2 import exceptions
from moto.elbv2.models import FakeTargetGroup

TargetKey = tuple[str, int]


class PortKeyedTargetGroup(FakeTargetGroup):
    """A moto target group whose `targets`, `deregistered_targets` and `terminated_targets` are keyed by (Id, Port)."""

    def register(self, targets: list[dict]) -> None:
        for target in targets:
            instance = self.ec2_backend.get_instance_by_id(target["Id"])
            if instance is not None and instance.state != "running":
                raise exceptions.TargetNotRunning(instance_id=target["Id"])
            # "Port: the port on which the target is listening [...] default is the port of the target group"
            # (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetDescription.html)
            port = int(target.get("Port") or self.port)
            self.targets[(target["Id"], port)] = {"Id": target["Id"], "Port": port}
            self.deregistered_targets.pop((target["Id"], port), None)

    def deregister(self, targets: list[dict]) -> None:
        for target in targets:
            keys = [key for key in list(self.targets)
                    if key[0] == target["Id"] and (not target.get("Port") or key[1] == int(target["Port"]))]
            if not keys:
                raise exceptions.InvalidTargetError()
            for key in keys:
                self.deregistered_targets[key] = self.targets.pop(key)

    def deregister_terminated_instances(self, instance_ids: list[str]) -> None:
        for key in [key for key in list(self.targets) if key[0] in instance_ids]:
            self.terminated_targets[key] = self.targets.pop(key)


def adopt(target_group) -> None:
    """Make a moto target group key its targets by (Id, Port), re-keying the targets it already has (a group that
    moto made itself, e.g. from a CloudFormation template, or before the data plane started)."""
    if type(target_group) is not FakeTargetGroup:  # ours already, or a class that is not moto's to re-key
        return
    target_group.__class__ = PortKeyedTargetGroup
    for name in ("targets", "deregistered_targets", "terminated_targets"):
        entries = getattr(target_group, name)
        setattr(target_group, name, type(entries)(
            ((target["Id"], int(target.get("Port") or target_group.port)), target) for target in entries.values()))
