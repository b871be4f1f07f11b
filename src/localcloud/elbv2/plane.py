"""Elbv2Plane: the load balancers' data plane, one event loop thread serving every listener and health check."""
import asyncio
import ipaddress
import logging

from moto.elbv2.models import FakeHealthStatus

from localcloud.elbv2.network_watch import AttachedAddresses
from localcloud.elbv2.listeners import ListenerFront, load_balancer_arn_of, primary_listener
from localcloud.config import LOAD_BALANCER_HOST
from localcloud.elbv2.ports import PortBook
from localcloud.elbv2.provider import Elbv2Provider
from localcloud import pace as pacing
from localcloud.elbv2 import provisioning
from localcloud.elbv2.target_groups import adopt
from localcloud.security_groups import SecurityGroups, Source
from localcloud.serving import LoopThread, repeat_on_loop
from localcloud.elbv2.targets import TargetRegistry
from localcloud.elbv2.upstream import ConnectionPool

log = logging.getLogger(__name__)

# Besides the pass after each change, the reconcile pass runs this often (draining deadlines, missed events).
RECONCILE_INTERVAL_S = 1.0
# A change call waits at most this long for the data plane to follow it.
SETTLE_TIMEOUT_S = 10


def target_groups_in_use(load_balancers: list) -> set[str]:
    """ARNs of the target groups some listener rule forwards to."""
    in_use = set()
    for load_balancer in load_balancers:
        for listener in list(load_balancer.listeners.values()):
            for rule in list(listener.rules.values()):
                for action in rule.actions:
                    data = action.data
                    if data.get("TargetGroupArn"):
                        in_use.add(data["TargetGroupArn"])
                    for group in (data.get("ForwardConfig") or {}).get("TargetGroups") or []:
                        in_use.add(group["TargetGroupArn"])
    return in_use


def dns_name(port: int) -> str:
    """`elb.localhost:<port>`: this host's loopback here, the cloud's edge in containers."""
    return f"{LOAD_BALANCER_HOST}:{port}"


