"""The Docker side of the local cloud: its labelled network, and removing everything it ever started."""
import logging
import time
from collections.abc import Callable

import docker

from localcloud.config import MANAGED_LABEL, PART_LABEL


log = logging.getLogger(__name__)


def labels(instance: str, part: str, **extra: str) -> dict[str, str]:
    return {MANAGED_LABEL: instance, PART_LABEL: part, **extra}


def selector(instance: str) -> dict[str, str]:
    return {"label": f"{MANAGED_LABEL}={instance}"}


def ensure_network(client: docker.DockerClient, name: str, instance: str):
    """The bridge network that tasks, the registry and functions share (container DNS by name)."""
    existing = client.networks.list(names=[name], filters=selector(instance))
    if existing:
        return existing[0]
    return client.networks.create(name, driver="bridge", labels=labels(instance, "network"))


def remove_everything(client: docker.DockerClient, instance: str) -> dict[str, int]:
    """Containers, then networks and volumes, carrying this cloud's label. Idempotent."""
    filters = selector(instance)
    removed = {"containers": 0, "networks": 0, "volumes": 0}
    for container in client.containers.list(all=True, filters=filters):
        try:
            container.remove(force=True, v=True)
            removed["containers"] += 1
        except docker.errors.NotFound:
            pass
    for network in client.networks.list(filters=filters):
        try:
            network.reload()
            for container_id in network.attrs.get("Containers") or {}:  # endpoints of containers gone astray
                network.disconnect(container_id, force=True)
            network.remove()
            removed["networks"] += 1
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as error:  # the engine keeps a stale endpoint: reuse the network next time
            log.warning("network %s could not be removed (%s); it will be reused", network.name, error.explanation)
    for volume in client.volumes.list(filters=filters):
        try:
            volume.remove(force=True)
            removed["volumes"] += 1
        except docker.errors.NotFound:
            pass
    return removed


def leftovers(client: docker.DockerClient, instance: str) -> dict[str, list[str]]:
    """Names of whatever still carries this cloud's label; all empty after `down`."""
    filters = selector(instance)
    return {"containers": [c.name for c in client.containers.list(all=True, filters=filters)],
            "networks": [n.name for n in client.networks.list(filters=filters)],
            "volumes": [v.name for v in client.volumes.list(filters=filters)]}


def wait_until_answering(container, answers: Callable[[], bool], timeout_s: float,
                         not_yet: tuple[type[Exception], ...] = (OSError,)) -> str | None:
    """Poll `answers()` (it may raise `not_yet`) until it is true: None; or until the container exits or time runs out:
    the tail of its log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if answers():
                return None
        except not_yet:
            pass
        container.reload()
        if container.status == "exited":
            break
        time.sleep(0.02)
    return container.logs(tail=10).decode(errors="replace")
