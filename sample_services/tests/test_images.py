"""Each sample image builds offline from its own folder, and the services run as containers that talk by name."""

import os
import time
import uuid
from pathlib import Path

import httpx
import pytest

from workshop.settings import WORKSHOP_LABEL

pytestmark = pytest.mark.docker

SAMPLE_SERVICES = Path(__file__).resolve().parents[1]
RUN = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
LABELS = {WORKSHOP_LABEL: "true", "org.workshop.test": RUN}


@pytest.fixture(scope="module")
def engine():
    docker = pytest.importorskip("docker")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        pytest.skip(f"no Docker engine: {error}")
    made = {"containers": [], "networks": [], "images": []}
    yield client, made
    for container in made["containers"]:
        container.remove(force=True)
    for network in made["networks"]:
        network.remove()
    for tag in reversed(made["images"]):  # later images may share layers with earlier ones
        client.images.remove(tag)


def build(engine, folder: str) -> str:
    client, made = engine
    tag = f"workshop-test/{folder.replace('/', '-')}:{RUN}"
    client.images.build(path=str(SAMPLE_SERVICES / folder), tag=tag, labels=LABELS, rm=True, forcerm=True)
    made["images"].append(tag)
    return tag


def wait_healthy(container, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        status = container.attrs["State"].get("Health", {}).get("Status")
        if status == "healthy" or container.status == "exited":
            return status
        time.sleep(0.3)
    return status


def published(container) -> str:
    return f"http://127.0.0.1:{container.attrs['NetworkSettings']['Ports']['8000/tcp'][0]['HostPort']}"


def test_the_three_services_run_as_containers_and_an_order_crosses_two_of_them(engine):
    client, made = engine
    network = client.networks.create(f"workshop-test-shop-{RUN}", labels=LABELS)
    made["networks"].append(network)
    env = {"users": {}, "catalog": {"APP_VERSION": "2.0"}, "orders": {"CATALOG_URL": f"http://catalog-{RUN}:8000"}}
    containers = {}
    for service in ("catalog", "users", "orders"):
        containers[service] = client.containers.run(
            build(engine, service), name=f"{service}-{RUN}", detach=True, environment=env[service], labels=LABELS,
            network=network.name, ports={"8000/tcp": ("127.0.0.1", None)})
        made["containers"].append(containers[service])
    for service, container in containers.items():
        assert wait_healthy(container) == "healthy", container.logs().decode()[-2000:]
        assert container.attrs["Config"]["User"] == "app"
        health = httpx.get(f"{published(container)}/health")
        assert health.json()["service"] == service
        assert health.headers["X-Served-By"].startswith(f"{service}/{env[service].get('APP_VERSION', '1.0')}/")

    order = httpx.post(f"{published(containers['orders'])}/orders", json={"user_id": 1, "book_id": 2, "quantity": 1},
                       headers={"X-Correlation-Id": f"image-test-{RUN}"})
    assert order.status_code == 201
    assert httpx.get(f"{published(containers['catalog'])}/catalog/books/2").json()["stock"] == 6
    catalog_log = containers["catalog"].logs().decode()
    assert f'"correlation_id": "image-test-{RUN}"' in catalog_log


def test_the_notifier_image_has_its_handler_where_the_lambda_runtime_looks(engine):
    client, _ = engine
    tag = build(engine, "functions/notifier")
    assert client.images.get(tag).attrs["Config"]["Cmd"] == ["app.handler"]
    output = client.containers.run(tag, entrypoint=["python", "-c", "import app; print(app.handler.__name__)"],
                                   working_dir="/var/task", remove=True, labels=LABELS)
    assert output.decode().strip() == "handler"
