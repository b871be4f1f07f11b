"""Fixes to moto's ELBv2 backend (moto 5.2.5), applied once; each names the moto behaviour it works around.

The data plane attaches itself here so that the fixes that need it (DNSName, target health) can ask it; with no
plane attached for a backend, moto behaves as it always did.
"""

from moto.elbv2 import exceptions
from moto.elbv2.models import ELBv2Backend, FakeAction, FakeTargetGroup

from localcloud.attached_planes import AttachedPlanes
from localcloud.moto_patching import applied_once, wrap

_attached = AttachedPlanes()
attach, detach, plane_for = _attached.attach, _attached.detach, _attached.plane_for


@applied_once
def apply() -> None:
    fix_dns_name_resolves_nowhere()
    fix_duplicate_listener_port_not_detected()
    fix_modify_listener_skips_validation()
    fix_target_health_always_healthy()
    fix_targets_keyed_by_id_only()
    notify_plane_of_changes()


def _wrap(name: str, make):
    wrap(ELBv2Backend, name, make)


def fix_dns_name_resolves_nowhere() -> None:
    # moto names every load balancer `<name>-1.<region>.elb.amazonaws.com`; give it a name and port that answer.
    def make(original):
        def create_load_balancer(self, *args, **kwargs):
            load_balancer = original(self, *args, **kwargs)
            if plane := plane_for(self):
                load_balancer.dns_name = plane.dns_name_for(load_balancer.arn)
            return load_balancer
        return create_load_balancer
    _wrap("create_load_balancer", make)


def _port_in_use(balancer, port, except_arn: str | None = None) -> bool:
    return any(str(listener.port) == str(port) and listener.arn != except_arn
               for listener in list(balancer.listeners.values()))


def fix_duplicate_listener_port_not_detected() -> None:
    # moto looks the new port up among listener ARNs, so a second listener on a port in use is accepted.
    def make(original):
        def create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs):
            balancer = self.load_balancers.get(load_balancer_arn)
            if balancer is not None and port is not None and _port_in_use(balancer, port):
                raise exceptions.DuplicateListenerError()
            listener = original(self, load_balancer_arn, protocol, port, *args, **kwargs)
            if plane := plane_for(self):
                plane.claim_port(listener.arn)
            return listener
        return create_listener
    _wrap("create_listener", make)


def fix_modify_listener_skips_validation() -> None:
    # moto's modify_listener takes a port in use, default actions on missing target groups, and no actions at all.
    def make(original):
        def modify_listener(self, arn, port=None, protocol=None, ssl_policy=None, certificates=None, actions=None):
            listener = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])[0]
            balancer = self.load_balancers[listener.load_balancer_arn]
            if port is not None and _port_in_use(balancer, port, except_arn=arn):
                raise exceptions.DuplicateListenerError()
            actions = actions or []
            self._validate_actions([FakeAction(action) for action in actions])
            return original(self, arn, port, protocol, ssl_policy, certificates, actions)
        return modify_listener
    _wrap("modify_listener", make)


def fix_target_health_always_healthy() -> None:
    # moto reports every registered target "healthy"; report what the data plane's health checks found.
    def make(original):
        def describe_target_health(self, target_group_arn, targets):
            plane = plane_for(self)
            target_group = self.target_groups.get(target_group_arn)
            if plane is None or target_group is None:
                return original(self, target_group_arn, targets)
            return plane.describe_target_health(target_group, targets or [])
        return describe_target_health
    _wrap("describe_target_health", make)


def fix_targets_keyed_by_id_only() -> None:
    # moto keys a target group's targets by Id alone: one IP or instance registered on two ports becomes one target.
    def register(self, targets):
        for target in targets:
            instance = self.ec2_backend.get_instance_by_id(target["Id"])
            if instance is not None and instance.state != "running":
                raise exceptions.TargetNotRunning(instance_id=target["Id"])
            port = int(target.get("Port") or self.port)
            self.targets[(target["Id"], port)] = {"Id": target["Id"], "Port": port}
            self.deregistered_targets.pop((target["Id"], port), None)

    def deregister(self, targets):
        for target in targets:
            keys = [key for key in self.targets
                    if key[0] == target["Id"] and (not target.get("Port") or key[1] == int(target["Port"]))]
            if not keys:
                raise exceptions.InvalidTargetError()
            for key in keys:
                self.deregistered_targets[key] = self.targets.pop(key)

    def deregister_terminated_instances(self, instance_ids):
        for key in [key for key in self.targets if key[0] in instance_ids]:
            self.terminated_targets[key] = self.targets.pop(key)

    FakeTargetGroup.register = register
    FakeTargetGroup.deregister = deregister
    FakeTargetGroup.deregister_terminated_instances = deregister_terminated_instances


# Calls after which the data plane should look again at once (not a fix: how the plane hears of changes).
CHANGES = ("create_load_balancer", "delete_load_balancer", "create_listener", "modify_listener", "delete_listener",
           "create_rule", "modify_rule", "delete_rule", "set_rule_priorities", "register_targets",
           "deregister_targets", "modify_target_group", "modify_target_group_attributes", "delete_target_group")


def notify_plane_of_changes() -> None:
    def make(original):
        def changed(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            if plane := plane_for(self):
                plane.settle()
            return result
        return changed
    for name in CHANGES:
        _wrap(name, make)
