"""Every learner notebook runs as a learner first meets it: up to the check of its first exercise, which fails
with the one-line message that says the answer is still missing. A notebook without exercises runs to the end."""
import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from workshop.checks import unanswered
from workshop.paths import BUILD, NOTEBOOKS

LEARNER_NOTEBOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))
EXECUTED = BUILD / "executed" / "notebooks"


def first_exercise(notebook) -> int | None:
    return next((index for index, cell in enumerate(notebook.cells)
                 if cell.cell_type == "code" and "exercise" in cell.metadata.get("tags", [])), None)


def cells_not_run_cleanly(cells) -> list[int]:
    """Code cells that did not complete, or raised without being tagged raises-exception."""
    def clean(cell):
        raised = any(output.output_type == "error" for output in cell.outputs)
        return cell.metadata.papermill.status == "completed" and (
            not raised or "raises-exception" in cell.metadata.get("tags", []))
    return [index for index, cell in enumerate(cells) if cell.cell_type == "code" and not clean(cell)]


@pytest.mark.notebook
@pytest.mark.parametrize("source", LEARNER_NOTEBOOKS, ids=lambda path: path.name)
def test_learner_notebook_runs_until_its_first_unanswered_exercise(source, run_notebook, executed):
    learner = nbformat.read(source, as_version=4)
    exercise = first_exercise(learner)
    if exercise is None:
        notebook = executed(run_notebook(source, EXECUTED))
        assert not cells_not_run_cleanly(notebook.cells), "a notebook without exercises runs to the end"
        return

    check = exercise + 1
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(source, EXECUTED)
    first_name = learner.cells[exercise].metadata.exercise["names"][0]
    assert (raised.value.ename, raised.value.evalue) == ("ExerciseIncomplete", unanswered(first_name))
    assert raised.value.cell_index == check, f"raised in cell {raised.value.cell_index}, not the check cell {check}"
    before = executed(EXECUTED / source.name).cells[:check]
    assert not cells_not_run_cleanly(before), "every cell before the first check runs cleanly"
