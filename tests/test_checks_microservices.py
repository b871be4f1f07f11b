"""The module 03 checks: orders finds catalog by its name on the network, and its catalog calls fit a 3 s budget.
Each wrong answer gets its one line; the Docker tests run a real catalog and orders on a network of their own."""
import os

import httpx
import pytest

from tests.engine_fixtures import engine_with_base_image
from workshop.checks import ExerciseIncomplete, unanswered
from workshop.checks.microservices import check_catalog_call_settings, check_orders_environment
from workshop.containers import published_port, run_service, stop
from workshop.deploy import local_tag, service_dir
from workshop.docker_client import get_client
from workshop.images import BuildDisplay, build_image
from workshop.settings import WORKSHOP_LABEL

SUFFIX = os.getpid()
NETWORK, CATALOG = f"workshop-test-03-{SUFFIX}", f"workshop-test-03-catalog-{SUFFIX}"
ORDERS_CHECK = f"workshop-test-03-orders-{SUFFIX}"
GOOD_SETTINGS = {"CATALOG_TIMEOUT_SECONDS": "1", "CATALOG_RETRIES": "1"}


def no_cloud(**overrides):
    """The checks' keyword arguments where nothing needs to run (the answer is refused before any container)."""
    return {"network": NETWORK, "catalog_name": CATALOG, "catalog_port": 1, "image": "unused", **overrides}


def test_the_placeholders_get_the_unanswered_message():
    with pytest.raises(ExerciseIncomplete) as environment:
        check_orders_environment(..., **no_cloud())
    with pytest.raises(ExerciseIncomplete) as settings:
        check_catalog_call_settings(..., **no_cloud())
    assert str(environment.value) == unanswered("orders_container_environment")
    assert str(settings.value) == unanswered("catalog_call_settings")


@pytest.mark.parametrize("environment, message", [
    ({"CATALOG_URL": "http://localhost:8000"}, "inside the orders container that address is orders itself"),
    ({}, "has no CATALOG_URL"),
    ("http://catalog:8000", "must be a dict"),
])
def test_an_environment_that_cannot_reach_catalog_is_refused_before_orders_starts(environment, message):
    with pytest.raises(ExerciseIncomplete, match=message):
        check_orders_environment(environment, **no_cloud())


@pytest.mark.parametrize("settings, message", [
    ({"CATALOG_TIMEOUT_SECONDS": "1"}, "has no CATALOG_RETRIES: set both"),
    ({"CATALOG_TIMEOUT_SECONDS": "one", "CATALOG_RETRIES": "1"}, "CATALOG_TIMEOUT_SECONDS is 'one': it must be a number of seconds"),
    ({"CATALOG_TIMEOUT_SECONDS": "1", "CATALOG_RETRIES": "1.5"}, "CATALOG_RETRIES is '1.5': it must be a whole number"),
    (["1", "1"], "must be a dict"),
])
def test_settings_orders_could_not_read_are_refused_before_orders_starts(settings, message):
    with pytest.raises(ExerciseIncomplete, match=message):
        check_catalog_call_settings(settings, **no_cloud())


@pytest.fixture(scope="module")
def catalog():
    """A catalog container on a network of this test module's own, and the orders image; removed afterwards."""
    client = engine_with_base_image()
    for service in ("catalog", "orders"):
        build_image(service_dir(service), local_tag(service), display=BuildDisplay())
    network = client.networks.create(NETWORK, driver="bridge", labels={WORKSHOP_LABEL: "true"})
    try:
        container = run_service(local_tag("catalog"), CATALOG, None, network=NETWORK)
        yield published_port(container)
    finally:
        for name in (CATALOG, ORDERS_CHECK):
            stop(name)
        network.remove()


def on_the_network(catalog_port):
    return {"network": NETWORK, "catalog_name": CATALOG, "catalog_port": catalog_port, "image": local_tag("orders"),
            "container_name": ORDERS_CHECK}


@pytest.mark.docker
def test_orders_given_catalog_by_name_passes(catalog, capsys):
    check_orders_environment({"CATALOG_URL": f"http://{CATALOG}:8000"}, **on_the_network(catalog))
    assert capsys.readouterr().out.startswith(f"✔ orders reached catalog at http://{CATALOG}:8000")


@pytest.mark.docker
def test_a_catalog_name_that_does_not_resolve_is_named(catalog):
    with pytest.raises(ExerciseIncomplete, match=r"orders answered 503 .*is http://catalog:8000 where catalog answers"):
        check_orders_environment({"CATALOG_URL": "http://catalog:8000"}, **on_the_network(catalog))


@pytest.mark.docker
def test_settings_within_the_budget_pass_and_catalog_is_well_again(catalog, capsys):
    check_catalog_call_settings(GOOD_SETTINGS, **on_the_network(catalog))
    assert "answered 504 after" in capsys.readouterr().out
    assert not get_client().containers.list(all=True, filters={"name": ORDERS_CHECK})
    assert httpx.get(f"http://127.0.0.1:{catalog}/admin/faults").json()["mode"] == "off"


@pytest.mark.docker
@pytest.mark.parametrize("settings, message", [
    ({"CATALOG_TIMEOUT_SECONDS": "2", "CATALOG_RETRIES": "2"}, r"only after 6\.\d s, over the 3 s budget.*3 × 2 s"),
    ({"CATALOG_TIMEOUT_SECONDS": "2.5", "CATALOG_RETRIES": "0"}, "gave up after 1 attempt"),
    ({"CATALOG_TIMEOUT_SECONDS": "0.001", "CATALOG_RETRIES": "1"}, "shorter than a healthy catalog needs"),
    ({"CATALOG_TIMEOUT_SECONDS": "1", "CATALOG_RETRIES": "9"}, "did not start.*CATALOG_RETRIES must be between 0 and 5"),
])
def test_settings_that_break_the_budget_or_the_service_get_one_line(catalog, settings, message):
    with pytest.raises(ExerciseIncomplete, match=message):
        check_catalog_call_settings(settings, **on_the_network(catalog))
