"""The ELBv2 operations the load balancers' data plane owns: DNS names and listener ports that it serves, listener
validation moto skips, target health from its health checks, targets keyed by (Id, Port), and every change followed
by the data plane before the call answers (the next call already sees its effect, as on AWS).

Planes that register targets themselves (ECS services) call `register_targets` / `deregister_targets` here, which
do what the RegisterTargets / DeregisterTargets handlers do.
"""
from moto.core.responses import ActionResult
from moto.elbv2 import exceptions
from moto.elbv2.models import FakeAction
from moto.elbv2.responses import ELBV2Response

from localcloud.elbv2 import provisioning, validation
from localcloud.elbv2.target_groups import adopt
from localcloud.providers import Call, Provider

# moto's "elb" app serves Classic ELB (Version 2012-06-01) and ELBv2 (2015-12-01) on one URL, told apart by Version.
ELBV2_API_VERSION = "2015-12-01"

# Changes that need nothing from the data plane but that it follows at once.
FOLLOWED_CHANGES = ("DeleteLoadBalancer", "DeleteListener", "CreateRule", "ModifyRule", "DeleteRule",
                    "SetRulePriorities", "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup")


class Elbv2Provider(Provider):
    app = "elb"
    response_class = ELBV2Response

    def claims(self, request) -> bool:
        return request.values.get("Version") == ELBV2_API_VERSION

    def handlers(self):
        return {**{operation: self.followed for operation in FOLLOWED_CHANGES},
                "CreateLoadBalancer": self.create_load_balancer, "CreateListener": self.create_listener,
                "ModifyListener": self.modify_listener, "CreateTargetGroup": self.create_target_group,
                "RegisterTargets": self.targets_changed, "DeregisterTargets": self.targets_changed,
                "DescribeTargetHealth": self.describe_target_health,
                "DescribeLoadBalancers": self.describe_load_balancers, "ModifyTargetGroup": self.modify_target_group}

    def followed(self, call: Call):
        answer = call.moto()
        self._plane.settle()
        return answer

    def create_load_balancer(self, call: Call):
        # moto names every load balancer `<name>-1.<region>.elb.amazonaws.com`; give it a name and port that answer.
        result = call.moto_result()
        for load_balancer in result.result["LoadBalancers"]:
            load_balancer.dns_name = self._plane.dns_name_for(load_balancer.arn)
            provisioning.begin(getattr(self._plane, "cloud", None), self._plane.backend(), load_balancer)
        self._plane.settle()
        return result

    def describe_load_balancers(self, call: Call):
        # moto makes every load balancer it describes active; at the `aws` pace a new one is provisioning a while.
        result = call.moto_result()
        provisioning.show_states(getattr(self._plane, "cloud", None), self._plane.backend(),
                                 result.result["LoadBalancers"])
        return result

    def create_listener(self, call: Call):
        # moto looks the new port up among listener ARNs, so a second listener on a port in use is accepted.
        balancer = self._plane.backend().load_balancers.get(call.params.get("LoadBalancerArn"))
        port = call.params.get("Port")
        if balancer is not None and port is not None and port_in_use(balancer, port):
            raise exceptions.DuplicateListenerError()
        result = call.moto_result()
        for listener in result.result["Listeners"]:
            self._plane.claim_port(listener.arn)
        self._plane.settle()
        return result

    def modify_listener(self, call: Call):
        # moto's modify_listener takes a port in use and default actions forwarding to missing target groups.
        backend = self._plane.backend()
        arn = call.params.get("ListenerArn")
        listener = backend.describe_listeners(load_balancer_arn=None, listener_arns=[arn])[0]
        port = call.params.get("Port")
        if port is not None and port_in_use(backend.load_balancers[listener.load_balancer_arn], port, except_arn=arn):
            raise exceptions.DuplicateListenerError()
        backend._validate_actions([FakeAction(action) for action in call.params.get("DefaultActions") or []])
        result = call.moto_result()
        self._plane.settle()
        return result

    def create_target_group(self, call: Call):
        validation.check_new_target_group(call.params)  # AWS's health check rules, with its defaults counted
        result = call.moto_result()
        for target_group in result.result["TargetGroups"]:
            adopt(target_group)
        return result

    def modify_target_group(self, call: Call):
        target_group = self._plane.backend().target_groups.get(call.params.get("TargetGroupArn"))
        if target_group is None:
            raise exceptions.TargetGroupNotFoundError()
        validation.check_target_group_change(call.params, target_group)  # moto checks no health check setting
        return self.followed(call)

    def targets_changed(self, call: Call):
        # Register/DeregisterTargets: moto keys targets by Id alone unless the group is one of ours.
        _adopt_target_group(self._plane.backend(), call.params.get("TargetGroupArn"))
        return self.followed(call)

    def describe_target_health(self, call: Call):
        # moto reports every registered target "healthy"; report what the data plane's health checks found.
        target_group = self._plane.backend().target_groups.get(call.params.get("TargetGroupArn"))
        if target_group is None:
            raise exceptions.TargetGroupNotFoundError()
        return ActionResult({"TargetHealthDescriptions": self._plane.describe_target_health(
            target_group, call.params.get("Targets") or [])})


def port_in_use(balancer, port, except_arn: str | None = None) -> bool:
    """Whether another listener of the load balancer has the port ("A listener with the specified port already
    exists", https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html)."""
    return any(str(listener.port) == str(port) and listener.arn != except_arn
               for listener in list(balancer.listeners.values()))


def _adopt_target_group(backend, target_group_arn: str | None) -> None:
    if target_group := backend.target_groups.get(target_group_arn):
        adopt(target_group)


# --- for planes that register targets themselves ------------------------------------------------------------------
def register_targets(cloud, target_group_arn: str, targets: list[dict]) -> None:
    """RegisterTargets as a plane makes it: targets keyed by (Id, Port), followed by the load balancers at once.
    Raises moto's TargetGroupNotFoundError as the API does."""
    backend = cloud.backend("elbv2")
    _adopt_target_group(backend, target_group_arn)
    backend.register_targets(target_group_arn, targets)
    _settle(cloud)


def deregister_targets(cloud, target_group_arn: str, targets: list[dict]) -> None:
    """DeregisterTargets as a plane makes it: the targets begin draining before this returns.
    Raises moto's TargetGroupNotFoundError or InvalidTargetError as the API does."""
    backend = cloud.backend("elbv2")
    _adopt_target_group(backend, target_group_arn)
    backend.deregister_targets(target_group_arn, targets)
    _settle(cloud)


def _settle(cloud) -> None:
    plane = cloud.part("elbv2")  # None: no load balancers run, moto's state is all there is
    if settle := getattr(plane, "settle", None):
        settle()
