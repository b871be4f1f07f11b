"""setup.rootless_engine: a second engine whose container IPs the host cannot reach, as with Docker Desktop."""
import io
import pwd
import subprocess
import time
import uuid

import docker
import httpx
import pytest

from setup import base_images, rootless_engine
from workshop.settings import BASE_IMAGES, PYTHON_BASE_IMAGE
from workshop.topology import on_a_local_network

ACCOUNT = pwd.struct_passwd(("workshop-rootless", "x", 1001, 1001, "", "/home/workshop-rootless", "/usr/sbin/nologin"))


def test_its_docker_host_is_the_socket_in_its_runtime_dir(tmp_path):
    assert rootless_engine.docker_host() == "unix:///run/workshop/rootless/docker.sock"
    assert rootless_engine.docker_host(tmp_path) == f"unix://{tmp_path}/docker.sock"


def test_print_host_prints_only_the_docker_host(capsys):
    assert rootless_engine.main(["--print-host"]) == 0
    assert capsys.readouterr().out == "unix:///run/workshop/rootless/docker.sock\n"


@pytest.mark.parametrize("system, euid, os_release, expected", [
    ("Linux", 0, 'ID=debian\nVERSION_ID="12"\n', True),
    ("Linux", 0, "ID=ubuntu\nID_LIKE=debian\n", True),
    ("Linux", 1000, "ID=debian\n", False),
    ("Linux", 0, "ID=fedora\n", False),
    ("Darwin", 0, "", False),
])
def test_only_debian_family_linux_hosts_as_root_qualify(system, euid, os_release, expected):
    assert rootless_engine.is_debian_root_host(system, euid, os_release) is expected


def test_other_hosts_are_told_what_to_use_instead(monkeypatch):
    monkeypatch.setattr(rootless_engine.platform, "system", lambda: "Darwin")
    with pytest.raises(rootless_engine.SetupError, match="as root, only: elsewhere use Docker Desktop or Colima"):
        rootless_engine.require_debian_root_host()


def test_an_answering_engine_is_used_as_it_is(monkeypatch):
    monkeypatch.setattr(rootless_engine, "engine_version", lambda host, timeout=3: "20.10.24 (API 1.41)")
    monkeypatch.setattr(rootless_engine, "start_engine", lambda account: pytest.fail("must not start another"))
    monkeypatch.setattr(rootless_engine, "apt_install", lambda packages: pytest.fail("must not install anything"))
    assert rootless_engine.ensure_rootless_engine() == "20.10.24 (API 1.41)"


def test_a_subid_range_is_added_after_those_in_use_and_only_once():
    line = rootless_engine.subid_line
    assert line("workshop-rootless", "") == "workshop-rootless:100000:65536\n"
    assert line("workshop-rootless", "alice:100000:65536\n") == "workshop-rootless:165536:65536\n"
    assert line("workshop-rootless", "alice:100000:65536\nworkshop-rootless:165536:65536\n") is None


@pytest.mark.parametrize("mode, needs_chmod", [(0o20600, True), (0o20660, True), (0o20666, False)])
def test_the_tun_device_is_opened_up_only_when_others_cannot_use_it(mode, needs_chmod):
    assert rootless_engine.tun_needs_chmod(mode) is needs_chmod


def test_the_engine_runs_with_a_clean_environment_of_its_own():
    env = rootless_engine.start_env(ACCOUNT)
    assert env == {"HOME": "/home/workshop-rootless", "USER": "workshop-rootless", "LOGNAME": "workshop-rootless",
                   "PATH": rootless_engine.SYSTEM_PATH, "XDG_RUNTIME_DIR": "/run/workshop/rootless"}
    assert "/usr/sbin" in env["PATH"].split(":")  # iptables, newuidmap


def test_only_our_users_rootlesskit_counts_as_our_engine():
    cmdline = b"rootlesskit\0--net=slirp4netns\0--copy-up=/run\0/usr/share/docker.io/contrib/dockerd-rootless.sh\0"
    assert rootless_engine.is_our_engine(cmdline, owner_uid=1001, user_uid=1001)
    assert not rootless_engine.is_our_engine(cmdline, owner_uid=0, user_uid=1001)
    assert not rootless_engine.is_our_engine(b"sleep\0100\0", owner_uid=1001, user_uid=1001)


def test_stop_without_our_engine_touches_nothing(monkeypatch, capsys):
    monkeypatch.setattr(rootless_engine, "our_engine_pid", lambda: None)
    monkeypatch.setattr(rootless_engine.os, "kill", lambda *args: pytest.fail("must not signal anything"))
    assert rootless_engine.main(["stop"]) == 0
    assert "no rootless engine started by this setup runs" in capsys.readouterr().out


def test_a_dead_process_is_not_alive():
    dead = subprocess.Popen(["true"])
    time.sleep(0.2)  # a zombie until reaped: still not alive
    assert not rootless_engine.alive(dead.pid)
    dead.wait()
    assert not rootless_engine.alive(dead.pid)


