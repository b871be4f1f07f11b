"""Module 08's checks: the breaker's thresholds and the breaker rolled out, each problem named in one line."""
import pytest

from tests.test_resilience import FakeEcs
from workshop.checks import ExerciseIncomplete
from workshop.checks.resilience import (check_breaker_thresholds, check_circuit_breaker, configuration_problem,
                                        thresholds_problem)

BREAKER = {"CATALOG_URL": "http://catalog:8000", "CATALOG_CIRCUIT_BREAKER": "on", "CATALOG_TIMEOUT_SECONDS": "0.5",
           "CATALOG_BREAKER_FAILURES": "3"}


@pytest.mark.parametrize("failures, reset_seconds", [(2, 1), (3, 3), (5, 5.0)])
def test_thresholds_within_the_budgets_have_no_problem(failures, reset_seconds):
    assert thresholds_problem(failures, reset_seconds, waiting_budget=5, recovery_seconds=5) is None


@pytest.mark.parametrize("failures, reset_seconds, words", [
    (5, 30.0, "go on refusing for up to 30 s, longer than RECOVERY_SECONDS (5)"),
    (1, 3, "opens on one slow call"),
    (8, 3, "8 orders wait out the timeout while catalog is slow, more than MAX_WAITING_ORDERS (5)"),
    (3, 0.2, "a trial call every 0.2 s keeps hitting"),
    ("3", 3, "a whole number of failed calls"),
    (3, "3", "a number of seconds above 0"),
])
def test_each_thresholds_problem_is_named(failures, reset_seconds, words):
    assert words in thresholds_problem(failures, reset_seconds, waiting_budget=5, recovery_seconds=5)


def test_the_thresholds_check_asks_for_both_answers_then_passes(capsys):
    with pytest.raises(ExerciseIncomplete, match="`breaker_failures` is still `...`"):
        check_breaker_thresholds(..., ..., 5, 5)
    with pytest.raises(ExerciseIncomplete, match="`breaker_reset_seconds` is still `...`"):
        check_breaker_thresholds(3, ..., 5, 5)

    check_breaker_thresholds(3, 3, 5, 5)

    assert capsys.readouterr().out.startswith("✔ the breaker opens after 3 failed calls")


def test_a_good_breaker_configuration_has_no_problem():
    assert configuration_problem(BREAKER, slow_seconds=3) is None


@pytest.mark.parametrize("change, words", [
    ({"CATALOG_CIRCUIT_BREAKER": "off"}, "without the breaker"),
    ({"CATALOG_URL": ""}, "no CATALOG_URL"),
    ({"CATALOG_TIMEOUT_SECONDS": "5"}, "well below 3"),
    ({"CATALOG_TIMEOUT_SECONDS": "soon"}, "a number of seconds"),
    ({"CATALOG_BREAKER_FAILURES": "50"}, "high for a demo"),
])
def test_each_configuration_problem_is_named(change, words):
    assert words in configuration_problem({**BREAKER, **change}, slow_seconds=3)


def test_the_breaker_check_asks_for_the_environment_then_the_revision():
    with pytest.raises(ExerciseIncomplete, match="`breaker_environment` is still `...`"):
        check_circuit_breaker(..., ..., None, "bookshop", "http://lb", 1, 3)
    with pytest.raises(ExerciseIncomplete, match="`orders_with_breaker` is still `...`"):
        check_circuit_breaker(BREAKER, ..., None, "bookshop", "http://lb", 1, 3)


def test_the_breaker_check_names_the_revision_orders_still_runs():
    ecs = FakeEcs({"orders:1": {"CATALOG_URL": "http://c"}, "orders:2": BREAKER}, running="orders:1")

    with pytest.raises(ExerciseIncomplete, match="orders still runs bookshop-orders:1, not orders:2"):
        check_circuit_breaker(BREAKER, "orders:2", ecs, "bookshop", "http://lb", 1, 3)


def test_the_breaker_check_says_to_roll_out_an_environment_never_rolled_out():
    ecs = FakeEcs({"orders:1": {"CATALOG_URL": "http://c"}}, running="orders:1")

    with pytest.raises(ExerciseIncomplete, match="runs bookshop-orders:1 without it: roll it out"):
        check_circuit_breaker(BREAKER, "orders:1", ecs, "bookshop", "http://lb", 1, 3)
