"""Write the learner notebooks in notebooks/ from the complete notebooks in solutions/.

An exercise in a solution notebook is three cells: a markdown heading `### Exercise 04.1 — <title>`, a code cell
tagged `solution` whose metadata is

    {"exercise": {"id": "04.1", "hint": "<the documentation page, one line>",
                  "near_answer": "<nearly the answer, one line>", "names": ["<name>", ...],
                  "wrong": {"source": "<a typical wrong answer>", "message": "<what its check says>"}}}

and a code cell tagged `check` that calls one `check_…` function (decorated with `exercise_check("04.1")`).
In the learner notebook:
- the heading gains a collapsed "Hint 2" with the near-answer;
- the solution cell becomes a cell tagged `exercise` with the lines above `# Your answer` (a scaffold, if any),
  the hint, and a placeholder `name = ...` per name;
- after the check come a short "way forward" note and the reference answer, hidden, as `%%reference 04.1`: it
  applies only while the exercise has not passed (workshop.exercises).
A code cell tagged `prediction` (metadata `{"prediction": {"names": [...]}}`) keeps its comments, and each name
becomes `name = ...`: the learner writes a guess before the measurement. Every other cell is copied as it is.
Outputs and execution counts are dropped. The exercises' ids, titles, names and checks go to
src/workshop/data/exercises.json, which the notebooks' guard reads.

    python -m setup.generate_exercises           # write notebooks/ (and remove notebooks with no solution)
    python -m setup.generate_exercises --check   # write nothing; fail if notebooks/ is out of date
"""
import argparse
import ast
import copy
import json
import keyword
import re
import sys
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from setup._console import SetupError, done, fail
from workshop.exercises import top_level_names
from workshop.paths import EXERCISES_FILE, NOTEBOOKS, REPO_ROOT, SOLUTIONS

FIX_COMMAND = "python -m setup.generate_exercises"
EXERCISE_HEADING = "### Exercise"
SOLUTION_TAG, CHECK_TAG, EXERCISE_TAG = "solution", "check", "exercise"
PREDICTION_TAG, REFERENCE_TAG, WAY_FORWARD_TAG = "prediction", "reference", "way-forward"
ANSWER_MARKER = "# Your answer"  # in a solution cell, the lines above it stay in the learner's cell
EXERCISE_ID = re.compile(r"^(\d\d)\.\d+$")
CHECK_PREFIX = "check_"


class ExerciseFormatError(SetupError):
    """A solution notebook breaks the exercise convention; the message names the notebook and the cell."""


# --- reading and writing --------------------------------------------------------------------------------------

def read_notebook(path: Path) -> nbformat.NotebookNode:
    # NO_CONVERT: upgrading an old notebook would invent random cell ids, and the output must be reproducible.
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    if notebook.nbformat != 4:
        raise ExerciseFormatError(f"{display(path)}: nbformat {notebook.nbformat}; save it as nbformat 4")
    return notebook


def render(notebook: nbformat.NotebookNode) -> str:
    """The exact text nbformat.write produces (sorted keys, one-space indent, final newline)."""
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def display(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


# --- validation -------------------------------------------------------------------------------------------------

def tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def first_line(cell) -> str:
    lines = cell.source.strip().splitlines()
    return lines[0] if lines else ""


def bound_names(source: str) -> set[str]:
    """Names a cell binds at the top level of the notebook (assignments, imports, defs, loop targets, …)."""
    return top_level_names(ast.parse(TransformerManager().transform_cell(source)))  # magics become plain calls


def one_line(value) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\n" not in value


def exercise_metadata_problem(cell) -> str | None:
    exercise = cell.metadata.get("exercise")
    if not isinstance(exercise, dict):
        return ('has no "exercise" metadata: add {"exercise": {"id": "<NN.n>", "hint": "<docs page>", '
                '"near_answer": "<one line>", "names": ["<name>", ...]}}')
    if not isinstance(exercise.get("id"), str) or not EXERCISE_ID.match(exercise["id"]):
        return 'needs "exercise.id": the module and a number, like "04.1"'
    hint, near_answer, names = exercise.get("hint"), exercise.get("near_answer"), exercise.get("names")
    if not one_line(hint) or "https://" not in hint:
        return 'needs "exercise.hint": one line that names the documentation page (with its https:// address)'
    if not one_line(near_answer):
        return 'needs "exercise.near_answer": one line that nearly gives the answer (the second hint)'
    if not isinstance(names, list) or not names:
        return 'needs "exercise.names": a non-empty list of the names the solution defines'
    not_identifiers = [name for name in names
                       if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name))]
    if not_identifiers:
        return f'"exercise.names" holds {not_identifiers!r}, which are not Python names'
    return None


