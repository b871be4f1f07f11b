"""Stand-ins for what the ELBv2 data plane reads and talks to: moto's target groups and rules, targets, a clock."""
import asyncio
import dataclasses
from types import SimpleNamespace

from tests.localcloud import fakes

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/orders/0123456789abcdef"


@dataclasses.dataclass
class FakeTargetGroup:
    """The attributes of moto's FakeTargetGroup that the data plane reads."""
    arn: str = ARN
    targets: dict = dataclasses.field(default_factory=dict)
    health_check_enabled: bool = True
    health_check_protocol: str = "HTTP"
    health_check_port: str = "traffic-port"
    health_check_path: str = "/health"
    health_check_timeout_seconds: int = 5
    health_check_interval_seconds: int = 30
    healthy_threshold_count: int = 5
    unhealthy_threshold_count: int = 2
    matcher: dict = dataclasses.field(default_factory=lambda: {"HttpCode": "200"})
    target_type: str = "ip"
    port: int = 8080
    protocol: str = "HTTP"
    attributes: dict = dataclasses.field(default_factory=lambda: {"deregistration_delay.timeout_seconds": "300"})

    def register(self, target_id: str, port: int = 8080) -> "FakeTargetGroup":
        self.targets[f"{target_id}:{port}"] = {"Id": target_id, "Port": port}
        return self

    def deregister(self, target_id: str, port: int = 8080) -> None:
        del self.targets[f"{target_id}:{port}"]


class FakeClock(fakes.FakeClock):
    """Time that moves only when a test says so; `sleep` waits on it instead of on the wall clock."""

    def __init__(self, now: float = 1000.0):
        super().__init__(now)
        self._sleepers: list[tuple[float, asyncio.Future]] = []

    async def sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, wake))
        await wake

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        for entry in list(self._sleepers):
            if entry[0] <= self.now:
                self._sleepers.remove(entry)
                if not entry[1].done():
                    entry[1].set_result(None)


async def settle(turns: int = 50) -> None:
    """Let every task that can run, run (no wall-clock waiting)."""
    for _ in range(turns):
        await asyncio.sleep(0)


class FakeWriter:
    """The writing half of a connection to a fake target: each request written gets the target's answer."""

    def __init__(self, network: "FakeNetwork", address, reader: asyncio.StreamReader):
        self._network, self._address, self._reader = network, address, reader
        self.written = b""
        self.closed = False
        self.drop_next = False  # the target closes this connection as the next request arrives

    def write(self, data: bytes) -> None:
        self.written += data
        self._network.requests.append((self._address, data))
        behaviour = self._network.behaviour.get(self._address)
        if self.drop_next:
            self._reader.feed_eof()
        elif isinstance(behaviour, int):
            self._reader.feed_data(f"HTTP/1.1 {behaviour} Whatever\r\nContent-Length: 2\r\n\r\nok".encode())
        elif isinstance(behaviour, bytes):
            self._reader.feed_data(behaviour)
            self._reader.feed_eof()
        # "hang": the target never answers

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default=None):
        return {"peername": ("192.0.2.1", 50000), "sockname": ("127.0.0.1", 41000)}.get(name, default)


class FakeNetwork:
    """Targets by address: `behaviour[address]` is a status code, raw bytes sent before closing, "hang", or absent
    (the connection is refused)."""

    def __init__(self):
        self.behaviour: dict = {}
        self.connects: list[tuple] = []  # (address, ssl context) of every connection opened
        self.requests: list[tuple] = []  # (address, bytes) of every request written
        self.writers: list[FakeWriter] = []

    async def connect(self, address, ssl=None):
        self.connects.append((address, ssl))
        if address not in self.behaviour:
            raise ConnectionRefusedError(111, "Connection refused")
        reader = asyncio.StreamReader()
        writer = FakeWriter(self, address, reader)
        self.writers.append(writer)
        return reader, writer

    def checked(self, address) -> int:
        return sum(1 for connected, _ in self.connects if connected == address)


def rule(priority, conditions=(), actions=(), default=False):
    return SimpleNamespace(arn=f"rule-{priority}", priority="default" if default else str(priority),
                           is_default=default, conditions=list(conditions),
                           actions=[SimpleNamespace(data=data) for data in actions])


def forward(target_group_arn: str) -> dict:
    return {"Type": "forward", "TargetGroupArn": target_group_arn, "Order": 1}


def path_pattern(*values) -> dict:
    return {"Field": "path-pattern", "PathPatternConfig": {"Values": list(values)}}


def host_header(*values) -> dict:
    return {"Field": "host-header", "HostHeaderConfig": {"Values": list(values)}}
