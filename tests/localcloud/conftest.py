"""Tests of the local cloud: each module starts its own cloud (port 0, a unique instance name)."""
import os
from pathlib import Path

import pytest

# The ECR front listens on 4510 by default; tests pick free ports so they never meet a running cloud.
os.environ.setdefault("LOCALCLOUD_REGISTRY_PORT", "0")


def pytest_collection_modifyitems(items):
    # Test modules here share test images by tag and remove them when done: under `pytest -n`, one worker runs them all.
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.xdist_group("localcloud"))
