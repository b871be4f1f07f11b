"""ensure_functions builds module 06's end state in a real local cloud: an order placed through the load balancer
reaches the notifier; a second call changes nothing; remove_functions deletes what it built."""
import json
import time

import httpx
import pytest

from workshop.catch_up import catch_up
from workshop.functions import TOPIC_VARIABLE, ensure_functions, orders_environment, remove_functions
from tests.workshop_cloud import local_session

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def session():
    with local_session("functions") as session:
        yield session


@pytest.fixture(scope="module")
def built(session):
    stack = catch_up("06", session).stack
    return stack, ensure_functions(session, stack)


def confirmation_logged(session, function_name: str, order_id: int, seconds: float = 60) -> dict | None:
    logs, deadline = session.client("logs"), time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function_name}",
                                            filterPattern='"order confirmed"')["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        lines = [json.loads(event["message"]) for event in events if event["message"].startswith("{")]
        confirmation = next((line for line in lines if line["order_id"] == order_id), None)
        if confirmation:
            return confirmation
        time.sleep(0.5)
    return None


def test_both_functions_are_active_and_the_mapping_feeds_the_notifier_from_the_queue(session, built):
    _, functions = built
    lambda_client = session.client("lambda")
    for name in (functions.recommendations_name, functions.notifier_name):
        assert lambda_client.get_function(FunctionName=name)["Configuration"]["State"] == "Active"
    assert lambda_client.get_function(FunctionName=functions.notifier_name)["Configuration"]["PackageType"] == "Image"
    mapping = lambda_client.get_event_source_mapping(UUID=functions.mapping_uuid)
    assert (mapping["EventSourceArn"], mapping["FunctionArn"], mapping["State"]) == (
        functions.queue_arn, functions.notifier_arn, "Enabled")
    subscriptions = session.client("sns").list_subscriptions_by_topic(TopicArn=functions.topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("sqs", functions.queue_arn)]


def test_orders_runs_with_the_topic_and_an_order_reaches_the_notifier(session, built):
    stack, functions = built
    ecs = session.client("ecs")
    running = ecs.describe_services(cluster=stack.cluster, services=["orders"])["services"][0]["taskDefinition"]
    assert running == functions.orders_task_definition
    assert orders_environment(ecs, running)[TOPIC_VARIABLE] == functions.topic_arn
    order = httpx.post(stack.base_url + "/orders", json={"user_id": 1, "book_id": 1, "quantity": 1}, timeout=10)
    assert order.status_code == 201
    assert confirmation_logged(session, functions.notifier_name, order.json()["id"])


def test_recommendations_reads_the_catalog(session, built):
    _, functions = built
    response = session.client("lambda").invoke(FunctionName=functions.recommendations_name,
                                                Payload=b'{"pathParameters": {"book_id": "1"}}')
    assert "FunctionError" not in response
    assert '"statusCode": 200' in response["Payload"].read().decode()


def test_a_second_call_changes_nothing(session, built):
    stack, functions = built
    assert ensure_functions(session, stack) == functions


def test_remove_functions_deletes_what_was_built_and_then_finds_nothing(session, built):
    _, functions = built
    removed = remove_functions(session)
    assert removed == [f"event source mapping {functions.mapping_uuid}", f"function {functions.notifier_name}",
                       f"function {functions.recommendations_name}", f"topic {session.name('order-events')}",
                       f"queue {session.name('order-events')}"]
    assert remove_functions(session) == []
