"""Containers that run the local cloud's own programs from the edge image, their control ports published on
127.0.0.1: the edge (`relay.py`, answering to the cloud's names) and each Cloud Map name's relay."""
import io
import socket
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
COMMAND_TIMEOUT_S = 5
PROGRAM_DIR = "program"  # in the container: the program, with the modules it imports beside it
SHARED_MODULES = ("localcloud.edge.streams",)  # what the programs import besides the standard library


class EdgeUnavailable(Exception):
    """The edge container did not start or does not answer; the message says what to do."""


class ProgramSilent(Exception):
    """A program's container started, but its control port did not answer in time."""

    def __init__(self, container, logs: str):
        super().__init__(f"the container {container.name} does not answer; its log:\n{logs}")
        self.container, self.logs = container, logs


def container_name(network: str) -> str:
    return f"{network}-edge"


def start_edge(client: docker.DockerClient, network: str, aliases: list[str], labels: dict, registry_port: int):
    """Start the edge on `network`; return (container, control port, registry port) as published on 127.0.0.1."""
    try:
        container, control = start_program(
            client, container_name(network), "localcloud.edge.relay", CONTROL_PORT, network=network,
            aliases=aliases, labels=labels, ports={f"{REGISTRY_PORT}/tcp": ("127.0.0.1", registry_port or None)})
    except docker.errors.ImageNotFound:
        raise EdgeUnavailable(f"the image {EDGE_IMAGE} is missing: run `make lab` (or `python -m setup.base_images`) "
                              f"once to pull it or build its local stand-in") from None
    except ProgramSilent as silent:
        raise EdgeUnavailable(f"the edge container {silent.container.name} does not answer; its log:\n"
                              f"{silent.logs}") from None
    except docker.errors.APIError as error:
        if "allocated" in str(error) or "in use" in str(error):
            raise EdgeUnavailable(f"port {registry_port} on 127.0.0.1 is taken, so the registry cannot be published "
                                  f"there: stop what listens on it, or set LOCALCLOUD_REGISTRY_PORT to a free "
                                  f"port") from None
        raise
    return container, control[1], published_port(container, REGISTRY_PORT)


def start_program(client: docker.DockerClient, name: str, program: str, control_port: int, *, network: str,
                  aliases: list[str], labels: dict, ports: dict | None = None):
    """Start the container `name` from the edge image, on `network` under `aliases`, running the module `program`
    (e.g. "localcloud.edge.relay") with `control_port`, published on 127.0.0.1 beside `ports`; once that port answers
    PING, return (container, control address). Raises docker's errors, or ProgramSilent."""
    try:
        client.containers.get(name).remove(force=True)  # a leftover of an earlier run
    except docker.errors.NotFound:
        pass
    container = client.containers.create(
        EDGE_IMAGE, ["python3", f"/{PROGRAM_DIR}/{program.rpartition('.')[2]}.py", str(control_port)], name=name,
        labels=labels, detach=True, ports={f"{control_port}/tcp": ("127.0.0.1", None), **(ports or {})},
        network=network, networking_config={network: client.api.create_endpoint_config(aliases=aliases)})
    container.put_archive("/", program_archive([program, *SHARED_MODULES]))
    try:
        container.start()
    except docker.errors.APIError:
        container.remove(force=True)
        raise
    container.reload()
    control = ("127.0.0.1", published_port(container, control_port))
    logs = docker_resources.wait_until_answering(container, lambda: command(control, "PING") or True, READY_TIMEOUT_S)
    if logs is not None:
        raise ProgramSilent(container, logs)
    return container, control


def published_port(container, port: int) -> int:
    return int(container.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"])


def command(control: tuple[str, int], line: str) -> None:
    """Send one control line to a program and wait for its OK."""
    with socket.create_connection(control, timeout=COMMAND_TIMEOUT_S) as sock:
        sock.sendall(f"{line}\n".encode())
        answer = sock.makefile("rb").readline().decode().strip()
    if answer != "OK":
        raise OSError(f"the program answered {answer or 'nothing'!r}")


def program_archive(modules: list[str]) -> bytes:
    """The modules' source files side by side in PROGRAM_DIR, so that each imports the others by their bare names."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for module in modules:
            package, _, name = module.rpartition(".")
            source = resources.files(package).joinpath(f"{name}.py").read_bytes()
            info = tarfile.TarInfo(f"{PROGRAM_DIR}/{name}.py")
            info.size, info.mode, info.mtime = len(source), 0o644, int(time.time())
            archive.addfile(info, io.BytesIO(source))
    return buffer.getvalue()
