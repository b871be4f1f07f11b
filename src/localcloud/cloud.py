"""One local cloud: moto as the control plane, data planes on a real Docker engine, started and stopped together."""
import asyncio
import contextlib
import dataclasses
import threading
import time

import docker
from moto.backends import get_backend
from moto.moto_api._internal.models import moto_api_backend

from localcloud import docker_resources, engine, moto_version
from localcloud.config import EDGE_ALIASES, Config
from localcloud.control_plane import ControlPlane
from localcloud.data_plane import DataPlane
from localcloud.edge import Edge
from localcloud.iam_enforcement import Enforcer
from localcloud.loopback_names import is_loopback_name
from localcloud.plane_context import PlaneContext
from localcloud.plane_loader import Loading, PlaneLoader, PlaneSpec
from localcloud.providers import Providers

# The data planes, in start order (a later one may use an earlier one through `cloud.part(name)`), each with the
# moto apps its providers answer for (calls to those wait until it has started) and the planes it cannot start
# without. None needs another today: each uses the others only when present, so one that fails leaves the rest up.
DATA_PLANES = (
    PlaneSpec("ecr", "localcloud.ecr:EcrPlane", ("ecr",)),
    # without ECR, tasks run images the engine already has
    PlaneSpec("ecs", "localcloud.ecs:EcsPlane", ("ecs", "ec2"), needs=()),
    # moto serves elbv2 calls from its "elb" app; targets resolve through `cloud.addresses`, filled by ECS if it runs
    PlaneSpec("elbv2", "localcloud.elbv2:Elbv2Plane", ("elb", "elbv2"), needs=()),
    # without ECR, functions run images the engine already has
    PlaneSpec("lambda", "localcloud.awslambda:LambdaPlane", ("awslambda", "sqs"), needs=()),
    # without Lambda, its Lambda integrations answer an integration error; HTTP, mock and VPC-link ones still work
    PlaneSpec("apigateway", "localcloud.apigateway:ApiGatewayPlane", ("apigateway", "apigatewayv2"), needs=()),
)
HOLD_LIMIT_S = 50  # a held call is refused after this, before a client's read timeout (botocore: 60 s) ends it


def loadings(data_planes: list[DataPlane] | None) -> list[Loading]:
    """What to start: the default planes (imported in the background), or the given ones."""
    if data_planes is None:
        return [Loading(spec.name, spec.moto_backends, spec.make, spec.needs) for spec in DATA_PLANES]
    specs = {spec.name: spec for spec in DATA_PLANES}
    given = {plane.name for plane in data_planes}

    def loading(plane: DataPlane) -> Loading:
        spec = specs.get(plane.name)
        needs = tuple(name for name in spec.needs if name in given) if spec else ()  # the caller chose what runs
        return Loading(plane.name, spec.moto_backends if spec else (), lambda: plane, needs)
    return [loading(plane) for plane in data_planes]


