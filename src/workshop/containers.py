"""Run the workshop's services as containers, and tell a learner clearly why one did not come up.

`run_service(image, name, port)` replaces an earlier container of the same name, publishes the service on
127.0.0.1 only, labels it as the workshop's, and returns once the service serves (its HEALTHCHECK says healthy
or its `/health` answers 200). A container that exits at start raises `ContainerExited` with its last log lines;
one that runs but does not answer raises `NotServing`, naming the ports it listens on instead.
"""
import time

import docker
import httpx

from workshop.docker_client import WorkshopError, get_client
from workshop.settings import WORKSHOP_LABEL

STOP_TIMEOUT_S = 3
# How long a service may listen on the wrong port or address before we say so, rather than wait for the timeout.
WRONG_PORT_GRACE_S = 2.0


class ContainerExited(WorkshopError):
    """The container stopped while it should be starting to serve."""

    def __init__(self, message: str, exit_code: int | None = None, logs: str = ""):
        super().__init__(message)
        self.exit_code, self.logs = exit_code, logs


class NotServing(WorkshopError):
    """The container runs, but its service does not answer on the published port."""

    def __init__(self, message: str, problem: str = ""):
        super().__init__(message)
        self.problem = problem  # what is wrong with how it listens, when we could see it


class CannotStart(WorkshopError):
    """The engine refused to start the container (e.g. its USER does not exist in the image)."""


class NameTaken(WorkshopError):
    """A container with the wanted name exists and is not the workshop's, so we leave it alone."""


class PortTaken(WorkshopError):
    """The host port is already in use."""


def url(port: int, path: str = "/") -> str:
    """The address of a published service on this machine."""
    return f"http://127.0.0.1:{port}{path}"


def run_service(image, name: str, port: int | None, *, env: dict | None = None, container_port: int = 8000,
                health_path: str = "/health", timeout: float = 60, command=None, labels: dict | None = None,
                client: docker.DockerClient | None = None, **run_options):
    """Start `image` as container `name`, published on 127.0.0.1:`port`; return it once it serves.

    `port=None` lets the engine pick a free port; `published_port(container)` tells which.
    """
    client = client or get_client()
    stop(name, client=client)
    image_ref = image if isinstance(image, str) else image.id
    try:
        container = client.containers.run(
            image_ref, command=command, name=name, detach=True, environment=env or {},
            ports={f"{container_port}/tcp": ("127.0.0.1", port)},
            labels={WORKSHOP_LABEL: "true", **(labels or {})}, **run_options)
    except docker.errors.APIError as error:
        text = str(error.explanation or error)
        if "port is already allocated" in text or "address already in use" in text:
            _remove_quietly(client, name)
            raise PortTaken(f"port 127.0.0.1:{port} is already in use{_who_publishes(client, port)}: stop that "
                            "first (or choose another port), then re-run this cell") from None
        if isinstance(error, docker.errors.ImageNotFound):
            raise
        _remove_quietly(client, name)
        raise CannotStart(f"container {name} could not start: {text.strip()}") from None
    if port is None:
        container.reload()
        port = published_port(container, container_port)
    wait_until_serving(container, port, health_path=health_path, timeout=timeout, container_port=container_port)
    return container


def published_port(container, container_port: int = 8000) -> int:
    """The host port (on 127.0.0.1) that the container's `container_port` is published on."""
    bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{container_port}/tcp") or []
    if not bindings:
        raise NotServing(f"container {container.name} does not publish port {container_port}")
    return int(bindings[0]["HostPort"])


def wait_until_serving(container, port: int, *, health_path: str = "/health", timeout: float = 60,
                       container_port: int = 8000) -> None:
    """Return once the container is healthy or its health path answers 200; raise a clear error otherwise."""
    address = url(port, health_path)
    deadline = time.monotonic() + timeout
    wrong_since = None
    last_answer = "no answer"
    while True:
        container.reload()
        state = container.attrs["State"]
        if state["Status"] in ("exited", "dead"):
            raise exited_error(container)
        health = (state.get("Health") or {}).get("Status")
        if health == "healthy":
            return
        try:
            response = httpx.get(address, timeout=1.0)
            if response.status_code == 200:
                return
            last_answer = f"it answers {response.status_code}"
        except httpx.HTTPError as error:
            last_answer = f"no answer ({type(error).__name__})"
        listening = listening_sockets(container)
        problem = wrong_listener(listening, container_port)
        if problem:
            wrong_since = wrong_since or time.monotonic()
            if time.monotonic() - wrong_since >= WRONG_PORT_GRACE_S:
                raise NotServing(f"nothing answers on port {container_port} in container {container.name}: "
                                 f"{problem}", problem=problem)
        else:
            wrong_since = None
        if time.monotonic() >= deadline:
            detail = f"; its health check says {health}" if health else ""
            raise NotServing(f"container {container.name} runs, but {address} gives {last_answer} after "
                             f"{timeout:.0f} s{detail}. Last log lines:\n{indent(last_logs(container))}")
        time.sleep(0.25)


