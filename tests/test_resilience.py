"""Module 08's helpers: phase figures, orders' revisions, log search (its checks: test_checks_resilience.py)."""
import pytest

from workshop.resilience import (LIST, PLACE, OrderLoad, environment_of, find_in_logs, phase_rows,
                                 starting_revision, with_environment)
from workshop.traffic import Sample

PLACE_URL, LIST_URL = "http://lb/orders#place", "http://lb/orders#list"
LABELS = {PLACE_URL: PLACE, LIST_URL: LIST}


def sample(url, status, latency, t=0.0):
    return Sample(t, url, status, None if status else "ReadTimeout", latency)


def test_phase_rows_count_failures_and_answers_per_request_kind():
    samples = [sample(PLACE_URL, 201, 0.02), sample(PLACE_URL, 504, 6.3), sample(PLACE_URL, None, 10.0),
               sample(LIST_URL, 200, 0.01)]

    rows = phase_rows({"defaults": samples}, LABELS)

    assert [(r["request"], r["requests"], r["failed"]) for r in rows] == [(PLACE, 3, 2), (LIST, 1, 0)]
    assert rows[0]["answers"] == "201×1, 504×1, ReadTimeout×1"
    assert rows[0]["max ms"] == 10000


def test_order_load_tells_placing_from_listing_by_label():
    load = OrderLoad("http://lb", book_id=9)

    assert load.labels == LABELS
    assert load.body == {"user_id": 1, "book_id": 9, "quantity": 1}


def test_with_environment_replaces_only_the_environment():
    definition = {"containerDefinitions": [{"name": "orders", "image": "i", "environment": [
        {"name": "CATALOG_URL", "value": "http://c"}]}]}

    container = with_environment(definition, {"CATALOG_URL": "http://c", "CATALOG_RETRIES": 0})

    assert container["image"] == "i"
    assert environment_of({"containerDefinitions": [container]}) == {"CATALOG_URL": "http://c", "CATALOG_RETRIES": "0"}
    assert definition["containerDefinitions"][0]["environment"] == [{"name": "CATALOG_URL", "value": "http://c"}]


class FakeEcs:
    """The few ECS reads starting_revision makes, over a dict of revisions."""

    def __init__(self, revisions: dict[str, dict], running: str):
        self.revisions, self.running = revisions, running

    def describe_services(self, cluster, services):
        return {"services": [{"deployments": [{"status": "PRIMARY", "taskDefinition": self.running}]}]}

    def describe_task_definition(self, taskDefinition):
        environment = [{"name": k, "value": v} for k, v in self.revisions[taskDefinition].items()]
        return {"taskDefinition": {"taskDefinitionArn": taskDefinition, "family": "bookshop-orders",
                                   "revision": int(taskDefinition.rsplit(":", 1)[-1]),
                                   "containerDefinitions": [{"environment": environment}]}}

    def list_task_definitions(self, familyPrefix, status, sort):
        return {"taskDefinitionArns": sorted(self.revisions, reverse=True)}


def test_starting_revision_is_the_running_one_when_it_is_clean():
    ecs = FakeEcs({"orders:1": {"CATALOG_URL": "http://c"}}, running="orders:1")

    assert starting_revision(ecs, "bookshop") == "orders:1"


def test_starting_revision_skips_a_revision_left_with_the_breaker_on():
    ecs = FakeEcs({"orders:1": {"CATALOG_URL": "http://c"},
                   "orders:2": {"CATALOG_URL": "http://c", "CATALOG_CIRCUIT_BREAKER": "on"}}, running="orders:2")

    assert starting_revision(ecs, "bookshop") == "orders:1"


def test_starting_revision_says_what_to_do_when_no_clean_revision_exists():
    ecs = FakeEcs({"orders:2": {"CATALOG_URL": "http://c", "CATALOG_RETRIES": "0"}}, running="orders:2")

    with pytest.raises(LookupError, match="run catch_up again"):
        starting_revision(ecs, "bookshop")


class FakeLogs:
    def __init__(self, answers: list[list[dict]]):
        self.answers, self.patterns = answers, []

    def get_paginator(self, name):
        return self

    def paginate(self, **options):
        self.patterns.append(options["filterPattern"])
        return [{"events": self.answers.pop(0) if self.answers else []}]


def test_find_in_logs_polls_until_the_id_appears():
    logs = FakeLogs([[], [{"message": "x trail-1"}]])

    assert find_in_logs(logs, "/ecs/bookshop", "trail-1", pause=0) == [{"message": "x trail-1"}]
    assert logs.patterns == ['"trail-1"', '"trail-1"']


def test_find_in_logs_gives_up_at_the_deadline():
    assert find_in_logs(FakeLogs([]), "/ecs/bookshop", "never", deadline_seconds=0, pause=0) == []


def test_settings_label_names_orders_defaults_and_the_breaker():
    from workshop.resilience import settings_label

    assert settings_label({"CATALOG_URL": "http://c"}) == "timeout 2 s, 2 retries, no breaker"
    assert settings_label({"CATALOG_TIMEOUT_SECONDS": "0.4", "CATALOG_RETRIES": "1",
                           "CATALOG_CIRCUIT_BREAKER": "on"}) == "timeout 0.4 s, 1 retry, circuit breaker"


def test_with_environment_refuses_a_value_still_left_as_a_placeholder():
    from workshop.checks import ExerciseIncomplete

    definition = {"containerDefinitions": [{"name": "orders", "environment": []}]}
    with pytest.raises(ExerciseIncomplete, match="CATALOG_RETRIES is still `...`"):
        with_environment(definition, {"CATALOG_URL": "http://c", "CATALOG_RETRIES": ...})
