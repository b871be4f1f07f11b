"""Keeps the registry container running: if it is gone or stopped, a fresh (empty) one replaces it."""
import logging
import threading

import docker

from localcloud.ecr import images
from localcloud.ecr.registry_container import container_name, start_registry
from localcloud.serving import repeat_in_thread

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 1.0


def registry_running(cloud) -> bool:
    try:
        return cloud.docker.api.inspect_container(container_name(cloud))["State"]["Running"]
    except docker.errors.NotFound:
        return False


class RegistryKeeper:
    def __init__(self, cloud, on_new_registry):
        self.cloud = cloud
        self._on_new_registry = on_new_registry  # called with the new registry's URL
        self.lock = threading.Lock()  # one replacement at a time (a reset replaces it too)
        self.replacing = threading.Event()  # set only while a replacement runs: status() is not ready then
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ecr-registry-keeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        repeat_in_thread(self.reconcile_once, CHECK_INTERVAL_S, self._stopping, "checking the registry container")

    def reconcile_once(self) -> bool:
        """Observe the container; replace it if it is not running. True if it was replaced."""
        if registry_running(self.cloud):
            return False
        with self.lock:
            if self._stopping.is_set() or registry_running(self.cloud):
                return False
            log.warning("the registry container is gone: starting an empty one; images pushed before are lost")
            self.replace()
            return True

    def replace(self) -> None:
        """A fresh registry; ECR no longer lists images that went with the old one (caller holds the lock)."""
        self.replacing.set()
        try:
            url = start_registry(self.cloud)
            images.forget_images(self.cloud.backend("ecr"))
            self._on_new_registry(url)
        finally:
            self.replacing.clear()
