"""The edge: containers reach the cloud's servers on this host, and this host reaches the cloud network, only through
ports published on 127.0.0.1 — the one path every engine (Docker Desktop, Colima, rootless, native) offers."""
import asyncio
import contextlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import httpx
import pytest

import localcloud
from localcloud import docker_resources
from localcloud import engine as docker_engine
from localcloud.config import CLOUD_HOST, Config
from localcloud.edge import Edge, relay
from localcloud.edge.container import EDGE_IMAGE, EdgeUnavailable
from localcloud.edge.tunnels import EdgeUnreachable, Tunnels, dial
from localcloud.loopback_names import is_loopback_name


# --- the relay and the tunnels, in this process (no engine) -----------------------------------------------------------
@pytest.fixture
def edge():
    """The relay program on a loopback control port, in a thread of its own, with the host's tunnels to it."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(relay.Edge().control, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    tunnels = Tunnels(("127.0.0.1", server.sockets[0].getsockname()[1]), spares=2).start()
    yield tunnels
    tunnels.close()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def web_server():
    class Echo(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_connection_to_an_exposed_port_reaches_the_server_behind_it(edge, web_server):
    port = free_port()  # in one namespace the edge cannot take the server's own port, so map another to it
    edge.expose(port, ("127.0.0.1", web_server))
    with httpx.Client() as client:  # kept alive: one carried connection serves many requests
        for number in range(3):
            assert client.post(f"http://127.0.0.1:{port}/", content=f"request {number}").text == f"request {number}"


def test_more_connections_at_once_than_spares_all_get_through(edge, web_server):
    port = free_port()
    edge.expose(port, ("127.0.0.1", web_server))

    def call(number):
        return httpx.post(f"http://127.0.0.1:{port}/", content=str(number), timeout=10).text
    with ThreadPoolExecutor(12) as pool:
        assert sorted(pool.map(call, range(24)), key=int) == [str(number) for number in range(24)]


def test_a_large_body_crosses_whole_both_ways(edge, web_server):
    port = free_port()
    edge.expose(port, ("127.0.0.1", web_server))
    body = os.urandom(3 * 1024 * 1024)
    assert httpx.post(f"http://127.0.0.1:{port}/", content=body, timeout=30).content == body


def test_a_withdrawn_port_accepts_nothing(edge, web_server):
    port = free_port()
    edge.expose(port, ("127.0.0.1", web_server))
    edge.withdraw(port)
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://127.0.0.1:{port}/", content="x")


def test_dial_reaches_an_address_as_the_edge_sees_it_and_says_why_when_it_cannot(edge, web_server):
    async def exchange(port):
        reader, writer = await dial(edge.control, "127.0.0.1", port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        answer = await reader.read()
        writer.close()
        return answer
    assert asyncio.run(exchange(web_server)).endswith(b"hi")
    with pytest.raises(ConnectionRefusedError, match=r"cannot be reached in the cloud network: ERR"):
        asyncio.run(exchange(free_port()))


def test_an_edge_that_does_not_answer_is_named_with_the_fix():
    with pytest.raises(EdgeUnreachable, match=r"edge container does not answer .* `localcloud down`"):
        Tunnels(("127.0.0.1", free_port())).command("PING")


@pytest.mark.parametrize("name, loopback", [("elb.localhost", True), ("execute-api.localhost.", True),
                                            ("LOCALCLOUD.LOCALHOST", True), (b"x.localhost", True),
                                            ("localhost.example.com", False), ("127.0.0.1", False)])
def test_localhost_names_are_this_host(name, loopback):
    assert is_loopback_name(name) is loopback
    if loopback:
        assert socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)[0][4][0] == "127.0.0.1"


# --- on the engine ------------------------------------------------------------------------------------------------------
def instance_name() -> str:
    return f"t-edge-{uuid.uuid4().hex[:8]}"


def listening_addresses(pid: int = os.getpid()) -> set[str]:
    """The local addresses this process listens on, read from /proc (Linux): which interfaces its servers face."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                    addresses.add(fields[1].rsplit(":", 1)[0])
    return addresses


@pytest.fixture(scope="module")
def cloud():
    with localcloud.running(Config(port=0, instance=instance_name())) as cloud:
        yield cloud


def in_a_container(cloud, script: str) -> str:
    return cloud.docker.containers.run(EDGE_IMAGE, ["python3", "-c", script], network=cloud.config.network,
                                       labels=cloud.labels("edge-test"), remove=True).decode()


@pytest.mark.docker
def test_the_cloud_listens_on_loopback_only(tmp_path):
    """A cloud of its own process, with a load balancer and an API (each a port): none faces a bridge address."""
    port = free_port()
    env = dict(os.environ, LOCALCLOUD_PORT=str(port), LOCALCLOUD_REGISTRY_PORT="0", LOCALCLOUD_INSTANCE=instance_name(),
               LOCALCLOUD_STATE_DIR=str(tmp_path / "state"))
    cli = [sys.executable, "-m", "localcloud"]
    try:
        assert subprocess.run([*cli, "up", "--detach"], env=env, capture_output=True, timeout=120).returncode == 0
        endpoint = f"http://127.0.0.1:{port}"
        clients = {name: boto3.client(name, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t",
                                      aws_secret_access_key="t") for name in ("ec2", "elbv2", "apigatewayv2")}
        subnet = clients["ec2"].describe_subnets()["Subnets"][0]["SubnetId"]
        clients["elbv2"].create_load_balancer(Name="loopback", Subnets=[subnet])
        clients["apigatewayv2"].create_api(Name="loopback", ProtocolType="HTTP")
        pid = json.loads((tmp_path / "state" / "localcloud.pid").read_text())["pid"]
        assert listening_addresses(pid) == {"0100007F"}, "a server of the cloud listens beyond 127.0.0.1"
    finally:
        subprocess.run([*cli, "down"], env=env, capture_output=True, timeout=120)


