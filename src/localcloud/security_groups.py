"""EC2 security groups, evaluated over moto's state: may this source open a TCP connection to that port?

Security groups are stateful allow-lists on a network interface: a new connection is admitted when one ingress rule
of one of the receiver's groups allows its protocol and port *and* its source — a security group the sender's
interface is in, or an address range (CIDR) the sender's address is in. Nothing else is admitted, and the sender
waits for an answer that never comes (a timeout, not a refusal).
https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html

Here a sender is a `Source`: its groups and the address ranges it may send from (a task's subnet, a load balancer's
subnets, this host's 127.0.0.1, the internet). A CIDR rule admits a source whose every range it covers. Evaluations
are cached for `CACHE_S`, so a rule change reaches new connections within that time and the hot path is a lookup.
"""
import dataclasses
import ipaddress
import threading
import time
from collections.abc import Callable

CACHE_S = 0.5
# How the local cloud sees a client on this host (notebook, curl, and containers, which reach it through the edge).
HOST_CLIENT_ADDRESS = "127.0.0.1"
ALL_ADDRESSES = ipaddress.ip_network("0.0.0.0/0")


@dataclasses.dataclass(frozen=True)
class Source:
    """Who opens a connection: the security groups of its interface and the address ranges it sends from."""
    groups: frozenset[str] = frozenset()
    networks: tuple = ()


# API Gateway's public integrations, and the internet: AWS's changing public addresses, covered by 0.0.0.0/0 only.
INTERNET = Source(networks=(ALL_ADDRESSES,))
HOST_CLIENT = Source(networks=(ipaddress.ip_network(f"{HOST_CLIENT_ADDRESS}/32"),))


def client_address() -> str:
    """The address the local cloud sees a caller on this host as: what a "my IP" ingress rule (`<it>/32`) names."""
    return HOST_CLIENT_ADDRESS


def rule_admits(rule, source: Source, port: int, protocol: str = "tcp") -> bool:
    """One ingress rule of moto's (`SecurityGroupRule`) against one connection."""
    if rule.ip_protocol not in ("-1", protocol):
        return False
    if rule.ip_protocol != "-1" and not (int(rule.from_port) <= port <= int(rule.to_port)):
        return False
    if rule.source_group and rule.source_group.get("GroupId") in source.groups:
        return True
    cidr = (rule.ip_range or {}).get("CidrIp")
    if cidr and source.networks:
        allowed = ipaddress.ip_network(cidr, strict=False)
        return all(network.subnet_of(allowed) for network in source.networks)
    return False


def groups_admit(ec2, group_ids, source: Source, port: int, protocol: str = "tcp") -> bool:
    """Whether any ingress rule of any of the receiver's groups admits the connection (a missing group: none)."""
    for group_id in group_ids:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            continue
        # AWS's default group has an inbound rule "all traffic from this group"; moto creates it without one.
        # https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html
        if group.is_default and group.id in source.groups:
            return True
        if any(rule_admits(rule, source, port, protocol) for rule in list(group.ingress_rules)):
            return True
    return False


def subnet_network(ec2, subnet_id: str | None):
    try:
        return ipaddress.ip_network(ec2.get_subnet(subnet_id).cidr_block, strict=False)
    except Exception:  # an unknown subnet: no address range, so only group rules can admit the sender
        return None


# --- who has which groups --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Interface:
    """A network interface as the firewall sees it: its groups and its subnet."""
    groups: tuple[str, ...]
    subnet_id: str | None

    def source(self, ec2) -> Source:
        network = subnet_network(ec2, self.subnet_id)
        return Source(frozenset(self.groups), (network,) if network else ())


def task_interface(task) -> Interface | None:
    """An awsvpc task's interface (its groups as RunTask / the service completed them); None for other tasks."""
    configuration = (getattr(task, "network_configuration", None) or {}).get("awsvpcConfiguration")
    if not configuration:
        return None
    subnets = configuration.get("subnets") or [None]
    return Interface(tuple(configuration.get("securityGroups") or ()), subnets[0])


