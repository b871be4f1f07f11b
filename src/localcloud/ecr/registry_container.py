"""The registry itself: the CNCF distribution registry (`registry:2`) as a labelled container with its own volume."""
import docker
import httpx

from localcloud import docker_resources

REGISTRY_IMAGE = "registry:2"
REGISTRY_PORT = "5000/tcp"
STORAGE = "/var/lib/registry"
READY_TIMEOUT_S = 30
PART = "ecr"


class RegistryUnavailable(Exception):
    """The registry container did not start or does not answer; the message says what to do."""


def container_name(cloud) -> str:
    return f"{cloud.config.network}-registry"


def start_registry(cloud) -> str:
    """Start a fresh, empty registry on the cloud's network, published on loopback; return its base URL."""
    name = container_name(cloud)
    remove_registry(cloud)
    try:
        volume = cloud.docker.volumes.create(name, labels=cloud.labels(PART))
        container = cloud.docker.containers.run(
            REGISTRY_IMAGE, detach=True, name=name, network=cloud.config.network, labels=cloud.labels(PART),
            ports={REGISTRY_PORT: ("127.0.0.1", None)},  # loopback only, any free port: only the front talks to it
            volumes={volume.name: {"bind": STORAGE, "mode": "rw"}},
            environment={"REGISTRY_STORAGE_DELETE_ENABLED": "true"})  # ECR deletes images; the registry must allow it
    except docker.errors.ImageNotFound:
        raise RegistryUnavailable(f"the image {REGISTRY_IMAGE} is missing: run `make lab` (or `python -m "
                                  f"setup.base_images`) once to pull it or build its local stand-in") from None
    container.reload()
    url = f"http://127.0.0.1:{container.attrs['NetworkSettings']['Ports'][REGISTRY_PORT][0]['HostPort']}"
    wait_until_serving(container, url)
    return url


def wait_until_serving(container, url: str) -> None:
    with httpx.Client(timeout=1.0) as client:
        logs = docker_resources.wait_until_answering(container, lambda: client.get(f"{url}/v2/").status_code == 200,
                                                     READY_TIMEOUT_S, not_yet=(httpx.TransportError,))
    if logs is not None:
        raise RegistryUnavailable(f"the registry container {container.name} does not answer at {url}; its log:\n{logs}")


def remove_registry(cloud) -> None:
    """The container and its volume (the cloud removes them too; this is for a reset or a restart)."""
    name = container_name(cloud)
    try:
        cloud.docker.containers.get(name).remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    try:
        cloud.docker.volumes.get(name).remove(force=True)
    except docker.errors.NotFound:
        pass
