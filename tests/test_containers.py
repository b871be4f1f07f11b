"""run_service: a service that comes up, one that exits at start, one that listens on the wrong port."""
import os
import socket

import docker
import httpx
import pytest

from tests.engine_fixtures import engine_with_base_image
from workshop.containers import (ContainerExited, NameTaken, NotServing, last_logs, memory_usage,
                                 parse_proc_net_tcp, run_service, stop, url, wrong_listener)
from workshop import docker_client
from workshop.docker_client import EngineUnavailable, get_client
from workshop.settings import PYTHON_BASE_IMAGE, WORKSHOP_LABEL

NAME = f"workshop-test-containers-{os.getpid()}"

# A /health server in the standard library, so these tests need no image of their own.
SERVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404); self.end_headers(); self.wfile.write(b"{}")
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"""

PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001 0 1 1 0 0 0 0 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001 0 2 1 0 0 0 0 0
   2: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000 10001 0 3 1 0 0 0 0 0
"""


def test_listening_sockets_are_read_from_proc_net_tcp():
    assert parse_proc_net_tcp(PROC_NET_TCP) == [("0.0.0.0", 8080), ("127.0.0.1", 8000)]


def test_a_loopback_or_other_port_listener_is_explained():
    assert "0.0.0.0" in wrong_listener([("127.0.0.1", 8000)], 8000)
    assert "listens on 0.0.0.0:8080 instead" in wrong_listener([("0.0.0.0", 8080)], 8000)
    assert wrong_listener([("0.0.0.0", 8000)], 8000) == ""
    assert wrong_listener([("::", 8000)], 8000) == ""
    # Docker's own DNS resolver on a user-defined network is not the app still starting on the wrong port.
    assert wrong_listener([("127.0.0.11", 42457)], 8000) == ""
    assert wrong_listener([], 8000) == ""


def test_no_engine_gives_the_fix_instead_of_a_traceback(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setattr(docker_client, "_client", None)
    with pytest.raises(EngineUnavailable, match="no Docker engine answers .*make lab") as unavailable:
        get_client()
    assert unavailable.value._render_traceback_()[0].startswith("\x1b[31m✘ no Docker engine")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def client():
    client = engine_with_base_image()
    return client


@pytest.fixture
def name(client):
    yield NAME
    try:
        container = client.containers.get(NAME)
        if container.labels.get(WORKSHOP_LABEL) == "true" or container.labels.get("test") == NAME:
            container.remove(force=True)
    except docker.errors.NotFound:
        pass


@pytest.mark.docker
def test_a_service_is_published_on_loopback_labelled_and_stopped(client, name):
    port = free_port()
    container = run_service(PYTHON_BASE_IMAGE, name, port, command=["python", "-c", SERVER, "0.0.0.0", "8000"])
    assert httpx.get(url(port, "/health")).status_code == 200
    assert container.labels[WORKSHOP_LABEL] == "true"
    assert container.ports["8000/tcp"][0]["HostIp"] == "127.0.0.1"
    assert memory_usage(container) > 0
    assert stop(name) is True
    assert stop(name) is False
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(name)


@pytest.mark.docker
def test_running_again_replaces_the_old_container(client, name):
    port = free_port()
    command = ["python", "-c", SERVER, "0.0.0.0", "8000"]
    first = run_service(PYTHON_BASE_IMAGE, name, port, command=command)
    second = run_service(PYTHON_BASE_IMAGE, name, port, command=command)
    assert first.id != second.id
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(first.id)


@pytest.mark.docker
def test_a_container_that_exits_at_start_shows_its_last_log_lines(client, name):
    command = ["python", "-c", "print('loading settings'); raise SystemExit('DATABASE_PATH is not writable')"]
    with pytest.raises(ContainerExited) as exited:
        run_service(PYTHON_BASE_IMAGE, name, free_port(), command=command)
    assert exited.value.exit_code == 1
    assert "stopped right after starting (exit code 1)" in str(exited.value)
    assert "loading settings" in str(exited.value) and "DATABASE_PATH is not writable" in str(exited.value)
    assert "DATABASE_PATH" in last_logs(name)


@pytest.mark.docker
def test_a_server_on_the_wrong_port_is_named_instead_of_waiting(client, name):
    with pytest.raises(NotServing) as silent:
        run_service(PYTHON_BASE_IMAGE, name, free_port(), command=["python", "-c", SERVER, "0.0.0.0", "8080"],
                    timeout=30)
    assert "0.0.0.0:8080" in silent.value.problem


@pytest.mark.docker
def test_a_container_the_workshop_did_not_start_is_left_alone(client, name):
    client.containers.create(PYTHON_BASE_IMAGE, name=name, labels={"test": name})
    with pytest.raises(NameTaken):
        run_service(PYTHON_BASE_IMAGE, name, free_port())
    assert client.containers.get(name).labels["test"] == name  # still there, untouched
