"""The targets of all target groups: their health (one check loop each), where they are reached, which gets a request.

`sync` is the observe → diff → act step over moto's target groups; it and the check loops run on the data plane's
event loop. Other threads only read (`state_of`, `describe`).
"""
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from localcloud.elbv2 import health, upstream
from localcloud.elbv2.health import TargetHealth

log = logging.getLogger(__name__)

# A target: (target group ARN, target id, port).
TargetKey = tuple[str, str, int]
Address = tuple[str, int]


def health_check_port(target_group, traffic_port: int) -> int:
    port = target_group.health_check_port
    return traffic_port if port in (None, "", "traffic-port") else int(port)


def health_check_path(target_group) -> str | None:
    if (target_group.health_check_protocol or "HTTP") not in ("HTTP", "HTTPS"):
        return None  # a TCP check only connects
    return target_group.health_check_path or "/"


# A new target is "initial" while it registers, before its first check (the `aws` pace only):
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
REGISTERING = ("Elb.RegistrationInProgress", "Target registration is in progress")


def deregistration_delay(target_group) -> float:
    return float(target_group.attributes.get("deregistration_delay.timeout_seconds", 300))


class TargetRegistry:
    def __init__(self, address_of: Callable[[object, str, int], Address], forget_connections: Callable[[Address], None],
                 clock: Callable[[], float] = time.monotonic, connect=None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 reachable: Callable[[object, str, int], bool] = upstream.always_reachable,
                 registration_s: float = 0.0):
        self._address_of = address_of  # (target group, target id, port) -> where the host reaches it
        self._reachable = reachable  # (target group, target id, port) -> whether its security groups admit checks
        self._connect = connect or upstream.open_connection
        self._forget_connections = forget_connections
        self._clock = clock
        self._sleep = sleep  # waits between health checks; tests pass one that follows their clock
        self._registration_s = registration_s  # before a new target's first check (the `aws` pace: AWS's time)
        self.records: dict[TargetKey, TargetHealth] = {}
        self._groups: dict[str, object] = {}
        self._checks: dict[TargetKey, asyncio.Task] = {}
        self._next_target: dict[str, int] = {}

    # --- observe → diff → act -------------------------------------------------------------------------------------
    def sync(self, target_groups: list, in_use: set[str]) -> None:
        """Make records and check loops follow moto's registrations; begin and end draining."""
        now = self._clock()
        self._groups = {group.arn: group for group in target_groups}
        registered: dict[TargetKey, object] = {}
        for group in target_groups:
            for target in list(group.targets.values()):
                registered[(group.arn, target["Id"], int(target["Port"]))] = group
        for key, group in registered.items():
            try:
                self._follow(key, group, group.arn in in_use)
            except Exception:  # one odd target must not stop the others
                log.exception("target %s: could not follow its registration", key)
        for key, record in list(self.records.items()):
            if key in registered:
                continue
            group = self._groups.get(key[0])
            if group is None:
                self._drop(key)
            elif record.state != "draining":
                self._stop_checks(key)
                record.drain(until=now + deregistration_delay(group))
                self._forget_connections(self._address_of(group, key[1], key[2]))
                self._finish_draining(key)
            elif now >= (record.draining_until or 0):
                self._drop(key)

    def _follow(self, key: TargetKey, group, in_use: bool) -> None:
        record = self.records.get(key)
        if not in_use:
            self._stop_checks(key)
            self.records[key] = TargetHealth()
            self.records[key].set("unused", "Target.NotInUse",
                                  "Target group is not configured to receive traffic from the load balancer")
        elif not group.health_check_enabled:
            self._stop_checks(key)
            self.records[key] = TargetHealth()
            self.records[key].set("unavailable", "Target.HealthCheckDisabled", "Health checks are disabled")
        elif record is None or record.state in ("draining", "unused", "unavailable") or self._moved(key, group, record):
            self._stop_checks(key)
            self.records[key] = TargetHealth(address=self._address_of(group, key[1], key[2]))
            if self._registration_s:
                self.records[key].set("initial", *REGISTERING)
            self._checks[key] = asyncio.get_running_loop().create_task(self._check_forever(key, self.records[key]))
        elif key not in self._checks:
            self._checks[key] = asyncio.get_running_loop().create_task(self._check_forever(key, record))

    def _moved(self, key: TargetKey, group, record: TargetHealth) -> bool:
        """A new task that took a stopped task's IP is a new target: it must not inherit the old one's health."""
        return record.address is not None and self._address_of(group, key[1], key[2]) != record.address

    async def _check_forever(self, key: TargetKey, record: TargetHealth) -> None:
        """Check one target every interval, for as long as `record` is its current record."""
        target_group_arn, target_id, port = key
        if (record.reason, record.description) == REGISTERING:
            await self._sleep(self._registration_s)
            if record.state == "initial":
                record.set("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
        while self.records.get(key) is record and record.state not in ("draining", "unused", "unavailable"):
            group = self._groups.get(target_group_arn)
            if group is None:
                return
            started = self._clock()
            try:
                check_port = health_check_port(group, port)
                # A check the target's security groups drop times out: Target.Timeout, as on AWS.
                connect = (self._connect if self._reachable(group, target_id, check_port)
                           else upstream.unanswered_connection)
                result = await health.check_once(
                    self._address_of(group, target_id, check_port), health_check_path(group),
                    float(group.health_check_timeout_seconds), (group.matcher or {}).get("HttpCode", "200"),
                    tls=group.health_check_protocol == "HTTPS", connect=connect)
                record.observe(result, int(group.healthy_threshold_count), int(group.unhealthy_threshold_count))
            except Exception:
                log.exception("target %s: health check failed to run", key)
            elapsed = self._clock() - started
            await self._sleep(max(0.0, float(group.health_check_interval_seconds) - elapsed))

    def _stop_checks(self, key: TargetKey) -> None:
        task = self._checks.pop(key, None)
        if task:
            task.cancel()

    def _drop(self, key: TargetKey) -> None:
        self._stop_checks(key)
        self.records.pop(key, None)

    def stop(self) -> None:
        for key in list(self._checks):
            self._stop_checks(key)
        self.records.clear()

    # --- requests ---------------------------------------------------------------------------------------------------
    def pick(self, group) -> tuple[TargetKey, Address] | None:
        """The next serving target of a group, round robin; None when no target may take traffic."""
        serving = []
        for target in list(group.targets.values()):
            key = (group.arn, target["Id"], int(target["Port"]))
            record = self.records.get(key)
            if record is not None and record.state in health.SERVING_STATES:
                serving.append(key)
        if not serving:
            return None
        turn = self._next_target.get(group.arn, 0)
        self._next_target[group.arn] = turn + 1
        key = serving[turn % len(serving)]
        return key, self._address_of(group, key[1], key[2])

    def started(self, key: TargetKey) -> None:
        if record := self.records.get(key):
            record.in_flight += 1

    def finished(self, key: TargetKey) -> None:
        if record := self.records.get(key):
            record.in_flight -= 1
            self._finish_draining(key)

    def _finish_draining(self, key: TargetKey) -> None:
        """A draining target with no request in flight is done at once, as on AWS."""
        record = self.records.get(key)
        if record is not None and record.state == "draining" and record.in_flight <= 0:
            self._drop(key)

    # --- what the API and other planes read -------------------------------------------------------------------------
    def state_of(self, target_group_arn: str, target_id: str, port: int) -> str:
        record = self.records.get((target_group_arn, target_id, int(port)))
        return record.state if record else "unused"

    def describe(self, group, targets: list[dict]) -> list[tuple[str, int, str, str | None, str | None]]:
        """(id, port, state, reason, description) of the asked targets, or of all registered and draining ones."""
        registered = [(t["Id"], int(t["Port"])) for t in list(group.targets.values())]
        if targets:
            wanted = [(t["Id"], int(t["Port"]) if t.get("Port") else self._port_of(group, t["Id"], registered))
                      for t in targets]
        else:
            draining = [(key[1], key[2]) for key, record in list(self.records.items())
                        if key[0] == group.arn and record.state == "draining"]
            wanted = registered + [target for target in draining if target not in registered]
        answers = []
        for target_id, port in wanted:
            record = self.records.get((group.arn, target_id, port))
            if record is not None:
                answers.append((target_id, port, record.state, record.reason, record.description))
            elif (target_id, port) in registered:
                answers.append((target_id, port, "initial", "Elb.RegistrationInProgress",
                                "Target registration is in progress"))
            else:
                answers.append((target_id, port, "unused", "Target.NotRegistered",
                                "Target is not registered to the target group"))
        return answers

    def _port_of(self, group, target_id: str, registered: list[tuple[str, int]]) -> int:
        ports = [port for known_id, port in registered if known_id == target_id]
        ports += [key[2] for key in list(self.records) if key[0] == group.arn and key[1] == target_id]
        return ports[0] if ports else int(group.port or 80)
