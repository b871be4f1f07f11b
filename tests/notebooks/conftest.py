"""Running notebooks end to end with papermill, the way CI does.

papermill stops at the first failing cell and raises PapermillExecutionError, but it also raises for a cell tagged
`raises-exception` that failed as intended. `run_notebook` keeps papermill's behaviour and exception, and only
leaves out errors the notebook declares.

Live progress in a CI log: `pytest -m notebook --log-cli-level=INFO` (papermill logs each cell and its output).
"""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError
from papermill.execute import ERROR_MARKER_TAG

from workshop.paths import REPO_ROOT
from workshop.settings import KERNEL_NAME

CELL_TIMEOUT_S = 300
NOTEBOOK_TIMEOUT_S = 1800  # a whole notebook; pyproject's default test timeout is meant for ordinary tests
EXPECTED_ERROR_TAG = "raises-exception"
PAPERMILL_CELL_TAGS = {ERROR_MARKER_TAG, "injected-parameters"}

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


def read_executed(path: Path) -> nbformat.NotebookNode:
    """An executed notebook without the cells papermill adds, so cell indices are those of the source notebook."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = [cell for cell in notebook.cells
                      if not PAPERMILL_CELL_TAGS & set(cell.metadata.get("tags", []))]
    return notebook


def error_outputs(cell) -> list:
    return [output for output in cell.get("outputs", []) if output.output_type == "error"]


def first_unexpected_error(notebook: nbformat.NotebookNode) -> PapermillExecutionError | None:
    for index, cell in enumerate(notebook.cells):
        errors = error_outputs(cell)
        if EXPECTED_ERROR_TAG in cell.metadata.get("tags", []):
            continue
        if errors:
            error = errors[0]
            return PapermillExecutionError(index, cell.execution_count, cell.source,
                                           error.ename, error.evalue, error.traceback)
        if cell.metadata.get("papermill", {}).get("exception"):
            return PapermillExecutionError(index, cell.execution_count, cell.source, "CellExecutionError", "", [])
    return None


def execute(source: Path, output_dir: Path) -> Path:
    """Execute `source` in its own folder into output_dir/<name>; the copy stays there for inspection.

    Raises PapermillExecutionError for the first error in a cell not tagged `raises-exception`; its cell_index
    counts the cells of `source`.
    """
    output = output_dir / source.name
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(source, output, kernel_name=KERNEL_NAME, cwd=source.parent,
                                   execution_timeout=CELL_TIMEOUT_S, progress_bar=False, log_output=True)
    except PapermillExecutionError:
        notebook = read_executed(output)
        error = first_unexpected_error(notebook)
        if error is not None:
            raise error from None
        nbformat.write(notebook, output)  # it ran as intended: drop papermill's "An Exception was encountered"
    return output


@pytest.fixture
def run_notebook(notebook_local_cloud):
    """execute(source, output_dir) -> path of the executed copy; see `execute`."""
    return execute


@pytest.fixture
def executed():
    """read_executed(path) -> the executed notebook, its cells indexed as in the source notebook."""
    return read_executed
