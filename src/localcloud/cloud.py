"""One local cloud: moto as the control plane, data planes on a real Docker engine, started and stopped together."""
import contextlib
import dataclasses
import importlib
import threading
import time

import docker
from moto.backends import get_backend
from moto.moto_api._internal.models import moto_api_backend

from localcloud import docker_resources
from localcloud.config import Config
from localcloud.control_plane import ControlPlane
from localcloud.data_plane import DataPlane
from localcloud.endpoint_relay import EndpointRelay

# The data planes, in start order (a later one may use an earlier one through `cloud.part(name)`).
DATA_PLANES = (
    "localcloud.ecr:EcrPlane",
    "localcloud.ecs:EcsPlane",
    "localcloud.elbv2:Elbv2Plane",
    "localcloud.awslambda:LambdaPlane",
    "localcloud.apigateway:ApiGatewayPlane",
)


def default_data_planes() -> list[DataPlane]:
    planes = []
    for dotted in DATA_PLANES:
        module, _, cls = dotted.partition(":")
        planes.append(getattr(importlib.import_module(module), cls)())
    return planes


class AddressBook:
    """Where a task's (private IP, container port) is reachable from this host: ECS writes, load balancers read."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, int], tuple[str, int]] = {}

    def publish(self, private: tuple[str, int], reachable: tuple[str, int]) -> None:
        with self._lock:
            self._entries[private] = reachable

    def withdraw(self, private_ip: str) -> None:
        with self._lock:
            for key in [key for key in self._entries if key[0] == private_ip]:
                del self._entries[key]

    def resolve(self, ip: str, port: int) -> tuple[str, int]:
        with self._lock:
            return self._entries.get((ip, port), (ip, port))


class LocalCloud:
    def __init__(self, config: Config | None = None, data_planes: list[DataPlane] | None = None):
        self.config = config or Config()
        self.planes = default_data_planes() if data_planes is None else data_planes
        self.addresses = AddressBook()
        self.docker: docker.DockerClient | None = None
        self.network = None
        self._control_plane: ControlPlane | None = None
        self._relay: EndpointRelay | None = None
        self.started_at: float | None = None

    # --- what data planes use -------------------------------------------------------------------------------------
    def backend(self, service: str):
        """moto's in-process state of one service, for this cloud's account and region."""
        return get_backend(service)[self.config.account_id][self.config.region]

    def labels(self, part: str, **extra: str) -> dict[str, str]:
        """The labels everything this cloud starts carries; `down` and orphan clean-up remove by them."""
        return docker_resources.labels(self.config.instance, part, **extra)

    def part(self, name: str) -> DataPlane:
        return next(plane for plane in self.planes if plane.name == name)

    @property
    def container_endpoint_url(self) -> str:
        """The AWS endpoint as containers on the cloud's network reach it (the control plane binds loopback only)."""
        return self._relay.url

    @property
    def gateway_ip(self) -> str:
        """The host's address on the cloud's network: where containers reach servers of the local cloud."""
        return self.network.attrs["IPAM"]["Config"][0]["Gateway"]

    # --- lifecycle ------------------------------------------------------------------------------------------------
    def start(self) -> "LocalCloud":
        self.docker = docker.from_env()
        docker_resources.remove_everything(self.docker, self.config.instance)  # orphans of an earlier run that did not stop cleanly
        self.network = docker_resources.ensure_network(self.docker, self.config.network, self.config.instance)
        self.network.reload()
        self._control_plane = ControlPlane(self.config.host, self.config.port, self._routes())
        self._control_plane.start()
        self.config = dataclasses.replace(self.config, port=self._control_plane.port)  # port 0 picks a free one
        self._relay = EndpointRelay(self.gateway_ip, ("127.0.0.1", self.config.port)).start()
        started = []
        try:
            for plane in self.planes:
                plane.start(self)
                started.append(plane)
        except BaseException:
            self._stop(started)
            raise
        self.started_at = time.time()
        return self

    def stop(self) -> None:
        self._stop(self.planes)

    def _stop(self, planes) -> None:
        for plane in reversed(planes):
            with contextlib.suppress(Exception):
                plane.stop()
        if self._relay:
            self._relay.close()
            self._relay = None
        if self._control_plane:
            self._control_plane.stop()
            self._control_plane = None
        if self.docker:
            docker_resources.remove_everything(self.docker, self.config.instance)
            self.docker.close()

    def reset(self) -> dict:
        moto_api_backend.reset()
        for plane in self.planes:
            plane.reset()
        return self.status()

    def status(self) -> dict:
        return {"endpoint": self.config.endpoint_url, "region": self.config.region,
                "account_id": self.config.account_id, "started_at": self.started_at,
                "parts": {"control-plane": {"ready": True, "endpoint": self.config.endpoint_url},
                          **{plane.name: plane.status() for plane in self.planes}}}

    def _routes(self):
        return {"status": lambda request: self.status(),
                "reset": lambda request: self.reset() if request.method == "POST" else self.status()}


@contextlib.contextmanager
def running(config: Config | None = None, data_planes: list[DataPlane] | None = None):
    """`with localcloud.running() as cloud:` — a local cloud for a test or a notebook, gone afterwards."""
    cloud = LocalCloud(config, data_planes).start()
    try:
        yield cloud
    finally:
        cloud.stop()