def test_an_engine_that_dies_at_start_shows_its_log(monkeypatch, tmp_path):
    log = tmp_path / "dockerd-rootless.log"
    log.write_text("+ rootlesskit --net=slirp4netns\n[rootlesskit:parent] error: failed to setup network: tap0\n")
    monkeypatch.setattr(rootless_engine, "LOG_FILE", log)
    monkeypatch.setattr(rootless_engine, "engine_version", lambda host, timeout=3: None)
    dead = subprocess.Popen(["true"])
    dead.wait()
    with pytest.raises(rootless_engine.SetupError, match="failed to setup network: tap0"):
        rootless_engine.wait_until_answering(dead.pid)


def test_images_come_from_the_engine_setup_engine_starts_unless_docker_host_names_another(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert rootless_engine.main_engine_host() == "unix:///var/run/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    assert rootless_engine.main_engine_host() == "tcp://127.0.0.1:2375"


def test_images_are_copied_only_where_the_target_lacks_them_or_holds_another_id():
    source = {"python:3.13-slim": "sha256:a", "registry:2": "sha256:b", "lambda:3.13": None}
    target = {"python:3.13-slim": "sha256:a", "registry:2": "sha256:old", "lambda:3.13": None}
    assert base_images.images_to_copy(source, target) == ["registry:2"]
    assert base_images.images_to_copy(dict.fromkeys(source), target) == []


def test_the_copy_is_one_save_piped_into_one_load(monkeypatch):
    commands = []

    class Save:
        def __init__(self, command, **kwargs):
            commands.append(command)
            self.stdout, self.returncode = io.BytesIO(), 0

        def wait(self):
            return 0

    def load(command, **kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(base_images.subprocess, "Popen", Save)
    monkeypatch.setattr(base_images.subprocess, "run", load)
    base_images.copy_images(["python:3.13-slim", "registry:2"], "unix:///run/workshop/rootless/docker.sock")
    assert commands == [["docker", "save", "python:3.13-slim", "registry:2"],
                        ["docker", "-H", "unix:///run/workshop/rootless/docker.sock", "load", "--quiet"]]


def test_missing_images_are_built_in_the_rootless_engine_when_the_main_engine_lacks_them(monkeypatch):
    built = []
    monkeypatch.setattr(rootless_engine.docker, "DockerClient", lambda **kwargs: "rootless")
    monkeypatch.setattr(rootless_engine, "main_engine", lambda: None)
    monkeypatch.setattr(rootless_engine, "image_ids", lambda client, names: dict.fromkeys(names))
    monkeypatch.setattr(rootless_engine, "copy_images", lambda *args: pytest.fail("nothing to copy from"))
    monkeypatch.setattr(rootless_engine, "ensure_base_images", built.append)
    rootless_engine.ensure_rootless_images()
    assert built == ["rootless"]


@pytest.fixture(scope="module")
def rootless():
    host = rootless_engine.docker_host()
    if rootless_engine.engine_version(host) is None:
        pytest.skip(f"no rootless engine answers at {host} (start it: python -m setup.rootless_engine)")
    client = docker.DockerClient(base_url=host, version="auto")
    yield client
    client.close()


@pytest.mark.docker
def test_the_rootless_engine_holds_the_main_engines_base_images(rootless):
    main = rootless_engine.main_engine()
    assert main is not None, f"the main engine does not answer at {rootless_engine.main_engine_host()}"
    assert base_images.image_ids(rootless, BASE_IMAGES) == base_images.image_ids(main, BASE_IMAGES)


def answer(url: str) -> str | None:
    """The body at url, or None when nothing answers there."""
    try:
        return httpx.get(url, timeout=2, trust_env=False).text
    except httpx.TransportError:
        return None


@pytest.mark.docker
def test_published_loopback_ports_answer_and_container_ips_do_not(rootless):
    # A token only this container serves: whatever else may listen at the same address cannot pass for it.
    token = uuid.uuid4().hex
    command = f"mkdir /srv/probe && cd /srv/probe && echo {token} > token && exec python3 -m http.server 8000"
    container = rootless.containers.run(PYTHON_BASE_IMAGE, ["sh", "-c", command], detach=True,
                                        ports={"8000/tcp": ("127.0.0.1", None)}, remove=True)
    try:
        container.reload()
        port = container.ports["8000/tcp"][0]["HostPort"]
        deadline = time.monotonic() + 20
        while answer(f"http://127.0.0.1:{port}/token") is None:
            assert time.monotonic() < deadline, container.logs().decode()[-500:]
            time.sleep(0.2)
        assert answer(f"http://127.0.0.1:{port}/token").strip() == token
        network = container.attrs["NetworkSettings"]
        assert network["IPAddress"] and network["Gateway"]
        for address in (network["IPAddress"], network["Gateway"]):
            if not on_a_local_network(address):
                continue  # not this host's network: a connection would leave the machine, and cannot reach it
            assert token not in (answer(f"http://{address}:8000/token") or ""), f"{address} reaches the container"
    finally:
        container.stop(timeout=1)
