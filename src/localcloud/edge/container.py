"""The edge container: the relay program on the cloud network, answering to the cloud's names, its control port
published on 127.0.0.1."""
import io
import tarfile
import time
from importlib import resources

import docker

from localcloud import docker_resources

EDGE_IMAGE = "python:3.13-slim"  # any image with python3; this one is there after set-up, pulled or built locally
PART = "edge"
# Ports inside the edge's own network namespace, below 1024 so they never meet a port the host hands out
# (the edge also accepts on the host's ports, one for one).
CONTROL_PORT = 999
REGISTRY_PORT = 998
READY_TIMEOUT_S = 30


class EdgeUnavailable(Exception):
    """The edge container did not start or does not answer; the message says what to do."""


def container_name(network: str) -> str:
    return f"{network}-edge"


def start_edge(client: docker.DockerClient, network: str, aliases: list[str], labels: dict, registry_port: int):
    """Start the edge on `network`; return (container, control port, registry port) as published on 127.0.0.1."""
    name = container_name(network)
    try:
        client.containers.get(name).remove(force=True)
    except docker.errors.NotFound:
        pass
    try:
        container = client.containers.create(
            EDGE_IMAGE, ["python3", "/edge/relay.py", str(CONTROL_PORT)], name=name, labels=labels, detach=True,
            ports={f"{CONTROL_PORT}/tcp": ("127.0.0.1", None),
                   f"{REGISTRY_PORT}/tcp": ("127.0.0.1", registry_port or None)},
            network=network, networking_config={network: client.api.create_endpoint_config(aliases=aliases)})
    except docker.errors.ImageNotFound:
        raise EdgeUnavailable(f"the image {EDGE_IMAGE} is missing: run `make lab` (or `python -m setup.base_images`) "
                              f"once to pull it or build its local stand-in") from None
    container.put_archive("/", _program_archive())
    try:
        container.start()
    except docker.errors.APIError as error:
        container.remove(force=True)
        if "allocated" in str(error) or "in use" in str(error):
            raise EdgeUnavailable(f"port {registry_port} on 127.0.0.1 is taken, so the registry cannot be published "
                                  f"there: stop what listens on it, or set LOCALCLOUD_REGISTRY_PORT to a free "
                                  f"port") from None
        raise
    container.reload()
    ports = container.attrs["NetworkSettings"]["Ports"]
    return (container, int(ports[f"{CONTROL_PORT}/tcp"][0]["HostPort"]),
            int(ports[f"{REGISTRY_PORT}/tcp"][0]["HostPort"]))


def wait_until_answering(container, ping) -> None:
    """Until `ping()` succeeds; the container's log when it exits or does not answer in time."""
    logs = docker_resources.wait_until_answering(container, lambda: ping() or True, READY_TIMEOUT_S)
    if logs is not None:
        raise EdgeUnavailable(f"the edge container {container.name} does not answer; its log:\n{logs}")


def _program_archive() -> bytes:
    program = resources.files("localcloud.edge").joinpath("relay.py").read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("edge/relay.py")
        info.size, info.mode, info.mtime = len(program), 0o644, int(time.time())
        archive.addfile(info, io.BytesIO(program))
    return buffer.getvalue()