class EngineUnavailable(Exception):
    """No Docker engine answers; the message says which one and what to do."""


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
        self._loader = PlaneLoader(loadings(data_planes), lambda plane: plane.start(self._plane_context()),
                                   prepare=self._prepare_engine)
        self.addresses = AddressBook()
        self.providers = Providers()  # each data plane registers the operations it owns
        if self.config.pace.aws:  # AWS's timing for the operations no data plane owns
            from localcloud.pace_providers import PaceContext, paced_providers
            for provider in paced_providers(PaceContext(self.config.pace, self.backend), self.config.account_id,
                                            self.config.region):
                self.providers.register(provider)
        self.enforcer = Enforcer(self.config.account_id) if self.config.enforce_iam else None
        self.docker: docker.DockerClient | None = None
        self.network = None
        self._control_plane: ControlPlane | None = None
        self.edge: Edge | None = None
        self.started_at: float | None = None
        self._moto: dict | None = None  # the installed moto against the tested one

    # --- what data planes use -------------------------------------------------------------------------------------
    def backend(self, service: str):
        """moto's in-process state of one service, for this cloud's account and region."""
        return get_backend(service)[self.config.account_id][self.config.region]

    def labels(self, part: str, **extra: str) -> dict[str, str]:
        """The labels everything this cloud starts carries; `down` and orphan clean-up remove by them."""
        return docker_resources.labels(self.config.instance, part, **extra)

    @property
    def planes(self) -> list[DataPlane]:
        """The data planes started so far, in start order."""
        return self._loader.started

    def part(self, name: str) -> DataPlane:
        """A running data plane; LookupError if it does not run (not started, failed, or not asked for)."""
        plane = self._running_part(name)
        if plane is None:
            raise LookupError(f"the local cloud's {name} part does not run: see `localcloud status`")
        return plane

    def _running_part(self, name: str) -> DataPlane | None:
        return next((plane for plane in self.planes if plane.name == name), None)

    def _plane_context(self) -> PlaneContext:
        """What a plane may use of this cloud (its engine, network, edge, moto's state, the other planes)."""
        return PlaneContext(config=self.config, docker=self.docker, network=self.network, edge=self.edge,
                            addresses=self.addresses, providers=self.providers, backend=self.backend,
                            labels=self.labels, connect=self.connect, expose=self.expose, withdraw=self.withdraw,
                            _part=self._running_part)

    @property
    def container_endpoint_url(self) -> str:
        """The AWS endpoint as containers on the cloud's network reach it (the control plane binds loopback only)."""
        return self.config.container_endpoint_url

    def expose(self, port: int) -> None:
        """A server of the cloud listening on 127.0.0.1:`port` is reached from containers at the cloud's names too."""
        self.edge.expose(port)

    def withdraw(self, port: int) -> None:
        if self.edge is not None:
            self.edge.withdraw(port)

    async def connect(self, address: tuple[str, int], ssl=None):
        """Open a connection as this host can: to its own servers directly, to anything in the cloud network (a
        container's address or name) through the edge — never to a container address itself."""
        host, port = address
        if host in ("127.0.0.1", "localhost") or is_loopback_name(host):
            return await asyncio.open_connection(host, port, ssl=ssl)
        if self.edge is None:
            raise ConnectionRefusedError(f"{host}:{port}: the local cloud's network is not ready")
        return await self.edge.dial(host, port, ssl)

    # --- lifecycle ------------------------------------------------------------------------------------------------
    def start(self, wait: bool = True) -> "LocalCloud":
        """Serve the AWS API, then start the data planes; with `wait`, return once all have started."""
        try:
            self.docker = engine.client()
            self.docker.ping()  # no engine: fail now, not in the background
        except docker.errors.DockerException as error:
            raise EngineUnavailable(f"no Docker engine answers at {engine.docker_host()} "
                                    f"({str(error).splitlines()[0][:120]}): start it (Docker Desktop, `colima start`, "
                                    f"or `make lab` on Linux), then start the local cloud again") from None
        self._control_plane = ControlPlane(self.config.host, self.config.port, self._routes(),
                                           hold=lambda backend: self._loader.hold(backend, HOLD_LIMIT_S),
                                           providers=self.providers, enforcer=self.enforcer)
        self._control_plane.start()
        self._moto = moto_version.check()
        self.config = dataclasses.replace(self.config, port=self._control_plane.port)  # port 0 picks a free one
        self.started_at = time.time()  # the AWS API answers from now on; `status` says which parts are still loading
        self._loader.start()
        if wait and self.wait_until_loaded() and self._loader.failure is not None:
            self.stop()
            raise self._loader.failure
        return self

    def _prepare_engine(self) -> None:
        """What the data planes need first: no orphans of an earlier run, the cloud's network, the edge on it."""
        docker_resources.remove_everything(self.docker, self.config.instance)  # an earlier run that did not stop cleanly
        self.network = docker_resources.ensure_network(self.docker, self.config.network, self.config.instance)
        self.edge = Edge(self.docker, self.config.network, EDGE_ALIASES, self.labels("edge"),
                         self.config.registry_port).start()
        self.edge.expose(self.config.port)  # the AWS API, for tasks and functions

    def wait_until_loaded(self, timeout: float | None = None) -> bool:
        """True once every data plane has started or one has failed (its part's status says why)."""
        return self._loader.wait(timeout)

    def stop(self) -> None:
        started = self._loader.stop()
        for plane in reversed(started):
            with contextlib.suppress(Exception):
                plane.stop()
        started.clear()
        if self.edge:
            self.edge.close()
            self.edge = None
        if self._control_plane:
            self._control_plane.stop()
            self._control_plane = None
        if self.docker:
            docker_resources.remove_everything(self.docker, self.config.instance)
            self.docker.close()

    def reset(self) -> dict:
        self._loader.wait(HOLD_LIMIT_S)  # a plane mid-start would find its state emptied under it
        moto_api_backend.reset()
        for plane in self.planes:
            plane.reset()
        return self.status()

    def status(self) -> dict:
        return {"endpoint": self.config.endpoint_url, "region": self.config.region,
                "account_id": self.config.account_id, "started_at": self.started_at, "moto": self._moto,
                "pace": self.config.pace.describe(), "iam": "enforced" if self.enforcer else "not enforced",
                "parts": {"control-plane": {"ready": True, "endpoint": self.config.endpoint_url},
                          **({"edge": self.edge.status()} if self.edge else {}),
                          **self._loader.status()}}

    def _routes(self):
        return {"status": lambda request: self.status(),
                "reset": lambda request: self.reset() if request.method == "POST" else self.status(),
                "iam/calls": lambda request: self.enforcer.calls() if self.enforcer else {}}


@contextlib.contextmanager
def running(config: Config | None = None, data_planes: list[DataPlane] | None = None):
    """`with localcloud.running() as cloud:` — a local cloud for a test or a notebook, gone afterwards."""
    cloud = LocalCloud(config, data_planes).start()
    try:
        yield cloud
    finally:
        cloud.stop()
