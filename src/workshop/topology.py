"""Which paths between the host and the containers this Docker engine offers: measured, never assumed.

The workshop needs three (DESIGN.md, principle 7): the host reaches a port a container publishes on 127.0.0.1;
containers reach each other by name, dotted aliases included, on a user-defined network; containers on the local
cloud's network reach it as `localcloud.localhost`. Whether the host also reaches a container's own address tells
the engine's topology (a native Linux engine: yes; Docker Desktop, Colima, rootless Docker: no); nothing needs it.

`probe()` starts a labelled network and small containers from the Python base image, measures, and removes them;
`verdict()` turns what it measured into a doctor row: (ok, detail, fix).
"""
import http.client
import ipaddress
import socket
import time
import uuid
from dataclasses import dataclass, field

import docker
import requests

from workshop.settings import PYTHON_BASE_IMAGE

PROBE_LABEL = "org.workshop.topology-probe"  # its value starts with the run's start time, in epoch seconds
ALIAS = "probe.localhost"  # dotted, like the cloud's own names on its network
SERVER_PORT = 8000
TIMEOUT_S = 20
CLEANUP_MARGIN_S = 4  # of the timeout, kept for the host's own attempts and the removal
LEFTOVER_AGE_S = 60  # labelled things older than any probe lives are an interrupted run's; younger may be running
RESTART = ("restart the Docker engine (Docker Desktop: Troubleshoot → Restart; `colima restart`; "
           "`sudo systemctl restart docker`; rootless: `systemctl --user restart docker`), then run the doctor again")
CLOUD_FIX = "run `localcloud down` then `localcloud up --detach`"

# Fetches each URL, retrying until its deadline (the server may still be starting); exits 1 naming what failed.
FETCH = """
import sys, time, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # inside the engine's networks: no proxy
deadline = time.monotonic() + float(sys.argv[1])
for url in sys.argv[2:]:
    while True:
        try:
            opener.open(url, timeout=2).read()
            break
        except Exception as error:
            if time.monotonic() > deadline:
                sys.exit(f"{url}: {error}")
            time.sleep(0.2)
"""


@dataclass
class Paths:
    """What the probe measured: True works, False does not, None was not tried."""

    published: bool | None = None     # host → a port a container publishes on 127.0.0.1 (needed)
    by_name: bool | None = None       # container → container by name and dotted alias (needed)
    container_ip: bool | None = None  # host → a container's own address (tells the topology; never needed)
    cloud: bool | None = None         # container → the local cloud by its name (needed when one runs)
    cloud_url: str = ""               # what was fetched for `cloud`; empty when no local cloud runs
    reasons: list[str] = field(default_factory=list)  # why paths failed, in the engine's or client's words
    problem: str = ""                 # what stopped the probe before it could measure
    run: str = ""                     # PROBE_LABEL's value on everything this run started


def probe(client: docker.DockerClient, cloud: tuple[str, int] | None = None, timeout: float = TIMEOUT_S) -> Paths:
    """Measure the paths on `client`'s engine; `cloud` is (network, port) of a running local cloud.

    Everything it starts carries PROBE_LABEL and is removed before it returns, whatever happens."""
    deadline = time.monotonic() + timeout
    run = f"{int(time.time())}-{uuid.uuid4().hex[:8]}"
    paths, started, network = Paths(run=run), [], None
    window = str(max(1.0, timeout - CLEANUP_MARGIN_S))
    try:
        remove_leftovers(client)
        network = client.networks.create(f"workshop-probe-{run}", driver="bridge", labels={PROBE_LABEL: run})
        server = _start(client, started, run, "server", network.name,
                        ["python3", "-m", "http.server", str(SERVER_PORT)],
                        ports={f"{SERVER_PORT}/tcp": ("127.0.0.1",)}, aliases=[ALIAS])
        peer = _start(client, started, run, "peer", network.name,
                      ["python3", "-c", FETCH, window, f"http://{ALIAS}:{SERVER_PORT}/",
                       f"http://{server.name}:{SERVER_PORT}/"])
        cloud_client = None
        if cloud:
            paths.cloud_url = f"http://localcloud.localhost:{cloud[1]}/_localcloud/status"
            try:
                cloud_client = _start(client, started, run, "cloud", cloud[0],
                                      ["python3", "-c", FETCH, window, paths.cloud_url])
            except docker.errors.NotFound:  # the image is there (the server runs): the cloud's network is gone
                paths.cloud = False
                paths.reasons.append(f"the local cloud's network {cloud[0]} does not exist")

        paths.by_name = _succeeded(peer, deadline, paths.reasons)
        server.reload()
        if server.status != "running":
            paths.problem = f"the probe's web server stopped: {_last_line(server)}"
            return paths
        settings = server.attrs["NetworkSettings"]
        port = int(settings["Ports"][f"{SERVER_PORT}/tcp"][0]["HostPort"])
        # Once a container has had an answer the server is up: the host needs no long wait then.
        until = min(deadline, time.monotonic() + 3) if paths.by_name else deadline - CLEANUP_MARGIN_S / 2
        paths.published = _answers("127.0.0.1", port, until)
        if not paths.published:
            paths.reasons.append(f"nothing answered at 127.0.0.1:{port}, where the engine published the server")
        if paths.published or paths.by_name:  # the server is up, so one attempt at its address is a fair test
            address = settings["Networks"][network.name]["IPAddress"]
            # Tried only where this host routes the address to one of its own networks: elsewhere the attempt
            # would leave the machine (Docker Desktop, Colima and rootless engines keep their networks to themselves).
            paths.container_ip = on_a_local_network(address) and _answers(address, SERVER_PORT, 0)
        if cloud_client:
            paths.cloud = _succeeded(cloud_client, deadline, paths.reasons)
    except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
        paths.problem = f"{type(error).__name__}: {error}"
    finally:
        _remove(started, network)
    return paths