def check_functions(cell) -> list[str]:
    """The `check_…` functions a check cell calls."""
    tree = ast.parse(TransformerManager().transform_cell(cell.source))
    return sorted({node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                   and isinstance(node.func, ast.Name) and node.func.id.startswith(CHECK_PREFIX)})


def solution_cell_problems(cells, index: int) -> list[str]:
    """What is wrong with the exercise around the solution cell cells[index]; empty if nothing."""
    cell = cells[index]
    problems = []
    before = cells[index - 1] if index > 0 else None
    if before is None or before.cell_type != "markdown" or not first_line(before).startswith(EXERCISE_HEADING):
        problems.append(f'is not preceded by a markdown cell whose first line starts with "{EXERCISE_HEADING}"')
    after = cells[index + 1] if index + 1 < len(cells) else None
    if after is None or after.cell_type != "code" or CHECK_TAG not in tags(after):
        problems.append(f'is not followed by a code cell tagged "{CHECK_TAG}"')
    metadata_problem = exercise_metadata_problem(cell)
    if metadata_problem:
        return problems + [metadata_problem]
    try:
        bound = bound_names(cell.source)
    except SyntaxError as error:
        return problems + [f"is not valid Python: {error.msg} (line {error.lineno})"]
    unassigned = [name for name in cell.metadata.exercise["names"] if name not in bound]
    if unassigned:
        problems.append(f'does not assign {", ".join(unassigned)}, listed in "exercise.names"')
    exercise_id = cell.metadata.exercise["id"]
    if before is not None and not first_line(before).startswith(f"{EXERCISE_HEADING} {exercise_id} "):
        problems.append(f'has id {exercise_id}, but its heading does not start with "{EXERCISE_HEADING} {exercise_id} "')
    if after is not None and CHECK_TAG in tags(after) and len(check_functions(after)) != 1:
        problems.append(f"is followed by a check cell that calls {check_functions(after) or 'no'} {CHECK_PREFIX}… "
                        f"functions; it must call exactly one")
    return problems


def prediction_cell_problems(cell) -> list[str]:
    names = cell.metadata.get("prediction", {}).get("names")
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        return ['has no "prediction.names": list the names the learner predicts']
    unassigned = [name for name in names if name not in bound_names(cell.source)]
    return [f'does not assign {", ".join(unassigned)}, listed in "prediction.names"'] if unassigned else []


