"""Which addresses on the cloud's network belong to a running container, kept current by the engine's events.

A target whose container was killed leaves no host behind, so connecting to it would hang until the 10 s connect
timeout; knowing the address is gone lets the load balancer answer 502 at once, as an ALB does for a dead target.
"""
import ipaddress
import logging
import threading

log = logging.getLogger(__name__)


class AttachedAddresses:
    def __init__(self, docker_client, network_id: str):
        self._docker = docker_client
        self._network_id = network_id
        self._subnets: list = []
        self._attached: frozenset[str] = frozenset()
        self._events = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self.refresh()
        self._events = self._docker.events(decode=True, filters={"type": "network", "network": self._network_id})
        self._thread = threading.Thread(target=self._follow, name="elbv2-network-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._events is not None:
            self._events.close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _follow(self) -> None:
        try:
            for _ in self._events:  # a container connected or disconnected: look again
                try:
                    self.refresh()
                except Exception:
                    log.exception("could not read the network's containers; trying at the next event")
        except Exception:
            if not self._stopping.is_set():
                log.exception("engine events stopped; killed targets are now found by timeouts")

    def refresh(self) -> None:
        attrs = self._docker.api.inspect_network(self._network_id)
        self._subnets = [ipaddress.ip_network(config["Subnet"]) for config in attrs["IPAM"]["Config"]
                         if "Subnet" in config]
        self._attached = frozenset(container["IPv4Address"].split("/")[0]
                                   for container in (attrs.get("Containers") or {}).values())

    def is_gone(self, ip: str) -> bool:
        """True for an address of the network that no running container holds."""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in subnet for subnet in self._subnets) and ip not in self._attached
