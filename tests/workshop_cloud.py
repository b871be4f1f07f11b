"""A local cloud for tests of the workshop package: a Session on it, as `connect("local")` would give a notebook."""
import contextlib
import uuid

import pytest

import localcloud
from localcloud.config import Config
from workshop.session import Session


@contextlib.contextmanager
def local_session(name: str):
    """A cloud of its own (port 0, a unique instance), the client environment set, a unique prefix."""
    with pytest.MonkeyPatch.context() as patch, \
            localcloud.running(Config(port=0, instance=f"t-{name}-{uuid.uuid4().hex[:8]}")) as cloud:
        for variable, value in cloud.config.client_environment().items():
            patch.setenv(variable, value)
        try:
            yield Session(mode="local", region=cloud.config.region, account=cloud.config.account_id,
                          prefix=f"t{uuid.uuid4().hex[:6]}")
        finally:
            cloud.reset()  # moto's state is per process: nothing of this cloud outlives it
