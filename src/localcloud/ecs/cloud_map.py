"""Cloud Map names that security groups guard: one relay container per ECS service registered in Cloud Map.

Tasks reach each other by Cloud Map name (`catalog.bookshop.local`) inside the cloud's network, a path the host
cannot watch on every engine. So the name is a network alias of a small relay (`cloud_map_relay.py`, in the image
the edge uses), which lets a task's connection through to one of the service's tasks only if that task's security
groups admit the caller's on the port — and otherwise answers nothing, so the caller times out as on AWS.
https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html

The host keeps each relay's state: which tasks serve, and which callers (running awsvpc tasks, by address) each
admits per port. A pass every `SYNC_INTERVAL_S` recomputes it and pushes only what changed, so a rule authorized or
revoked reaches new connections within about a second; connections already open stay (security groups are stateful).
"""
import dataclasses
import hashlib
import json
import logging
import threading

import docker

from localcloud.ecs import discovery
from localcloud.ecs import tasks as ecs_tasks
from localcloud.ecs.container_spec import container_ports
from localcloud.edge.container import ProgramSilent, command, start_program
from localcloud.security_groups import Interface, SecurityGroups, running_tasks, task_interface, task_private_ip

log = logging.getLogger(__name__)

PART = "cloud-map"
CONTROL_PORT = 996  # inside the relay's own namespace: below 1024, so no service port of the workshop meets it
SYNC_INTERVAL_S = 0.5

# {"<port>": [["<task IP>", ["<admitted caller IP>", …]], …]}
RelayState = dict[str, list[list]]


def relay_state(targets: list[tuple[str, object, list[int]]], callers: dict[str, object], admits) -> RelayState:
    """What a relay needs: for each port a target serves, each target with the callers it admits there.
    `targets`: (IP, interface or None, ports); `callers`: IP → interface; `admits(receiver, caller, port)`."""
    state: RelayState = {}
    for ip, interface, ports in sorted(targets, key=lambda target: target[0]):
        for port in ports:
            admitted = sorted(caller_ip for caller_ip, caller in callers.items()
                              if interface is None or admits(interface, caller, port))
            state.setdefault(str(port), []).append([ip, admitted])
    return state


@dataclasses.dataclass
class Relay:
    container: object
    control: tuple[str, int]
    pushed: RelayState | None = None


