"""What each data plane (ECR, ECS, ELBv2, later Lambda and API Gateway) offers the local cloud that runs it."""
from typing import Protocol

from localcloud.plane_context import PlaneContext


class DataPlane(Protocol):
    name: str

    def start(self, cloud: PlaneContext) -> None:
        """Start serving, with what the context gives of the cloud; return once the part answers."""

    def stop(self) -> None:
        """Stop serving; return once its threads have ended (containers are removed by the cloud)."""

    def reset(self) -> None:
        """Forget all state (moto's backends were just reset); keep serving."""

    def status(self) -> dict:
        """A small JSON-able summary, e.g. {"ready": True, "endpoint": …}."""
