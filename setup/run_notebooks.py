"""Running a notebook end to end with papermill, as the notebook tests and the workshop bench do.

papermill stops at the first failing cell and raises PapermillExecutionError, but it also raises for a cell tagged
`raises-exception` that failed as intended. `execute` keeps papermill's behaviour and exception, and only leaves out
errors the notebook declares.
"""
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError
from papermill.execute import ERROR_MARKER_TAG

from workshop.settings import KERNEL_NAME

CELL_TIMEOUT_S = 300
EXPECTED_ERROR_TAG = "raises-exception"
PAPERMILL_CELL_TAGS = {ERROR_MARKER_TAG, "injected-parameters"}


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


def execute(source: Path, output_dir: Path, parameters: dict | None = None) -> Path:
    """Execute `source` in its own folder into output_dir/<name>, with papermill's `parameters` (MODE, PREFIX)
    if given; the copy stays there for inspection.

    Raises PapermillExecutionError for the first error in a cell not tagged `raises-exception`; its cell_index
    counts the cells of `source`.
    """
    output = output_dir / source.name
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(source, output, kernel_name=KERNEL_NAME, cwd=source.parent,
                                   execution_timeout=CELL_TIMEOUT_S, progress_bar=False, log_output=True,
                                   parameters=parameters or {})
    except PapermillExecutionError:
        notebook = read_executed(output)
        error = first_unexpected_error(notebook)
        if error is not None:
            raise error from None
        nbformat.write(notebook, output)  # it ran as intended: drop papermill's "An Exception was encountered"
    return output
