"""What a data plane may use of the cloud it runs in: this, and nothing else of the cloud, is handed to its `start`."""
import dataclasses
import time
from collections.abc import Awaitable, Callable

from localcloud.config import Config


@dataclasses.dataclass(frozen=True)
class PlaneContext:
    config: Config
    docker: object  # the engine's docker.DockerClient
    network: object  # the cloud's Docker network, which every task, function and the edge join
    edge: object  # the cloud's edge: its published registry port
    addresses: object  # the AddressBook: where this host reaches a task's (private IP, port)
    providers: object  # where the plane registers the AWS operations it owns
    backend: Callable[[str], object]  # moto's state of one service, for the cloud's account and region
    labels: Callable[..., dict[str, str]]  # the labels of everything the plane starts (clean-up finds them)
    connect: Callable[..., Awaitable]  # open a connection as this host can: its servers, or through the edge
    expose: Callable[[int], None]  # a loopback server of the plane, reachable from containers too
    withdraw: Callable[[int], None]
    _part: Callable[[str], object | None]
    clock: Callable[[], float] = time.monotonic

    def part(self, name: str):
        """Another data plane, or None while it does not run (each uses the others only when they do)."""
        return self._part(name)

    @property
    def container_endpoint_url(self) -> str:
        """The AWS endpoint as containers on the cloud's network reach it."""
        return self.config.container_endpoint_url
