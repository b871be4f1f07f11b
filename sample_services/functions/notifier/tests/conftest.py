"""The handler module, loaded from its file under a name of its own (the recommendations handler is an app.py too)."""

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def notifier():
    spec = importlib.util.spec_from_file_location("notifier_app", Path(__file__).parents[1] / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
