"""In the kernel: a check's verdict opens or closes its exercise, the reference answer runs only when needed, and a
cell that needs an open exercise says so in one line instead of failing somewhere else."""
import json

import pytest
from IPython.core.interactiveshell import InteractiveShell

from workshop import exercises
from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import Exercise, Progress, exercise_check
from workshop.paths import EXERCISES_FILE
from workshop.predictions import compare

ANSWER = Exercise("01.1", "The answer", ("answer",), "check_answer")


@exercise_check("01.1")
def check_answer(answer):
    require_answer("answer", answer)
    if answer != 42:
        raise ExerciseIncomplete(f"{answer} is not the answer: multiply six by seven")
    print("✔ 42")


@pytest.fixture
def shell(monkeypatch):
    """A fresh IPython shell with the guard and %%reference, knowing one exercise, and a fresh progress."""
    monkeypatch.setattr(exercises, "catalogue", lambda: {ANSWER.id: ANSWER})
    monkeypatch.setattr(exercises, "PROGRESS", Progress())
    shell = InteractiveShell.instance()
    shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, exercises.ExerciseGuard)]
    exercises.register(shell)
    shell.user_ns.update(check_answer=check_answer)
    for name in ("answer", "doubled", "tripled"):
        shell.user_ns.pop(name, None)
    yield shell
    shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, exercises.ExerciseGuard)]


def run(shell, source):
    """The cell's error as (type name, message), or None if it ran."""
    result = shell.run_cell(source)
    error = result.error_in_exec or result.error_before_exec
    return None if error is None else (type(error).__name__, str(error))


def test_a_cell_that_needs_an_unanswered_exercise_says_which_and_how_to_go_on(shell):
    assert run(shell, "answer = ...") is None
    assert run(shell, "check_answer(answer)")[0] == "ExerciseIncomplete"
    name, message = run(shell, "doubled = answer * 2")
    assert name == "ExerciseIncomplete"
    assert message.startswith("This cell needs exercise 01.1 (The answer)") and "reference answer" in message


def test_names_computed_in_a_stopped_cell_stop_the_cells_that_use_them_too(shell):
    run(shell, "answer = ...")
    run(shell, "doubled = answer * 2")
    assert run(shell, "tripled = doubled * 3")[1].startswith("This cell needs exercise 01.1")


def test_cells_that_do_not_use_the_exercise_run_as_usual(shell):
    run(shell, "answer = ...")
    assert run(shell, "other = 1 + 1") is None


def test_a_passed_check_lets_the_cells_below_run_and_the_reference_answer_stands_aside(shell, capsys):
    run(shell, "answer = 42")
    assert run(shell, "check_answer(answer)") is None
    assert run(shell, "doubled = answer * 2") is None
    assert run(shell, "%%reference 01.1\nanswer = 42000") is None
    assert shell.user_ns["answer"] == 42
    assert "✔ Exercise 01.1 passed with your answer" in capsys.readouterr().out


def test_the_reference_answer_replaces_a_wrong_one_and_says_so(shell, capsys):
    run(shell, "answer = 41")
    assert run(shell, "check_answer(answer)") == ("ExerciseIncomplete", "41 is not the answer: multiply six by seven")
    assert run(shell, "%%reference 01.1\nanswer = 6 * 7") is None
    assert "↷ Exercise 01.1 skipped" in capsys.readouterr().out
    assert run(shell, "doubled = answer * 2") is None and shell.user_ns["doubled"] == 84


def test_running_the_exercise_cell_again_reopens_it_until_the_check_passes(shell):
    run(shell, "answer = 42")
    run(shell, "check_answer(answer)")
    run(shell, "answer = 7")
    assert run(shell, "doubled = answer * 2")[0] == "ExerciseIncomplete"
    run(shell, "answer = 42")
    run(shell, "check_answer(answer)")
    assert run(shell, "doubled = answer * 2") is None


def test_an_unknown_exercise_in_the_reference_magic_is_a_clear_error(shell):
    assert run(shell, "%%reference 99.9\nanswer = 1") == (
        "ValueError", "no exercise '99.9': the exercises are 01.1")


def test_the_committed_catalogue_names_checks_that_exist_and_are_decorated_with_their_id():
    import importlib
    import pkgutil

    import workshop.checks
    decorated = {}
    for module in pkgutil.iter_modules(workshop.checks.__path__):
        loaded = importlib.import_module(f"workshop.checks.{module.name}")
        decorated.update({name: value.exercise_id for name, value in vars(loaded).items()
                          if callable(value) and hasattr(value, "exercise_id")})
    catalogue = json.loads(EXERCISES_FILE.read_text())
    assert {key: decorated.get(value["check"]) for key, value in catalogue.items()} == {key: key for key in catalogue}


@pytest.mark.parametrize("predicted, measured, said", [
    (..., 120, "Measured 120 ms. You made no prediction"),
    (100, 120, "You predicted 100 ms; measured 120 ms: 20 ms higher than you thought."),
    (118, 120, "You predicted 118 ms; measured 120 ms: spot on."),
    ("fails", "fails", "You predicted 'fails'; measured 'fails': as you predicted."),
])
def test_a_prediction_is_compared_with_the_measurement(predicted, measured, said, capsys):
    assert compare("predicted_ms", predicted, measured, "ms").startswith(said)
    assert capsys.readouterr().out.startswith(said)


def test_names_local_to_a_stopped_cells_comprehension_stop_nothing_later(shell):
    run(shell, "answer = ...")
    assert run(shell, "doubled = [answer for path in range(2)]")[0] == "ExerciseIncomplete"
    assert run(shell, "route = 'x'\npaths = [path for path in ('/a', '/b')]") is None


def test_a_reference_answer_that_builds_on_an_open_exercise_waits_for_it(shell, monkeypatch):
    later = Exercise("01.2", "Double it", ("doubled",), "check_doubled")
    monkeypatch.setattr(exercises, "catalogue", lambda: {ANSWER.id: ANSWER, later.id: later})
    run(shell, "answer = ...")
    assert run(shell, "%%reference 01.2\ndoubled = answer * 2")[1].startswith("This cell needs exercise 01.1")
    assert "doubled" not in shell.user_ns
    run(shell, "%%reference 01.1\nanswer = 42")
    assert run(shell, "%%reference 01.2\ndoubled = answer * 2") is None and shell.user_ns["doubled"] == 84
