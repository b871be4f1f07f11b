"""setup.generate_exercises turns solution notebooks into learner notebooks, and the committed ones agree with it."""
import subprocess
import sys

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from setup import generate_exercises as generator
from workshop.paths import EXERCISES_FILE, NOTEBOOKS, REPO_ROOT, SOLUTIONS
from workshop.settings import KERNEL_NAME

COMMITTED = sorted(SOLUTIONS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("*.ipynb"))
HEADING, SOLUTION, CHECK = 2, 3, 4  # where the sample notebook's exercise cells are
DOCS = "The answer's documentation, https://example.org/answer"
NEAR = "6 * 7"


def exercise_metadata(names=("answer",), hint=DOCS, **more):
    return {"id": "01.1", "hint": hint, "near_answer": NEAR, "names": list(names), **more}


def exercise_cells(source="answer = 42", hint=DOCS, names=("answer",), tags=("solution",)):
    return [
        new_markdown_cell("### Exercise 01.1 — The answer\nWhat is it?"),
        new_code_cell(source, metadata={"tags": list(tags), "exercise": exercise_metadata(names, hint)}),
        new_code_cell("check_answer(answer)", metadata={"tags": ["check"]}),
    ]


def sample_solution(cells=None):
    """A solution notebook: title, parameters, one exercise, a closing cell; outputs as if it had been run."""
    notebook = new_notebook(metadata={"kernelspec": {"name": KERNEL_NAME, "display_name": "Python 3",
                                                     "language": "python"}})
    notebook.cells = [
        new_markdown_cell("# Sample\n## What you will learn"),
        new_code_cell("endpoint = None", metadata={"tags": ["parameters"]}),
        *(cells if cells is not None else exercise_cells(tags=("solution", "keep-me"))),
        new_code_cell("print('done')"),
    ]
    for count, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [new_output("stream", name="stdout", text=f"out {count}\n")]
    return notebook


def write_solution(folder, notebook, name="01_sample.ipynb"):
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / name)
    return folder / name


# --- the transformation -----------------------------------------------------------------------------------------

def test_a_solution_cell_becomes_the_hint_and_one_placeholder_per_name():
    solution = sample_solution(exercise_cells("import math\nanswer, spare = 6 * 7, math.pi",
                                              names=("answer", "spare")))
    cell = generator.learner_notebook(solution).cells[SOLUTION]
    assert cell.source == f"# Hint: {DOCS}\n# Your code here\nanswer = ...\nspare = ..."


def test_the_lines_above_your_answer_stay_as_a_scaffold():
    solution = sample_solution(exercise_cells("remove_last_attempt()\n# Your answer: the sum\nanswer = 6 * 7"))
    cell = generator.learner_notebook(solution).cells[SOLUTION]
    assert cell.source == f"remove_last_attempt()\n# Hint: {DOCS}\n# Your code here\nanswer = ..."


def test_the_exercise_cell_keeps_its_id_and_other_tags_and_shows_no_answer():
    solution = sample_solution()
    solution.cells[SOLUTION].metadata.exercise["wrong"] = {"source": "answer = 41", "message": "not 41"}
    cell = generator.learner_notebook(solution).cells[SOLUTION]
    assert cell.metadata.tags == ["exercise", "keep-me"]
    assert cell.metadata.exercise == {"id": "01.1", "names": ["answer"]}
    assert cell.id == solution.cells[SOLUTION].id


def test_the_heading_gains_the_second_hint_collapsed():
    learner = generator.learner_notebook(sample_solution())
    heading = learner.cells[HEADING].source
    assert heading.startswith("### Exercise 01.1 — The answer\nWhat is it?")
    assert f"<details><summary>Hint 2 (nearly the answer)</summary>\n\n{NEAR}\n\n</details>" in heading


def test_the_check_is_followed_by_the_way_forward_and_the_hidden_reference_answer():
    solution = sample_solution()
    learner = generator.learner_notebook(solution)
    note, reference = learner.cells[CHECK + 1], learner.cells[CHECK + 2]
    assert note.cell_type == "markdown" and "exercise 01.1" in note.source
    assert reference.source == "%%reference 01.1\nanswer = 42"
    assert reference.metadata.tags == ["reference"] and reference.metadata.jupyter == {"source_hidden": True}
    assert reference.id == f"{solution.cells[SOLUTION].id}-reference"