def exited_error(container) -> ContainerExited:
    code = container.attrs["State"].get("ExitCode")
    logs = last_logs(container)
    return ContainerExited(f"container {container.name} stopped right after starting (exit code {code}). "
                           f"Its last log lines:\n{indent(logs or '(no output)')}", exit_code=code, logs=logs)


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def last_logs(container, lines: int = 10, client: docker.DockerClient | None = None) -> str:
    """The container's last `lines` lines of output (stdout and stderr); `container` may be a name."""
    if isinstance(container, str):
        container = (client or get_client()).containers.get(container)
    return container.logs(tail=lines).decode("utf-8", errors="replace").rstrip()


def stop(name: str, client: docker.DockerClient | None = None, timeout: int = STOP_TIMEOUT_S) -> bool:
    """Stop and remove the workshop's container `name`; False if there was none. Others' containers are kept."""
    client = client or get_client()
    try:
        container = client.containers.get(name)
    except docker.errors.NotFound:
        return False
    if (container.labels or {}).get(WORKSHOP_LABEL) != "true":
        raise NameTaken(f"a container named {name} exists that the workshop did not start: remove it yourself "
                        f"(`docker rm -f {name}`) or choose another name")
    try:
        if container.status == "running":
            container.stop(timeout=timeout)
        container.remove(force=True)
    except docker.errors.NotFound:
        pass  # it removed itself meanwhile
    return True


def memory_usage(container) -> int:
    """Bytes of memory the container uses now, counted as `docker stats` does (page cache left out)."""
    stats = container.stats(stream=False, one_shot=True)
    memory = stats.get("memory_stats") or {}
    detail = memory.get("stats") or {}
    # cgroup v1 names it total_inactive_file, cgroup v2 inactive_file.
    cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    return max(memory.get("usage", 0) - cache, 0)


DOCKER_DNS_ADDRESS = "127.0.0.11"


def listening_sockets(container) -> list[tuple[str, int]] | None:
    """(address, port) of every TCP socket listening inside the container; None if we cannot look."""
    try:
        result = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"], demux=False)
    except docker.errors.APIError:
        return None
    if result.exit_code != 0 and not result.output:
        return None
    return parse_proc_net_tcp(result.output.decode(errors="replace"))


def parse_proc_net_tcp(text: str) -> list[tuple[str, int]]:
    """Listening sockets from the text of /proc/net/tcp and /proc/net/tcp6."""
    sockets = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[3] != "0A" or ":" not in fields[1]:  # 0A = LISTEN
            continue
        address_hex, port_hex = fields[1].rsplit(":", 1)
        sockets.append((_address(address_hex), int(port_hex, 16)))
    return sorted(set(sockets))


def _address(hex_address: str) -> str:
    if set(hex_address) == {"0"}:
        return "0.0.0.0" if len(hex_address) == 8 else "::"
    if len(hex_address) == 8:
        return ".".join(str(int(hex_address[i:i + 2], 16)) for i in (6, 4, 2, 0))
    if hex_address == "00000000000000000000000001000000":
        return "::1"
    return "ipv6"


def wrong_listener(sockets: list[tuple[str, int]] | None, container_port: int) -> str:
    """Why the listening sockets cannot serve the published port, or '' when they can (or we cannot tell)."""
    # On a user-defined network the engine's DNS resolver listens inside every container: not the app's socket.
    sockets = [(address, port) for address, port in sockets or [] if address != DOCKER_DNS_ADDRESS]
    if not sockets:
        return ""
    if any(port == container_port and address in ("0.0.0.0", "::") for address, port in sockets):
        return ""
    local = [f"{address}:{port}" for address, port in sockets if port == container_port]
    if local:
        return (f"the server listens on {local[0]} only, which nothing outside the container can reach: "
                f"start it on host 0.0.0.0 (e.g. `--host 0.0.0.0`)")
    others = ", ".join(f"{address}:{port}" for address, port in sockets)
    return (f"the server listens on {others} instead: does CMD start uvicorn on 0.0.0.0:{container_port} "
            f"(`--host 0.0.0.0 --port {container_port}`)?")


def _remove_quietly(client, name: str) -> None:
    try:
        client.containers.get(name).remove(force=True)
    except docker.errors.APIError:
        pass


def _who_publishes(client, port: int) -> str:
    for container in client.containers.list():
        for bindings in (container.ports or {}).values():
            if any(str(binding.get("HostPort")) == str(port) for binding in bindings or []):
                return f" by container {container.name}"
    return ""