class Elbv2Plane:
    name = "elbv2"

    def __init__(self):
        self.cloud = None
        self._ports = PortBook()
        self._runner: LoopThread | None = None
        self._pool: ConnectionPool | None = None
        self._targets: TargetRegistry | None = None
        self._front: ListenerFront | None = None
        self._network: AttachedAddresses | None = None
        self._provider: Elbv2Provider | None = None
        self.security_groups: SecurityGroups | None = None

    # --- lifecycle --------------------------------------------------------------------------------------------------
    def start(self, cloud) -> None:
        self.cloud = cloud
        self._ports = PortBook(exposure=cloud)  # containers reach every load balancer too, through the edge
        self._network = AttachedAddresses(cloud.docker, cloud.network.id)
        self._network.start()
        self.security_groups = SecurityGroups(cloud.backend)
        self._pool = ConnectionPool(self._network.is_gone, connect=cloud.connect)
        self._targets = TargetRegistry(self._address_of, self._pool.forget, connect=cloud.connect,
                                       reachable=self._checks_reach,
                                       registration_s=pacing.pace_of(cloud).lasts(pacing.TARGET_REGISTRATION_S))
        self._front = ListenerFront(self.backend, self._targets, self._pool, client_admitted=self._client_admitted,
                                    target_reachable=self.security_groups.target_admits,
                                    provisioning=lambda lb: provisioning.still_provisioning(cloud, self.backend(), lb))
        self._runner = LoopThread("elbv2-data-plane").start(self._begin, on_stop=self._forget_everything)
        self.reconcile_once()
        self._provider = Elbv2Provider(self, cloud.config.account_id, cloud.config.region)
        cloud.providers.register(self._provider)

    def _begin(self) -> None:
        self._reconciler = asyncio.get_running_loop().create_task(self._reconcile_forever())

    def stop(self) -> None:
        if self._provider is not None:
            self.cloud.providers.unregister(self._provider)
            self._provider = None
        if self._runner:
            self._runner.stop()
        if self._network:
            self._network.stop()
        for key in self._ports.keys():
            self._ports.release(key)

    def reset(self) -> None:
        """moto's state is gone: close every listener port and forget every target."""
        self._runner.call(self._forget_everything)

    def _forget_everything(self) -> None:
        self._front.close_all()
        self._targets.stop()
        self._pool.close()
        for key in self._ports.keys():
            self._ports.release(key)

    def status(self) -> dict:
        running = bool(self._runner and self._runner.running)
        load_balancers = {}
        if running:
            for load_balancer in list(self.backend().load_balancers.values()):
                load_balancers[load_balancer.name] = {
                    "dns_name": load_balancer.dns_name,
                    "listeners": {f"{listener.protocol}:{listener.port}": self.listener_url(listener.arn)
                                  for listener in list(load_balancer.listeners.values())}}
        return {"ready": running, "endpoint": f"http://{LOAD_BALANCER_HOST}:<a port per load balancer>",
                "load_balancers": load_balancers}

    # --- what other planes and tests use ----------------------------------------------------------------------------
    def listener_url(self, listener_arn: str) -> str | None:
        """Where a listener answers (on this host and in containers): its load balancer's DNSName if it is the
        primary one."""
        load_balancer = self.backend().load_balancers.get(load_balancer_arn_of(listener_arn))
        if load_balancer is None or listener_arn not in load_balancer.listeners:
            return None
        primary = primary_listener(load_balancer)
        port = self._ports.port(load_balancer.arn if primary and primary.arn == listener_arn else listener_arn)
        return f"http://{dns_name(port)}" if port else None

    def target_health(self, target_group_arn: str, ip: str, port: int) -> str:
        """"initial", "healthy", "unhealthy", "draining" or "unused" (also "unavailable" without health checks)."""
        return self._targets.state_of(target_group_arn, ip, port)

    def reconcile_once(self) -> None:
        """One pass of the reconcile loop, run on the data plane's loop; returns when it is done."""
        self._runner.call(self._reconcile)

    def settle(self) -> None:
        """The control plane changed something: reconcile before the call answers, so that the next call already sees
        its effect (a deregistered target is draining at once, as on AWS)."""
        if self._runner and self._runner.running:
            try:
                self._runner.call(self._reconcile, timeout=SETTLE_TIMEOUT_S)
            except Exception:  # the change stands in moto; the loop's next pass tries again
                log.exception("elbv2 reconcile after a change failed; the next pass tries again")

    # --- called by the provider -------------------------------------------------------------------------------------
    def backend(self):
        """moto's ELBv2 state for this cloud's account and region."""
        return self.cloud.backend("elbv2")

    def claim_port(self, key: str) -> int:
        """Reserve and serve a loopback port for a load balancer or listener ARN (any thread)."""
        port, sock = self._ports.reserve(key)
        if sock is not None:
            self._runner.submit(self._front.serve(key, sock))
        return port

    def listener_at(self, port: int):
        """(load balancer, listener) that a loopback port serves (an `elb.localhost:<port>` URL), or None."""
        key = next((key for key in self._ports.keys() if self._ports.port(key) == port), None)
        if key is None:
            return None
        load_balancer, listener = self._front.resolve(key)
        return (load_balancer, listener) if listener is not None else None

    def admits(self, load_balancer, listener, source: Source) -> bool:
        """Whether the load balancer's security groups admit `source` on the listener's port."""
        return self.security_groups.load_balancer_admits(load_balancer, source, int(listener.port))

    def dns_name_for(self, load_balancer_arn: str) -> str:
        return dns_name(self.claim_port(load_balancer_arn))

    def describe_target_health(self, target_group, targets: list[dict]) -> list[FakeHealthStatus]:
        answers = []
        for target_id, port, state, reason, description in self._targets.describe(target_group, targets):
            check_port = target_group.health_check_port
            check_port = str(port) if check_port in (None, "traffic-port") else str(check_port)
            answers.append(FakeHealthStatus(target_id, str(port), check_port, state, reason, description))
        return answers

    # --- the reconcile loop -----------------------------------------------------------------------------------------
    async def _reconcile_forever(self) -> None:
        await repeat_on_loop(self._reconcile, RECONCILE_INTERVAL_S, "elbv2 reconcile pass")

    def _reconcile(self) -> None:
        """Observe moto's load balancers and target groups; open and close ports, follow targets."""
        backend = self.backend()
        load_balancers = list(backend.load_balancers.values())
        wanted = {}
        for load_balancer in load_balancers:
            wanted[load_balancer.arn] = load_balancer
            for listener in list(load_balancer.listeners.values()):
                wanted[listener.arn] = listener
        for key in self._ports.keys() - wanted.keys():
            self._front.close(key)
            self._ports.release(key)
        for key in wanted.keys() - self._ports.keys():
            port = self.claim_port(key)
            if key in backend.load_balancers:  # created before this plane started
                wanted[key].dns_name = dns_name(port)
        target_groups = list(backend.target_groups.values())
        for target_group in target_groups:  # made by moto itself (CloudFormation) or before this plane started
            adopt(target_group)
        self._targets.sync(target_groups, target_groups_in_use(load_balancers))

    # --- helpers ----------------------------------------------------------------------------------------------------
    def _client_admitted(self, load_balancer, listener, client_ip: str) -> bool:
        return self.admits(load_balancer, listener, Source(networks=(ipaddress.ip_network(f"{client_ip}/32"),)))

    def _checks_reach(self, target_group, target_id: str, port: int) -> bool:
        """Health checks come from every load balancer that forwards to the group: one admitted is enough."""
        load_balancers = self.backend().load_balancers
        senders = [load_balancers[arn] for arn in list(target_group.load_balancer_arns) if arn in load_balancers]
        return not senders or any(self.security_groups.target_admits(lb, target_id, port) for lb in senders)

    def _address_of(self, target_group, target_id: str, port: int) -> tuple[str, int]:
        """Where the host reaches a target: through the address book for task IPs, else the address itself."""
        ip = target_id
        if target_group.target_type == "instance":
            instance = self.cloud.backend("ec2").get_instance_by_id(target_id)
            ip = getattr(instance, "private_ip", None) or target_id
        return self.cloud.addresses.resolve(ip, int(port))