@pytest.mark.docker
def test_a_container_reaches_the_aws_api_by_the_cloud_name_on_the_same_port(cloud):
    url = f"{cloud.container_endpoint_url}/_localcloud/status"
    assert url.startswith(f"http://{CLOUD_HOST}:{cloud.config.port}/")
    script = f"import urllib.request as u; print(u.urlopen({url!r}, timeout=10).status)"
    assert in_a_container(cloud, script).strip() == "200"
    assert httpx.get(url).status_code == 200  # the same string on this host


@pytest.mark.docker
def test_this_host_reaches_a_container_by_name_through_the_edge_only(cloud):
    name = f"{cloud.config.instance}-named-{uuid.uuid4().hex[:6]}"
    server = cloud.docker.containers.run(EDGE_IMAGE, ["python3", "-m", "http.server", "8000"], name=name,
                                         network=cloud.config.network, labels=cloud.labels("edge-test"), detach=True)
    try:
        async def get():
            for _ in range(100):
                try:
                    reader, writer = await cloud.connect((name, 8000))
                    break
                except ConnectionRefusedError:
                    await asyncio.sleep(0.1)
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            answer = await reader.read()
            writer.close()
            return answer
        assert asyncio.run(get()).startswith(b"HTTP/1.0 200")
    finally:
        server.remove(force=True)


@pytest.mark.docker
def test_a_removed_edge_is_reported_with_the_fix_and_down_still_leaves_nothing():
    instance = instance_name()
    engine = docker_engine.client()
    with localcloud.running(Config(port=0, instance=instance), data_planes=[]) as cloud:
        cloud.edge.container.remove(force=True)
        for _ in range(100):
            edge = cloud.status()["parts"]["edge"]
            if not edge["ready"]:
                break
            asyncio.run(asyncio.sleep(0.05))
        assert "was removed" in edge["error"] and "`localcloud down` and `localcloud up`" in edge["error"]
    assert docker_resources.leftovers(engine, instance) == {"containers": [], "networks": [], "volumes": []}


@pytest.mark.docker
def test_a_taken_registry_port_is_named_with_the_fix_and_nothing_is_left():
    instance = instance_name()
    engine = docker_engine.client()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EdgeUnavailable, match=rf"port {port} on 127.0.0.1 is taken.*LOCALCLOUD_REGISTRY_PORT"):
            localcloud.running(Config(port=0, instance=instance, registry_port=port), data_planes=[]).__enter__()
    assert docker_resources.leftovers(engine, instance) == {"containers": [], "networks": [], "volumes": []}


@pytest.mark.docker
def test_a_missing_edge_image_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr("localcloud.edge.container.EDGE_IMAGE", f"workshop-missing-{uuid.uuid4().hex[:6]}:none")
    instance = instance_name()
    with pytest.raises(EdgeUnavailable, match=r"is missing: run `make lab`"):
        localcloud.running(Config(port=0, instance=instance), data_planes=[]).__enter__()
    assert docker_resources.leftovers(docker_engine.client(), instance)["containers"] == []


def test_an_edge_whose_engine_stopped_says_so_and_what_to_do():
    import types

    import docker

    class EngineGone:
        name = "localcloud-edge"

        def reload(self):
            raise docker.errors.DockerException("Error while fetching server API version")
    edge = Edge(client=None, network="localcloud", aliases=["localcloud.localhost"], labels={}, registry_port=0)
    edge.container, edge.tunnels = EngineGone(), types.SimpleNamespace(unreachable_since=1.0)
    status = edge.status()
    assert not status["ready"]
    assert status["error"].startswith("the Docker engine does not answer, so tasks and functions cannot reach")
    assert "start the Docker engine if it stopped, then run `localcloud down` and `localcloud up`" in status["error"]


@pytest.mark.docker
def test_a_removed_network_is_reported_with_the_fix_and_down_still_leaves_nothing():
    instance = instance_name()
    engine = docker_engine.client()
    with localcloud.running(Config(port=0, instance=instance), data_planes=[]) as cloud:
        network = engine.networks.get(cloud.config.network)
        network.disconnect(cloud.edge.container, force=True)  # a network in use cannot be removed
        network.remove()
        for _ in range(100):
            edge = cloud.status()["parts"]["edge"]
            if not edge["ready"]:
                break
            asyncio.run(asyncio.sleep(0.05))
        assert f"is no longer on the network {cloud.config.network}" in edge["error"]
        assert "`localcloud down` and `localcloud up`" in edge["error"]
    assert docker_resources.leftovers(engine, instance) == {"containers": [], "networks": [], "volumes": []}
