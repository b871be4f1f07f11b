"""The three paths a learner takes through a notebook, built as notebooks papermill can run end to end.

- answered: each exercise first gets its typical wrong answer (from the solution's `exercise.wrong`), whose check
  must fail with the expected line; then the solution, run again in the same cell (the cells are idempotent), whose
  check must pass; the reference answer then has nothing to do.
- skipped: every exercise left as `...`: its check says so in one line, the reference answer runs, and the notebook
  goes on to its end.
The variants tag the checks that must fail `raises-exception` (so papermill goes on); `failed_checks` reads back
what each said.
"""
import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat

from workshop.checks import unanswered
from workshop.paths import SOLUTIONS

EXPECTED_TO_FAIL = "raises-exception"
PATHS = ("answered", "skipped")


@dataclass(frozen=True)
class ExpectedFailure:
    exercise_id: str
    message: str    # the check's one line, or a part of it


def solution_cells(learner_path: Path) -> dict[str, nbformat.NotebookNode]:
    """The solution cell of each exercise, by id."""
    solution = nbformat.read(SOLUTIONS / learner_path.name, as_version=4)
    return {cell.metadata.exercise["id"]: cell for cell in solution.cells
            if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])}


def tagged(cell, tag: str) -> bool:
    return cell.cell_type == "code" and tag in cell.metadata.get("tags", [])


def expecting_failure(cell, exercise_id: str, message: str):
    cell = copy.deepcopy(cell)
    cell.metadata.setdefault("tags", []).append(EXPECTED_TO_FAIL)
    cell.metadata["expected_failure"] = {"exercise": exercise_id, "message": message}
    return cell


def with_source(cell, source: str, suffix: str):
    cell = copy.deepcopy(cell)
    cell.source = source
    cell.id = f"{cell.id}-{suffix}"[:64]
    return cell


def variant(learner_path: Path, path: str) -> nbformat.NotebookNode:
    """The learner notebook as a learner on `path` would run it."""
    if path not in PATHS:
        raise ValueError(f"no path {path!r}: choose one of {PATHS}")
    notebook = nbformat.read(learner_path, as_version=4)
    solutions = solution_cells(learner_path)
    cells, pending = [], None
    for cell in notebook.cells:
        if tagged(cell, "exercise"):
            pending = cell
            continue
        if pending is not None and tagged(cell, "check"):
            exercise_id = pending.metadata.exercise["id"]
            solution = solutions[exercise_id]
            if path == "skipped":
                first_name = pending.metadata.exercise["names"][0]
                cells += [pending, expecting_failure(cell, exercise_id, unanswered(first_name))]
            else:
                wrong = solution.metadata.exercise["wrong"]
                cells += [with_source(pending, wrong["source"], "wrong"),
                          expecting_failure(with_source(cell, cell.source, "wrong"), exercise_id, wrong["message"]),
                          with_source(pending, solution.source, "answer"), cell]
            pending = None
            continue
        cells.append(cell)
    notebook.cells = cells
    return notebook


def write_variant(learner_path: Path, path: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / learner_path.name
    nbformat.write(variant(learner_path, path), target)
    return target


def failed_checks(executed: nbformat.NotebookNode) -> list[tuple[dict, str | None]]:
    """Each check expected to fail, with the one line it said (None if it raised nothing)."""
    found = []
    for cell in executed.cells:
        expected = cell.metadata.get("expected_failure")
        if expected:
            errors = [output for output in cell.outputs if output.output_type == "error"]
            said = f"{errors[0].ename}: {errors[0].evalue}" if errors else None
            found.append((expected, said))
    return found
