"""An embedded local AWS: moto as the control plane, data planes on a real Docker engine."""
import importlib

import localcloud.loopback_names  # noqa: F401  (the cloud's `*.localhost` names resolve to 127.0.0.1 here)

__all__ = ["Config", "LocalCloud", "client_address", "running"]

# Resolved on first use: `python -m localcloud status` must not pay for importing moto and docker.
_LAZY = {"Config": "localcloud.config", "LocalCloud": "localcloud.cloud", "running": "localcloud.cloud",
         "client_address": "localcloud.security_groups"}  # the address a caller on this host is seen as


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'localcloud' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
