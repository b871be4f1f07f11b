"""The base images behave like the official ones for what learner Dockerfiles use, and stand-ins say so."""
import subprocess

import pytest

from localcloud import engine as docker_engine
from localcloud.cpu import ARM64, X86_64
from setup import base_images, wheelhouse
from workshop.settings import PYTHON_BASE_IMAGE, REGISTRY_IMAGE, STANDIN_LABEL

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def client():
    return docker_engine.client()


def run(client, image, command, user=None):
    return client.containers.run(image, ["sh", "-c", command], user=user, remove=True).decode().strip()


def test_python_and_pip_are_on_path(client):
    output = run(client, PYTHON_BASE_IMAGE, "python --version && pip --version")
    assert output.startswith("Python 3.13")
    assert "pip " in output


def test_pip_installs_the_sample_services_requirements_without_network(client):
    requirements = " ".join(wheelhouse.requirement_lines())
    container_output = client.containers.run(
        PYTHON_BASE_IMAGE, ["sh", "-c", f"pip install --no-cache-dir {requirements} && python -c 'import fastapi'"],
        network_disabled=True, remove=True)
    assert b"Successfully installed" in container_output


def test_a_non_root_user_can_be_added_and_use_python(client):
    output = run(client, PYTHON_BASE_IMAGE, "useradd --create-home --uid 10001 app && su app -c 'id -u && python -c \"print(1)\"'")
    assert output.splitlines() == ["10001", "1"]


def test_stand_ins_carry_a_label_saying_what_they_were_built_from(client):
    for name in (PYTHON_BASE_IMAGE, REGISTRY_IMAGE):
        labels = client.images.get(name).labels or {}
        if STANDIN_LABEL not in labels:
            pytest.skip(f"{name} is the official image here")
        assert labels[STANDIN_LABEL].startswith(f"local stand-in for {name}")
        assert "Debian" in labels[STANDIN_LABEL]


def test_the_registry_image_serves_the_registry_api(client):
    container = client.containers.run(REGISTRY_IMAGE, detach=True, ports={"5000/tcp": ("127.0.0.1", None)})
    try:
        container.reload()
        import httpx
        import time

        port = container.ports["5000/tcp"][0]["HostPort"]
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, container.logs().decode()[-500:]
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    finally:
        container.remove(force=True, v=True)


def test_present_images_are_skipped(monkeypatch, client):
    monkeypatch.setattr(base_images, "try_pull", lambda *a: pytest.fail("must not pull a present image"))
    monkeypatch.setattr(base_images, "build_rootfs_image", lambda *a: pytest.fail("must not rebuild"))
    fingerprint = (client.images.get(PYTHON_BASE_IMAGE).labels or {}).get(base_images.WHEELHOUSE_LABEL, "")
    base_images.ensure_python_image(client, fingerprint)
    base_images.ensure_registry_image(client)


def test_too_little_disk_stops_before_building(monkeypatch, client, tmp_path):
    class Usage:
        free = 0.5e9

    monkeypatch.setattr(base_images.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(base_images.SetupError, match="only 0.5 GB free .* needs 2 GB"):
        base_images.check_disk(client, tmp_path)


def machine_is(monkeypatch, debian_architecture: str) -> None:
    """What `dpkg --print-architecture` (debootstrap's default) says on this machine."""
    answer = subprocess.CompletedProcess(["dpkg"], 0, f"{debian_architecture}\n", "")
    monkeypatch.setattr(base_images.subprocess, "run", lambda *args, **kwargs: answer)


def test_a_stand_in_is_not_built_for_an_engine_of_another_cpu(monkeypatch, client):
    monkeypatch.setattr(base_images.docker_engine, "architecture", lambda engine=None: ARM64)
    machine_is(monkeypatch, "amd64")
    monkeypatch.setattr(base_images, "require_debootstrap", lambda: None)
    monkeypatch.setattr(base_images, "run_logged", lambda *a: pytest.fail("must not debootstrap for another CPU"))
    with pytest.raises(base_images.SetupError, match="runs arm64 images but this machine is amd64.*docker pull"):
        base_images.build_rootfs_image(client)


def test_a_stand_in_for_an_engine_of_this_machines_cpu_is_allowed(monkeypatch, client):
    monkeypatch.setattr(base_images.docker_engine, "architecture", lambda engine=None: X86_64)
    machine_is(monkeypatch, "amd64")
    base_images.require_engine_cpu(client)