def verdict(paths: Paths) -> tuple[bool, str, str]:
    """The doctor's row: (ok, detail, fix). Only the needed paths can fail it."""
    if paths.problem:
        return False, f"the probe could not run: {paths.problem}", RESTART
    topology = {True: "host also reaches container addresses (native Linux engine)",
                False: "published ports only (Docker Desktop / Colima / rootless topology)",
                None: "not determined"}[paths.container_ip]
    needed = [(paths.published, "host → port published on 127.0.0.1",
               f"the engine does not forward published ports to 127.0.0.1: {RESTART}"),
              (paths.by_name, "container → container by name",
               f"containers cannot reach each other by name on their network: {RESTART}")]
    if paths.cloud_url:
        needed.append((paths.cloud, "container → localcloud.localhost", CLOUD_FIX))
    marks = [f"{what} {'✔' if works else '✘'}" for works, what, _ in needed]
    if not paths.cloud_url:
        marks.append("container → local cloud not tried (none running)")
    detail = f"host ↔ containers: {topology} — {', '.join(marks)}"
    fixes = [fix for works, _, fix in needed if not works]
    if fixes:
        return False, detail + (f" ({'; '.join(paths.reasons)})" if paths.reasons else ""), "; ".join(fixes)
    return True, detail, ""


def remove_leftovers(client: docker.DockerClient, older_than: float = LEFTOVER_AGE_S) -> None:
    """Remove what an interrupted probe left behind; a probe still running elsewhere is younger and kept."""
    cutoff = time.time() - older_than
    containers = client.containers.list(all=True, filters={"label": PROBE_LABEL})
    _remove([container for container in containers if _started(container.labels) < cutoff], None)
    for network in client.networks.list(filters={"label": PROBE_LABEL}):
        if _started(network.attrs.get("Labels")) < cutoff:
            _remove([], network)


def _start(client, started: list, run: str, role: str, network: str, command: list[str], ports=None, aliases=None):
    container = client.containers.create(
        PYTHON_BASE_IMAGE, command, name=f"workshop-probe-{run}-{role}", labels={PROBE_LABEL: run}, detach=True,
        network=network, ports=ports or {},
        networking_config={network: client.api.create_endpoint_config(aliases=aliases)} if aliases else None)
    started.append(container)  # before it starts, so a failed start is removed too
    container.start()
    return container


def _succeeded(container, deadline: float, reasons: list[str]) -> bool:
    """Whether a fetching container exits 0 by the deadline; its complaint joins `reasons` when not."""
    try:
        code = container.wait(timeout=max(1.0, deadline - time.monotonic()))["StatusCode"]
    except requests.exceptions.RequestException:
        reasons.append(f"{container.name} did not finish in time")
        return False
    if code != 0:
        reasons.append(_last_line(container))
    return code == 0


def on_a_local_network(address: str, route_table: str = "/proc/net/route") -> bool:
    """Whether this host has a route to `address` other than its default one (Linux; elsewhere: False)."""
    try:
        lines = open(route_table).read().splitlines()[1:]
    except OSError:
        return False
    wanted = int(ipaddress.IPv4Address(address))
    for line in lines:
        fields = line.split()
        destination, mask = (socket.ntohl(int(value, 16)) for value in (fields[1], fields[7]))
        if mask and wanted & mask == destination:
            return True
    return False


def _answers(host: str, port: int, until: float) -> bool:
    """Whether the probe's web server answers at host:port, trying until `until` (at least once)."""
    while True:
        connection = http.client.HTTPConnection(host, port, timeout=1)  # not urllib: a proxy must not answer for it
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            return response.status == 200 and b"Directory listing" in response.read()
        except (OSError, http.client.HTTPException):
            if time.monotonic() >= until:
                return False
            time.sleep(0.2)
        finally:
            connection.close()


def _last_line(container) -> str:
    lines = container.logs().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"{container.name} exited without a word"


def _started(labels: dict | None) -> float:
    try:
        return float((labels or {})[PROBE_LABEL].split("-")[0])
    except (KeyError, ValueError):
        return 0  # unreadable: treat as old


def _remove(containers: list, network) -> None:
    # Best effort: what stays behind carries the label, and the next probe removes it.
    for container in containers:
        try:
            container.remove(force=True)
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            pass
    if network is not None:
        try:
            network.remove()
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            pass