def test_a_prediction_keeps_its_question_and_leaves_the_guess_to_the_learner():
    prediction = new_code_cell("# How many? (a number)\npredicted_count = 3",
                               metadata={"tags": ["prediction"], "prediction": {"names": ["predicted_count"]}})
    solution = sample_solution([prediction])
    assert generator.learner_notebook(solution).cells[2].source == \
        "# How many? (a number)\npredicted_count = ...  # your prediction"


def test_outputs_and_execution_counts_are_dropped_from_every_cell():
    learner = generator.learner_notebook(sample_solution())
    code_cells = [cell for cell in learner.cells if cell.cell_type == "code"]
    assert [(cell.outputs, cell.execution_count) for cell in code_cells] == [([], None)] * len(code_cells)


def test_every_other_cell_is_copied_unchanged():
    solution = sample_solution()
    learner = generator.learner_notebook(solution)
    added = {CHECK + 1, CHECK + 2}
    kept = [cell for index, cell in enumerate(learner.cells) if index not in added]
    for index, (copied, original) in enumerate(zip(kept, solution.cells)):
        if index not in (HEADING, SOLUTION):
            assert copied == generator.without_outputs(original), f"cell {index} changed"
    assert learner.metadata == solution.metadata
    assert len(kept) == len(solution.cells)


def test_the_catalogue_lists_each_exercise_with_its_title_names_and_check():
    assert generator.catalogue_entries(sample_solution()) == {
        "01.1": {"title": "The answer", "names": ["answer"], "check": "check_answer"}}


def test_the_solution_notebook_itself_is_left_untouched():
    solution = sample_solution()
    before = nbformat.writes(solution)
    generator.learner_notebook(solution)
    assert nbformat.writes(solution) == before


def test_the_text_is_what_nbformat_write_gives_and_the_same_every_time(tmp_path):
    learner = generator.learner_notebook(sample_solution())
    nbformat.write(learner, tmp_path / "written.ipynb")
    assert generator.render(learner) == (tmp_path / "written.ipynb").read_text(encoding="utf-8")
    solution = write_solution(tmp_path / "solutions", sample_solution())
    first = generator.expected_notebooks(solution.parent, tmp_path / "notebooks", tmp_path / "exercises.json")
    assert generator.expected_notebooks(solution.parent, tmp_path / "notebooks", tmp_path / "exercises.json") == first


@pytest.mark.parametrize("source, names", [
    ("answer = 42", {"answer"}),
    ("a, (b, *c) = 1, (2, 3)", {"a", "b", "c"}),
    ("import os.path\nfrom json import dumps as to_json", {"os", "to_json"}),
    ("def handler(event):\n    inner = 1\nclass Service: pass", {"handler", "Service"}),
    ("for port in range(3):\n    last = port\nwith open('f') as f: pass", {"port", "last", "f"}),
    ("total = sum(x for x in range(3))\nfn = lambda y: y", {"total", "fn"}),
    ("images = !docker images -q\n%time pass\nn: int = 1\ncount += 1", {"images", "n", "count"}),
])
def test_bound_names_are_the_top_level_bindings(source, names):
    assert generator.bound_names(source) == names


