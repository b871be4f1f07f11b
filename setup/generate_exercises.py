"""Write the learner notebooks in notebooks/ from the complete notebooks in solutions/.

An exercise in a solution notebook is three cells: a markdown heading `### Exercise …`, a code cell tagged
`solution` whose metadata is `{"exercise": {"hint": "…", "names": ["…"]}}`, and a code cell tagged `check`.
In the learner notebook the solution cell becomes a cell tagged `exercise` that holds only the hint and a
placeholder `name = ...` per name; every other cell is copied as it is. Outputs and execution counts are dropped.

    python -m setup.generate_exercises           # write notebooks/ (and remove notebooks with no solution)
    python -m setup.generate_exercises --check   # write nothing; fail if notebooks/ is out of date
"""
import argparse
import ast
import copy
import keyword
import sys
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from setup._console import SetupError, done, fail
from workshop.paths import NOTEBOOKS, REPO_ROOT, SOLUTIONS

FIX_COMMAND = "python -m setup.generate_exercises"
EXERCISE_HEADING = "### Exercise"
SOLUTION_TAG, CHECK_TAG, EXERCISE_TAG = "solution", "check", "exercise"


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
    tree = ast.parse(TransformerManager().transform_cell(source))  # IPython magics become plain calls
    names = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)  # its body is another scope
            elif isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue  # another scope
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, ast.alias):
                names.add((child.asname or child.name).split(".")[0])
            else:
                visit(child)

    visit(tree)
    return names


def exercise_metadata_problem(cell) -> str | None:
    exercise = cell.metadata.get("exercise")
    if not isinstance(exercise, dict):
        return 'has no "exercise" metadata: add {"exercise": {"hint": "<one line>", "names": ["<name>", ...]}}'
    hint, names = exercise.get("hint"), exercise.get("names")
    if not isinstance(hint, str) or not hint.strip() or "\n" in hint:
        return 'needs "exercise.hint": one non-empty line'
    if not isinstance(names, list) or not names:
        return 'needs "exercise.names": a non-empty list of the names the solution defines'
    not_identifiers = [name for name in names
                       if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name))]
    if not_identifiers:
        return f'"exercise.names" holds {not_identifiers!r}, which are not Python names'
    return None


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
    return problems


def validate(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Raise ExerciseFormatError listing every broken exercise in the notebook, by cell index (from 0)."""
    messages = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and SOLUTION_TAG in tags(cell):
            shown = f' ("{first_line(cell)[:40]}")' if first_line(cell) else ""
            messages += [f"{display(path)}, cell {index}{shown}: solution cell {problem}"
                         for problem in solution_cell_problems(notebook.cells, index)]
    if messages:
        raise ExerciseFormatError("\n  ".join(messages))


# --- transformation ---------------------------------------------------------------------------------------------

def placeholder_source(hint: str, names: list[str]) -> str:
    return "\n".join([f"# Hint: {hint}", "# Your code here", *(f"{name} = ..." for name in names)])


def without_outputs(cell):
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def exercise_cell(solution_cell):
    cell = without_outputs(solution_cell)
    cell.metadata.tags = [EXERCISE_TAG if tag == SOLUTION_TAG else tag for tag in tags(cell)]
    cell.source = placeholder_source(cell.metadata.exercise["hint"], cell.metadata.exercise["names"])
    return cell


def learner_notebook(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook = copy.deepcopy(solution)
    notebook.cells = [exercise_cell(cell) if cell.cell_type == "code" and SOLUTION_TAG in tags(cell)
                      else without_outputs(cell) for cell in solution.cells]
    return notebook


# --- the notebooks/ folder ----------------------------------------------------------------------------------------

def expected_notebooks(solutions_dir: Path = SOLUTIONS, notebooks_dir: Path = NOTEBOOKS) -> dict[Path, str]:
    """Each learner notebook's path and the text it must have, from the solution notebooks."""
    expected = {}
    for path in sorted(solutions_dir.glob("*.ipynb")):
        solution = read_notebook(path)
        validate(solution, path)
        expected[notebooks_dir / path.name] = render(learner_notebook(solution))
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
        expected = expected_notebooks(SOLUTIONS, NOTEBOOKS)
    except ExerciseFormatError as error:
        return fail(error)
    stale = out_of_date(expected, NOTEBOOKS)
    if args.check and stale:
        listing = "".join(f"\n  {display(path)}: {reason}" for path, reason in stale.items())
        return fail(SetupError(f"notebooks/ is out of date with solutions/:{listing}\nFix: {FIX_COMMAND}"))
    if args.check:
        done(f"notebooks/ is up to date with solutions/ ({len(expected)} notebooks)")
    else:
        write_notebooks(expected, stale)
        done(f"notebooks/ generated from solutions/ ({len(expected)} notebooks, {len(stale)} written or removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
