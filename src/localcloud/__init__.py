"""An embedded local AWS: moto as the control plane, data planes on a real Docker engine."""
from localcloud.cloud import LocalCloud, running
from localcloud.config import Config

__all__ = ["Config", "LocalCloud", "running"]