# --- validation -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("exercise, message", [
    (None, 'no "exercise" metadata'),
    (exercise_metadata(id="1.1"), '"exercise.id"'),
    ({key: value for key, value in exercise_metadata().items() if key != "hint"}, '"exercise.hint"'),
    (exercise_metadata(hint="two\nlines https://example.org"), '"exercise.hint"'),
    (exercise_metadata(hint="Six times seven."), 'documentation page'),
    (exercise_metadata(near_answer=""), '"exercise.near_answer"'),
    ({key: value for key, value in exercise_metadata().items() if key != "names"}, '"exercise.names"'),
    (exercise_metadata(names=[]), '"exercise.names"'),
    (exercise_metadata(names=["the answer"]), "not Python names"),
    (exercise_metadata(names=["class"]), "not Python names"),
    (exercise_metadata(id="01.2"), 'heading does not start with "### Exercise 01.2 "'),
])
def test_bad_exercise_metadata_is_an_error_naming_notebook_and_cell(tmp_path, exercise, message):
    cells = exercise_cells()
    if exercise is None:
        del cells[1].metadata["exercise"]
    else:
        cells[1].metadata["exercise"] = exercise
    path = write_solution(tmp_path, sample_solution(cells))
    with pytest.raises(generator.ExerciseFormatError, match=message) as error:
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")
    assert f"01_sample.ipynb, cell {SOLUTION}" in str(error.value)
    assert str(path.parent) in str(error.value)


def test_a_check_cell_must_call_exactly_one_check_function(tmp_path):
    cells = exercise_cells()
    cells[2].source = "print(answer)"
    write_solution(tmp_path, sample_solution(cells))
    with pytest.raises(generator.ExerciseFormatError, match="calls no check_… functions"):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


def test_an_exercise_name_bound_by_another_cell_is_an_error(tmp_path):
    write_solution(tmp_path, sample_solution())
    other = sample_solution([new_code_cell("answer = 'mine'")])
    write_solution(tmp_path, other, "02_other.ipynb")
    with pytest.raises(generator.ExerciseFormatError, match="02_other.ipynb, cell 2 also binds `answer`"):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


def test_an_exercise_id_of_another_module_is_an_error(tmp_path):
    write_solution(tmp_path, sample_solution(), "02_sample.ipynb")
    with pytest.raises(generator.ExerciseFormatError, match="exercise id 01.1 names another module"):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


def test_a_solution_not_followed_by_a_check_cell_is_an_error(tmp_path):
    cells = exercise_cells()
    cells[2].metadata.tags = []
    write_solution(tmp_path, sample_solution(cells))
    with pytest.raises(generator.ExerciseFormatError, match=f'cell {SOLUTION} .*not followed by .*"check"'):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


def test_a_solution_at_the_end_of_the_notebook_is_an_error(tmp_path):
    notebook = sample_solution(exercise_cells()[:2])
    notebook.cells.pop()  # the solution cell is now the last cell
    write_solution(tmp_path, notebook)
    with pytest.raises(generator.ExerciseFormatError, match='not followed by a code cell tagged "check"'):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


def test_a_solution_without_its_exercise_heading_is_an_error(tmp_path):
    cells = exercise_cells()
    cells[0].source = "## Exercise 1"
    write_solution(tmp_path, sample_solution(cells))
    with pytest.raises(generator.ExerciseFormatError, match=f'cell {SOLUTION} .*"### Exercise"'):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


def test_a_solution_that_does_not_assign_a_listed_name_is_an_error(tmp_path):
    write_solution(tmp_path, sample_solution(exercise_cells("answer = 42", names=("answer", "registry_uri"))))
    with pytest.raises(generator.ExerciseFormatError, match=f"cell {SOLUTION} .*does not assign registry_uri"):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


def test_a_solution_that_is_not_python_is_an_error(tmp_path):
    write_solution(tmp_path, sample_solution(exercise_cells("answer = = 42")))
    with pytest.raises(generator.ExerciseFormatError, match="not valid Python"):
        generator.expected_notebooks(tmp_path, tmp_path / "notebooks", tmp_path / "exercises.json")