def task_private_ip(task) -> str | None:
    for attachment in getattr(task, "attachments", None) or []:
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return detail.get("value")
    return getattr(task, "localcloud_private_ip", None)


def running_tasks(ecs) -> list:
    return [task for cluster_tasks in list(ecs.tasks.values()) for task in list(cluster_tasks.values())
            if task.last_status == "RUNNING"]


def load_balancer_groups(ec2, load_balancer) -> tuple[str, ...]:
    """Its groups; an Application Load Balancer created without any has its VPC's default group.
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html"""
    if load_balancer.security_groups:
        return tuple(load_balancer.security_groups)
    if (load_balancer.type or "application") == "application" and load_balancer.vpc_id:
        default = ec2.get_default_security_group(load_balancer.vpc_id)
        return (default.id,) if default else ()
    return ()


def load_balancer_source(ec2, load_balancer) -> Source:
    """A load balancer as the sender of health checks and requests: its groups, from its subnets' addresses."""
    networks = [subnet_network(ec2, getattr(subnet, "id", subnet)) for subnet in load_balancer.subnets]
    return Source(frozenset(load_balancer_groups(ec2, load_balancer)), tuple(n for n in networks if n))


def vpc_link_source(ec2, vpc_link) -> Source:
    """An HTTP API's VPC link as a sender: its groups, from its subnets' addresses."""
    networks = [subnet_network(ec2, subnet_id) for subnet_id in vpc_link.subnet_ids or []]
    return Source(frozenset(vpc_link.sg_ids or ()), tuple(n for n in networks if n))


# --- the evaluator the data planes use --------------------------------------------------------------------------------
class SecurityGroups:
    """Decisions over moto's EC2 (and ECS) state for one cloud, each cached for `CACHE_S`."""

    def __init__(self, backend: Callable[[str], object], clock: Callable[[], float] = time.monotonic,
                 cache_s: float = CACHE_S):
        self._backend = backend
        self._clock = clock
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._decisions: dict[tuple, tuple[float, object]] = {}

    def _cached(self, key: tuple, compute: Callable[[], object]):
        now = self._clock()
        with self._lock:
            found = self._decisions.get(key)
        if found is not None and now - found[0] < self._cache_s:
            return found[1]
        value = compute()
        with self._lock:
            if len(self._decisions) > 10_000:  # keys of gone tasks and targets: start afresh now and then
                self._decisions.clear()
            self._decisions[key] = (now, value)
        return value

    def ec2(self):
        return self._backend("ec2")

    def interfaces_by_ip(self) -> dict[str, Interface]:
        """The running awsvpc tasks' interfaces by private IP."""
        def compute():
            found = {}
            for task in running_tasks(self._backend("ecs")):
                interface, ip = task_interface(task), task_private_ip(task)
                if interface is not None and ip:
                    found[ip] = interface
            return found
        return self._cached(("interfaces",), compute)

    def admits(self, receiver: Interface | tuple[str, ...], source: Source, port: int) -> bool:
        groups = receiver.groups if isinstance(receiver, Interface) else tuple(receiver)
        return self._cached(("admits", groups, source, port),
                            lambda: groups_admit(self.ec2(), groups, source, port))

    def target_admits(self, load_balancer, target_id: str, port: int) -> bool:
        """Whether a target (a task's IP) admits the load balancer on `port`; targets that are not tasks the local
        cloud runs (instances, other addresses) have no groups it knows, and are reached."""
        interface = self.interfaces_by_ip().get(target_id)
        if interface is None:
            return True
        source = self._cached(("lb", load_balancer.arn), lambda: load_balancer_source(self.ec2(), load_balancer))
        return self.admits(interface, source, int(port))

    def load_balancer_admits(self, load_balancer, source: Source, port: int) -> bool:
        """Whether a load balancer's groups admit a client on its listener port. A Network Load Balancer without
        groups filters nothing; an Application Load Balancer created without groups is not filtered here either
        (AWS gives it the VPC's default group, which admits no client from outside: see docs/localcloud.md)."""
        if not load_balancer.security_groups:
            return True
        return self.admits(tuple(load_balancer.security_groups), source, int(port))
