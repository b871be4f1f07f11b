"""Every learner notebook runs to its end on each path a learner takes (learner_paths.py): every exercise answered
wrong, then right in the same cell; and every exercise skipped through its reference answer. Each check that must
fail says its one line; nothing else fails."""
import nbformat
import pytest

from tests.notebooks.learner_paths import PATHS, failed_checks, write_variant
from workshop.paths import BUILD, NOTEBOOKS

LEARNER_NOTEBOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))
SKIPPED, PASSED = "↷ Exercise", "✔ Exercise"


def reference_outputs(notebook) -> list[str]:
    return ["".join(output.get("text", "") for output in cell.outputs) for cell in notebook.cells
            if cell.cell_type == "code" and "reference" in cell.metadata.get("tags", [])]


@pytest.mark.notebook
@pytest.mark.parametrize("path", [pytest.param(path, marks=[pytest.mark.skipped_path] if path == "skipped" else [])
                                  for path in PATHS])
@pytest.mark.parametrize("source", LEARNER_NOTEBOOKS, ids=lambda source: source.name)
def test_a_learner_reaches_the_end_of_the_notebook(source, path, run_notebook, executed):
    variant = write_variant(source, path, BUILD / "learner-paths" / path)
    notebook = executed(run_notebook(variant, BUILD / "executed" / f"learner-{path}"))  # raises on any other error

    for expected, said in failed_checks(notebook):
        assert said is not None, f"exercise {expected['exercise']}'s check passed, but must say: {expected['message']}"
        assert said.startswith("ExerciseIncomplete: ") and "\n" not in said.strip(), said
        assert expected["message"] in said, f"exercise {expected['exercise']}: {said}"
    outcome = SKIPPED if path == "skipped" else PASSED
    for output in reference_outputs(notebook):
        # a reference answer may print its own progress (a build, a push) before the closing line
        assert any(line.startswith(outcome) for line in output.splitlines()), output
    learner = nbformat.read(source, as_version=4)
    exercises = sum("exercise" in cell.metadata.get("tags", []) for cell in learner.cells)
    assert len(reference_outputs(notebook)) == exercises
