"""The edge: how the host and the containers both reach the local cloud, on every Docker engine.

On Docker Desktop, Colima and rootless Docker only one path crosses between the host and the containers: a port a
container publishes on 127.0.0.1. So the cloud's servers listen on 127.0.0.1 on the host, and one container on
the cloud network, the edge, stands for them there: it answers to the cloud's names (`localcloud.localhost`,
`elb.localhost`, `execute-api.localhost`) and accepts on the same ports, carrying each connection to the host over
a connection the host opened to it (`relay.py`, `tunnels.py`). The host resolves every `*.localhost` name to
127.0.0.1 (`localcloud.loopback_names`), so a URL such as `http://elb.localhost:41234/` works as returned on both
sides. The registry's port is published by the edge too, so the engine pushes and pulls through it.
"""
import docker

from localcloud.edge.container import REGISTRY_PORT, EdgeUnavailable, start_edge
from localcloud.edge.tunnels import EdgeUnreachable, Tunnels, dial

__all__ = ["Edge", "EdgeUnavailable", "EdgeUnreachable"]


class Edge:
    def __init__(self, client, network: str, aliases: list[str], labels: dict, registry_port: int):
        self._start = lambda: start_edge(client, network, aliases, labels, registry_port)
        self.network = network
        self.names = f"{', '.join(aliases)} in the network {network}"  # how containers reach the cloud
        self.container = None
        self.tunnels: Tunnels | None = None
        self.registry_port: int | None = None  # the registry as published on 127.0.0.1 (what repositoryUri names)

    def start(self) -> "Edge":
        self.container, control_port, self.registry_port = self._start()
        self.tunnels = Tunnels(("127.0.0.1", control_port)).start()
        return self

    def expose(self, port: int, target: tuple[str, int] | None = None) -> None:
        """Containers reach the host's 127.0.0.1:`port` (or `target`) at any of the cloud's names, on `port`."""
        self.tunnels.expose(port, target)

    def expose_registry(self, front_port: int) -> None:
        """The registry port the edge publishes leads to the registry front on this host."""
        self.tunnels.expose(REGISTRY_PORT, ("127.0.0.1", front_port))

    async def dial(self, host: str, port: int, ssl=None):
        """A connection from this host to host:port in the cloud network (a container's address or name)."""
        return await dial(self.tunnels.control, host, port, ssl)

    def withdraw(self, port: int) -> None:
        if self.tunnels is not None:
            self.tunnels.withdraw(port)

    def status(self) -> dict:
        """Ready while the host can offer spares; otherwise why not and what to do."""
        if self.tunnels is None or self.tunnels.unreachable_since is None:
            return {"ready": self.tunnels is not None, "endpoint": self.names}
        try:
            self.container.reload()
            state = f"the edge container {self.container.name} is {self.container.status}"
            if self.network not in (self.container.attrs["NetworkSettings"]["Networks"] or {}):
                state = f"the edge container {self.container.name} is no longer on the network {self.network}"
        except docker.errors.NotFound:
            state = f"the edge container {self.container.name} was removed"
        except docker.errors.DockerException:
            state = "the Docker engine does not answer"
        return {"ready": False, "endpoint": self.names,
                "error": f"{state}, so tasks and functions cannot reach the local cloud: start the Docker engine "
                         f"if it stopped, then run `localcloud down` and `localcloud up`"}

    def close(self) -> None:
        """Stop carrying connections; the container goes with the rest of the cloud's containers."""
        if self.tunnels is not None:
            self.tunnels.close()
