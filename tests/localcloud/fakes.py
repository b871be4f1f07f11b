"""Stand-ins shared by the engine-free tests: a clock that moves only when told, and a control plane serving
providers."""
import contextlib

import boto3

from localcloud.control_plane import ControlPlane
from localcloud.providers import Providers


class FakeClock:
    """Monotonic time that moves only when a test says so."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextlib.contextmanager
def served_by(*providers, region: str = "us-east-1"):
    """A control plane on a free loopback port answering with `providers`; yields a boto3 client maker for it."""
    registry = Providers()
    for provider in providers:
        registry.register(provider)
    control_plane = ControlPlane("127.0.0.1", 0, {}, providers=registry)
    control_plane.start()
    try:
        yield lambda service: boto3.client(service, endpoint_url=f"http://127.0.0.1:{control_plane.port}",
                                           region_name=region, aws_access_key_id="any",
                                           aws_secret_access_key="any")
    finally:
        control_plane.stop()