class CloudMapRelays:
    def __init__(self, cloud, security_groups: SecurityGroups | None = None):
        self.cloud = cloud
        self.security_groups = security_groups or SecurityGroups(cloud.backend, cache_s=SYNC_INTERVAL_S / 2)
        self.relays: dict[str, Relay] = {}  # ECS service ARN → its relay
        self._nameless: set[str] = set()  # services whose registries name no Cloud Map service (warned once)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time: the loop's, or one for a task about to run

    # --- lifecycle --------------------------------------------------------------------------------------------------
    def start(self) -> "CloudMapRelays":
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ecs-cloud-map", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the pass loop (returns once it has ended), then remove every relay."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            for arn in list(self.relays):
                self._remove(arn)

    def _run(self) -> None:
        while not self._stopping.wait(SYNC_INTERVAL_S):
            try:
                self.sync_once()
            except Exception:  # one bad pass must not end the loop
                log.exception("Cloud Map relays: a pass failed; trying again")

    # --- observe → diff → act ---------------------------------------------------------------------------------------
    def announce(self, task) -> None:
        """A task is about to be RUNNING: a pass that counts it already, so that its service's names answer (and it
        may call others) from then on, as ECS registers a task in Cloud Map before it counts as running."""
        self.sync_once(starting=task)

    def sync_once(self, starting=None) -> None:
        with self._lock:
            if not self._stopping.is_set():  # a task launched as the plane stops must not bring a relay back
                self._sync(starting)

    def _sync(self, starting) -> None:
        ecs = self.cloud.backend("ecs")
        services = {service.arn: service for service in list(ecs.services.values())
                    if service.service_registries and service.status == "ACTIVE"}
        for arn in set(self.relays) - set(services):
            self._remove(arn)
        self._nameless &= set(services)
        if not services:
            return  # no Cloud Map name to guard: nothing to ask the engine
        running = [task for task in running_tasks(ecs) if ecs_tasks.is_ours(task) and task is not starting]
        running += [starting] if starting is not None else []
        ec2 = self.security_groups.ec2()
        callers = {ip: interface.source(ec2) for ip, interface in self._function_interfaces().items()}
        for task in running:
            interface, ip = task_interface(task), task_private_ip(task)
            if interface is not None and ip:
                callers[ip] = interface.source(ec2)
        for arn, service in services.items():
            relay = self.relays.get(arn) or self._create(service)
            if relay is None:
                continue
            members = [task for task in running if task.cluster_name == service.cluster_name
                       and task.group == f"service:{service.name}" and task_private_ip(task)]
            targets = [(task_private_ip(task), task_interface(task),
                        container_ports(ecs.describe_task_definition(task.task_definition_arn)))
                       for task in members]
            state = relay_state(targets, callers, self.security_groups.admits)
            if state != relay.pushed:
                self._push(relay, state)

    def _function_interfaces(self) -> dict[str, Interface]:
        """Lambda functions attached to the VPC (`VpcConfig`), by their environments' addresses on the network: they
        call Cloud Map names from their security groups, as tasks do. Functions outside a VPC reach no private name.
        https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"""
        from localcloud.awslambda.container_spec import FUNCTION_LABEL, PART as FUNCTION_PART
        selector = [f"{key}={value}" for key, value in self.cloud.labels(FUNCTION_PART).items()]
        found = {}
        for summary in self.cloud.docker.api.containers(filters={"label": selector}):
            address = ((summary.get("NetworkSettings") or {}).get("Networks") or {}).get(self.cloud.network.name, {})
            try:
                config = self.cloud.backend("lambda").get_function(summary["Labels"][FUNCTION_LABEL])._vpc_config
            except Exception:  # deleted since, or not a function moto knows
                continue
            if address.get("IPAddress") and config and config.get("SecurityGroupIds"):
                subnets = config.get("SubnetIds") or [None]
                found[address["IPAddress"]] = Interface(tuple(config["SecurityGroupIds"]), subnets[0])
        return found

    def _push(self, relay: Relay, state: RelayState) -> None:
        try:
            command(relay.control, f"STATE {json.dumps(state, separators=(',', ':'))}")
            relay.pushed = state
        except OSError as error:
            log.warning("Cloud Map relay %s: could not update it (%s); trying again", relay.container.name, error)

    # --- relay containers -------------------------------------------------------------------------------------------
    def _create(self, service) -> Relay | None:
        if service.arn in self._nameless:
            return None
        names = discovery.service_dns_names(self.cloud, service)
        if not names:
            self._nameless.add(service.arn)
            return None
        network = self.cloud.network.name
        name = f"{network}-cloudmap-{service.name[:40]}-{hashlib.sha1(service.arn.encode()).hexdigest()[:8]}"
        try:
            container, control = start_program(
                self.cloud.docker, name, "localcloud.ecs.cloud_map_relay", CONTROL_PORT, network=network,
                aliases=names, labels=self.cloud.labels(PART, **{"localcloud.ecs.service-arn": service.arn}))
        except ProgramSilent as silent:
            log.warning("Cloud Map relay %s does not answer; its log:\n%s", name, silent.logs)
            silent.container.remove(force=True)
            return None
        self.relays[service.arn] = relay = Relay(container, control)
        log.info("Cloud Map: %s answer through %s", ", ".join(names), name)
        return relay

    def _remove(self, arn: str) -> None:
        relay = self.relays.pop(arn, None)
        if relay is not None:
            try:
                relay.container.remove(force=True)
            except (docker.errors.NotFound, docker.errors.APIError):
                pass
