"""EcrPlane: the registry container and its front, started and stopped with the cloud."""
from localcloud.ecr import images
from localcloud.ecr.auth import Credentials
from localcloud.ecr.front import RegistryFront
from localcloud.ecr.keeper import RegistryKeeper, registry_running
from localcloud.ecr.provider import EcrProvider
from localcloud.ecr.registry_container import remove_registry, start_registry

class EcrPlane:
    name = "ecr"

    def __init__(self):
        self.cloud = None
        self.credentials = Credentials()
        self.registry_url: str | None = None  # the registry container, published on loopback for the front
        self._front: RegistryFront | None = None
        self._registry_host: str | None = None
        self._keeper: RegistryKeeper | None = None
        self._provider: EcrProvider | None = None

    # --- what other planes use -------------------------------------------------------------------------------------
    @property
    def registry_host(self) -> str:
        """`127.0.0.1:<port>`: the registry part of every repositoryUri, published by the cloud's edge."""
        return self._registry_host

    @property
    def proxy_endpoint(self) -> str:
        return f"http://{self.registry_host}"

    def auth_config(self) -> dict[str, str]:
        """Credentials for `docker_client.images.pull(ref, auth_config=…)`."""
        return self.credentials.auth_config()

    def backend(self):
        """moto's ECR state for the cloud's account and region."""
        return self.cloud.backend("ecr")

    # --- DataPlane -------------------------------------------------------------------------------------------------
    def start(self, cloud) -> None:
        self.cloud = cloud
        self.registry_url = start_registry(cloud)
        self._front = RegistryFront(self.credentials, lambda: cloud.backend("ecr"), self.registry_url)
        self._registry_host = f"127.0.0.1:{cloud.edge.registry_port}"
        self._front.start()
        self._front.public_host = self.registry_host
        cloud.edge.expose_registry(self._front.port)
        images.forget_images(cloud.backend("ecr"))
        self._provider = EcrProvider(self, cloud.config.account_id, cloud.config.region)
        cloud.providers.register(self._provider)
        self._keeper = RegistryKeeper(cloud, self._use_registry)
        self._keeper.start()

    def stop(self) -> None:
        if self._provider is not None:
            self.cloud.providers.unregister(self._provider)
        if self._keeper is not None:
            self._keeper.stop()
        if self._front is not None:
            self._front.stop()
        if self.cloud is not None:
            remove_registry(self.cloud)
        self.cloud = None

    def reset(self) -> None:
        # moto's ECR state is new and empty; so is the registry's, on a fresh container and volume.
        with self._keeper.lock:
            self._keeper.replace()

    def _use_registry(self, url: str) -> None:
        self.registry_url = url
        self._front.upstream_url = url

    def status(self) -> dict:
        ready = (self._front is not None and self._front.serving and not self._keeper.replacing.is_set()
                 and registry_running(self.cloud))
        return {"ready": ready, "endpoint": self.proxy_endpoint if self._front is not None else None}