def validate(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Raise ExerciseFormatError listing every broken exercise in the notebook, by cell index (from 0)."""
    messages = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and SOLUTION_TAG in tags(cell):
            shown = f' ("{first_line(cell)[:40]}")' if first_line(cell) else ""
            messages += [f"{display(path)}, cell {index}{shown}: solution cell {problem}"
                         for problem in solution_cell_problems(notebook.cells, index)]
        if cell.cell_type == "code" and PREDICTION_TAG in tags(cell):
            messages += [f"{display(path)}, cell {index}: prediction cell {problem}"
                         for problem in prediction_cell_problems(cell)]
    if messages:
        raise ExerciseFormatError("\n  ".join(messages))


# --- transformation ---------------------------------------------------------------------------------------------

def placeholder_source(hint: str, names: list[str], scaffold: str = "") -> str:
    lines = [scaffold] if scaffold else []
    return "\n".join([*lines, f"# Hint: {hint}", "# Your code here", *(f"{name} = ..." for name in names)])


def scaffold(source: str) -> str:
    """The lines of a solution above `# Your answer`: what the learner's cell keeps (empty without the marker)."""
    lines = source.splitlines()
    marker = next((index for index, line in enumerate(lines) if line.strip().startswith(ANSWER_MARKER)), None)
    return "\n".join(lines[:marker]).rstrip() if marker is not None else ""


def without_outputs(cell):
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def exercise_cell(solution_cell):
    cell = without_outputs(solution_cell)
    cell.metadata.tags = [EXERCISE_TAG if tag == SOLUTION_TAG else tag for tag in tags(cell)]
    exercise = cell.metadata.exercise
    cell.metadata.exercise = {key: exercise[key] for key in ("id", "names")}  # hints are shown; answers are not
    cell.source = placeholder_source(exercise["hint"], exercise["names"], scaffold(solution_cell.source))
    return cell


def heading_with_second_hint(heading, near_answer: str):
    cell = without_outputs(heading)
    cell.source = (f"{cell.source.rstrip()}\n\n<details><summary>Hint 2 (nearly the answer)</summary>\n\n"
                   f"{near_answer}\n\n</details>")
    return cell


def way_forward_cells(solution_cell) -> list:
    """A note, then the reference answer with its source hidden: the way forward for a learner who is stuck."""
    exercise_id = solution_cell.metadata.exercise["id"]
    note = nbformat.v4.new_markdown_cell(
        f"**Stuck, or short of time?** Run the hidden cell below: it applies the reference answer to exercise "
        f"{exercise_id} and says so (click its `…` to read it first). It does nothing if your answer passed.",
        id=f"{solution_cell.id}-way-forward"[:64], metadata={"tags": [WAY_FORWARD_TAG]})
    reference = nbformat.v4.new_code_cell(
        f"%%reference {exercise_id}\n{solution_cell.source}", id=f"{solution_cell.id}-reference"[:64],
        metadata={"tags": [REFERENCE_TAG], "jupyter": {"source_hidden": True}})
    return [note, reference]


def prediction_cell(solution_cell):
    cell = without_outputs(solution_cell)
    comments = [line for line in solution_cell.source.splitlines() if line.lstrip().startswith("#")]
    cell.source = "\n".join([*comments, *(f"{name} = ...  # your prediction"
                                           for name in solution_cell.metadata.prediction["names"])])
    return cell


def is_code(cell, tag: str) -> bool:
    return cell.cell_type == "code" and tag in tags(cell)


def learner_notebook(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook = copy.deepcopy(solution)
    cells = solution.cells
    notebook.cells = []
    for index, cell in enumerate(cells):
        if is_code(cell, SOLUTION_TAG):
            notebook.cells.append(exercise_cell(cell))
        elif index + 1 < len(cells) and is_code(cells[index + 1], SOLUTION_TAG):
            notebook.cells.append(heading_with_second_hint(cell, cells[index + 1].metadata.exercise["near_answer"]))
        elif is_code(cell, PREDICTION_TAG):
            notebook.cells.append(prediction_cell(cell))
        else:
            notebook.cells.append(without_outputs(cell))
        if is_code(cell, CHECK_TAG) and index > 0 and is_code(cells[index - 1], SOLUTION_TAG):
            notebook.cells.extend(way_forward_cells(cells[index - 1]))
    return notebook


def catalogue_entries(solution: nbformat.NotebookNode) -> dict[str, dict]:
    """The notebook's exercises for data/exercises.json: id → title, names, check function."""
    entries = {}
    for index, cell in enumerate(solution.cells):
        if is_code(cell, SOLUTION_TAG):
            exercise = cell.metadata.exercise
            heading = first_line(solution.cells[index - 1]).removeprefix(f"{EXERCISE_HEADING} {exercise['id']}")
            entries[exercise["id"]] = {"title": heading.strip(" —:-"), "names": list(exercise["names"]),
                                       "check": check_functions(solution.cells[index + 1])[0]}
    return entries


def catalogue_problems(notebooks: dict[Path, nbformat.NotebookNode]) -> list[str]:
    """Exercise ids are unique and name their module; no other cell anywhere binds an exercise's names."""
    problems, seen = [], {}
    owners = {}
    for path, notebook in notebooks.items():
        for index, cell in enumerate(notebook.cells):
            if is_code(cell, SOLUTION_TAG):
                exercise_id = cell.metadata.exercise["id"]
                if exercise_id in seen:
                    problems.append(f"{display(path)}, cell {index}: exercise id {exercise_id} is also used in "
                                    f"{seen[exercise_id]}")
                seen[exercise_id] = display(path)
                if not path.name.startswith(EXERCISE_ID.match(exercise_id).group(1)):
                    problems.append(f"{display(path)}, cell {index}: exercise id {exercise_id} names another module")
                owners.update({name: (path, index) for name in cell.metadata.exercise["names"]})
    for path, notebook in notebooks.items():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or is_code(cell, SOLUTION_TAG):
                continue
            for name in sorted(bound_names(cell.source) & owners.keys()):
                owner_path, owner_index = owners[name]
                problems.append(f"{display(path)}, cell {index} also binds `{name}`, which exercise cell "
                                f"{owner_index} of {display(owner_path)} defines: exercise names must be unique "
                                f"(the notebooks' guard follows them)")
    return problems


def render_catalogue(entries: dict[str, dict]) -> str:
    return json.dumps(dict(sorted(entries.items())), indent=1, ensure_ascii=False) + "\n"


# --- the notebooks/ folder ----------------------------------------------------------------------------------------

def expected_notebooks(solutions_dir: Path = SOLUTIONS, notebooks_dir: Path = NOTEBOOKS,
                       catalogue_file: Path = EXERCISES_FILE) -> dict[Path, str]:
    """Each learner notebook's path and the text it must have, from the solution notebooks; and the catalogue."""
    solutions = {path: read_notebook(path) for path in sorted(solutions_dir.glob("*.ipynb"))}
    for path, solution in solutions.items():
        validate(solution, path)
    problems = catalogue_problems(solutions)
    if problems:
        raise ExerciseFormatError("\n  ".join(problems))
    expected = {notebooks_dir / path.name: render(learner_notebook(solution)) for path, solution in solutions.items()}
    entries = {key: value for solution in solutions.values() for key, value in catalogue_entries(solution).items()}
    expected[catalogue_file] = render_catalogue(entries)
    return expected


def out_of_date(expected: dict[Path, str], notebooks_dir: Path = NOTEBOOKS) -> dict[Path, str]:
    """Learner notebooks that differ from what they must be, each with the reason."""
    reasons = {}
    for path, text in expected.items():
        if not path.exists():
            reasons[path] = "missing"
        elif path.read_bytes() != text.encode("utf-8"):
            reasons[path] = "differs from its solution"
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        if path not in expected:
            reasons[path] = "has no solution notebook"
    return reasons


def write_notebooks(expected: dict[Path, str], stale: dict[Path, str]) -> None:
    for path in stale:
        if path in expected:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expected[path], encoding="utf-8", newline="\n")
        else:
            path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=FIX_COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if notebooks/ is out of date")
    args = parser.parse_args(argv)
    try:
        expected = expected_notebooks(SOLUTIONS, NOTEBOOKS, EXERCISES_FILE)
    except ExerciseFormatError as error:
        return fail(error)
    stale = out_of_date(expected, NOTEBOOKS)
    if args.check and stale:
        listing = "".join(f"\n  {display(path)}: {reason}" for path, reason in stale.items())
        return fail(SetupError(f"notebooks/ is out of date with solutions/:{listing}\nFix: {FIX_COMMAND}"))
    if args.check:
        done(f"notebooks/ is up to date with solutions/ ({len(expected) - 1} notebooks and the exercise catalogue)")
    else:
        write_notebooks(expected, stale)
        done(f"notebooks/ generated from solutions/ ({len(expected) - 1} notebooks and the exercise catalogue, "
             f"{len(stale)} files written or removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
