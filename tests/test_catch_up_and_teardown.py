"""catch_up builds a later module's starting point in a real local cloud, and a second run changes nothing;
teardown removes all of it, and the inventory proves it."""

import httpx
import pytest

from workshop.catch_up import catch_up
from workshop.deploy import SERVICES, repository_name
from workshop.live_architecture import draw, read_state
from workshop.teardown import inventory, teardown
from tests.workshop_cloud import local_session

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def session():
    with local_session("catch-up") as session:
        yield session


def test_module_05_starts_with_every_image_in_ecr_and_a_second_run_pushes_nothing(session):
    first = catch_up("05", session).done
    assert [line.split(":")[0] for line in first] == list(SERVICES)
    ecr = session.client("ecr")
    for service in SERVICES:
        images = ecr.describe_images(repositoryName=repository_name(session, service))["imageDetails"]
        assert [image["imageTags"] for image in images] == [["1.0"]]
    again = catch_up("05", session).done
    assert all("already in ECR" in line for line in again)


def test_module_06_starts_with_the_services_answering_through_the_load_balancer(session):
    stack = catch_up("06", session).stack
    for path in ("/users", "/catalog/books", "/orders"):
        assert httpx.get(stack.base_url + path, timeout=5).status_code == 200
    assert catch_up("06", session).stack == stack
    state = read_state(session)
    assert sorted(state.services) == ["catalog", "orders", "users"]
    assert sorted(state.rules) == [("/catalog*", "catalog"), ("/orders*", "orders"), ("/users*", "users")]
    draw(state)


def test_teardown_leaves_nothing_of_the_workshop_and_can_run_again(session):
    catch_up("06", session)
    before = inventory(session)
    assert before["ECS"] and before["ELBv2"] and before["ECR"] and before["IAM"] and before["EC2 network"]
    report = teardown(session, local_containers=False)
    assert sorted(report.removed["ECR repositories and their images"]) == sorted(
        repository_name(session, service) for service in SERVICES)
    assert {kind: names for kind, names in inventory(session).items() if names} == {}
    again = teardown(session, local_containers=False)
    assert {step: names for step, names in again.removed.items() if names} == {}


def test_an_unknown_module_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="no module '42'"):
        catch_up("42", None)
