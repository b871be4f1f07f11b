"""Running notebooks end to end with papermill, the way CI does (`setup.run_notebooks`: only errors a notebook
declares with `raises-exception` are left out).

Live progress in a CI log: `pytest -m notebook --log-cli-level=INFO` (papermill logs each cell and its output).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from setup.run_notebooks import execute, read_executed
from workshop.paths import REPO_ROOT

NOTEBOOK_TIMEOUT_S = 1800  # a whole notebook; pyproject's default test timeout is meant for ordinary tests

LOCALCLOUD_ENV = Path(__file__).with_name("localcloud.env")


def localcloud_settings() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in LOCALCLOUD_ENV.read_text().splitlines() if line and not line.startswith("#"))
    settings = dict(pairs)
    settings["LOCALCLOUD_STATE_DIR"] = str(REPO_ROOT / settings["LOCALCLOUD_STATE_DIR"])
    # Set in the environment, they win: two test runs on one engine each give their cloud its own instance and ports.
    return {name: os.environ.get(name, value) for name, value in settings.items()}


@pytest.fixture(scope="session")
def notebook_local_cloud():
    """The kernels papermill starts inherit these settings: modules 04 onwards start (or reuse) this cloud."""
    settings = localcloud_settings()
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    # A cloud that already runs (make test starts one for papermill and nbval to share) is left running.
    already_running = subprocess.run([sys.executable, "-m", "localcloud", "status"], capture_output=True).returncode == 0
    try:
        yield settings
    finally:
        if not already_running:
            subprocess.run([sys.executable, "-m", "localcloud", "down"], check=False, capture_output=True, timeout=120)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# nbval validates the executed copies in build/ (run_nbval.sh); never collect a notebook as a test here.
collect_ignore_glob = ["*.ipynb"]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("notebook") \
                and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(NOTEBOOK_TIMEOUT_S))


@pytest.fixture
def run_notebook(notebook_local_cloud):
    """execute(source, output_dir) -> path of the executed copy; see `execute`."""
    return execute


@pytest.fixture
def executed():
    """read_executed(path) -> the executed notebook, its cells indexed as in the source notebook."""
    return read_executed
