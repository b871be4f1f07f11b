"""ECS data plane: tasks are containers on the cloud's network, services keep them running and roll deployments."""
from localcloud.ecs.plane import EcsPlane

__all__ = ["EcsPlane"]