# --- the notebooks/ folder and the command line -------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path, monkeypatch):
    """solutions/ with one notebook and an empty notebooks/, in place of the repository's folders."""
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    write_solution(solutions, sample_solution())
    notebooks.mkdir()
    monkeypatch.setattr(generator, "SOLUTIONS", solutions)
    monkeypatch.setattr(generator, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(generator, "EXERCISES_FILE", tmp_path / "exercises.json")
    return solutions, notebooks


def test_out_of_date_names_missing_changed_and_orphaned_notebooks(repo):
    solutions, notebooks = repo
    write_solution(solutions, sample_solution(), "02_other.ipynb")
    (notebooks / "02_other.ipynb").write_text("{}")
    (notebooks / "99_removed.ipynb").write_text("{}")
    solutions.joinpath("02_other.ipynb").unlink()
    other = sample_solution([new_code_cell("print('no exercise')")])
    write_solution(solutions, other, "02_other.ipynb")
    expected = generator.expected_notebooks(solutions, notebooks, notebooks.parent / "exercises.json")
    stale = generator.out_of_date(expected, notebooks)
    assert {path.name: reason for path, reason in stale.items()} == {
        "01_sample.ipynb": "missing", "02_other.ipynb": "differs from its solution",
        "exercises.json": "missing", "99_removed.ipynb": "has no solution notebook"}


def test_generating_writes_learner_notebooks_and_removes_orphans(repo):
    solutions, notebooks = repo
    (notebooks / "99_removed.ipynb").write_text("{}")
    (notebooks / "README.md").write_text("not a notebook: left alone")
    assert generator.main([]) == 0
    assert sorted(path.name for path in notebooks.iterdir()) == ["01_sample.ipynb", "README.md"]
    learner = nbformat.read(notebooks / "01_sample.ipynb", as_version=4)
    assert "exercise" in learner.cells[SOLUTION].metadata.tags
    assert generator.main(["--check"]) == 0


def test_check_writes_nothing_and_fails_naming_the_notebooks_and_the_fix(repo, capsys):
    solutions, notebooks = repo
    assert generator.main(["--check"]) == 1
    assert list(notebooks.iterdir()) == []
    message = capsys.readouterr().err
    assert "01_sample.ipynb: missing" in message
    assert "python -m setup.generate_exercises" in message


def test_a_bad_solution_notebook_fails_the_command_with_the_reason(repo, capsys):
    solutions, _ = repo
    cells = exercise_cells()
    cells[2].metadata.tags = []
    write_solution(solutions, sample_solution(cells), "02_broken.ipynb")
    assert generator.main(["--check"]) == 1
    assert f"02_broken.ipynb, cell {SOLUTION}" in capsys.readouterr().err


def nbstripout_args():
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    return next(hook for hook in hooks if hook["id"] == "nbstripout").get("args", [])


def test_nbstripout_as_the_hook_runs_it_leaves_generated_notebooks_unchanged(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    solution = write_solution(solutions, sample_solution())
    subprocess.run([sys.executable, "-m", "nbstripout", *nbstripout_args(), str(solution)], check=True, cwd=tmp_path)
    expected = generator.expected_notebooks(solutions, notebooks, tmp_path / "exercises.json")
    generator.write_notebooks(expected, generator.out_of_date(expected, notebooks))
    learner = notebooks / solution.name
    before = learner.read_bytes()
    subprocess.run([sys.executable, "-m", "nbstripout", *nbstripout_args(), str(learner)], check=True, cwd=tmp_path)
    assert learner.read_bytes() == before


# --- the committed notebooks --------------------------------------------------------------------------------------

def test_notebooks_folder_is_what_the_generator_makes_of_solutions():
    stale = generator.out_of_date(generator.expected_notebooks(SOLUTIONS, NOTEBOOKS, EXERCISES_FILE), NOTEBOOKS)
    listing = "\n".join(f"  {generator.display(path)}: {reason}" for path, reason in stale.items())
    assert not stale, f"notebooks/ is out of date with solutions/:\n{listing}\nFix: {generator.FIX_COMMAND}"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: generator.display(path))
def test_committed_notebooks_carry_no_outputs_or_execution_counts(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    dirty = [index for index, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"cells {dirty} carry outputs or execution counts: run nbstripout --keep-id {path.name}"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: generator.display(path))
def test_committed_notebooks_name_the_workshop_kernel(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert notebook.metadata.get("kernelspec", {}).get("name") == KERNEL_NAME


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda path: path.name)
def test_solution_notebooks_have_one_parameters_cell(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    tagged = [index for index, cell in enumerate(notebook.cells)
              if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"code cells tagged parameters: {tagged}; papermill needs exactly one"
