"""ensure_functions builds module 06's end state in a real local cloud: an order placed through the load balancer
reaches the notifier; a second call changes nothing; remove_functions deletes what it built. On top of it, module
07's API (ensure_api) and module 08's synchronous confirmation, which orders' task makes through that API."""
import json
import time

import httpx
import pytest

from workshop.api import ensure_api
from workshop.catch_up import catch_up
from workshop.confirmations import CONFIRMATION_ROUTE, restore_notifier, route_to_notifier, synchronous_environment
from workshop.deploy import engine_cpu
from workshop.functions import TOPIC_VARIABLE, ensure_functions, orders_environment, remove_functions
from workshop.resilience import roll, with_environment
from workshop.stack import register_task_definition
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


def confirmations_logged(session, function_name: str) -> list[dict]:
    """Every "order confirmed" line of the notifier so far."""
    logs = session.client("logs")
    try:
        events = [event for page in logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{function_name}", filterPattern='"order confirmed"') for event in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [json.loads(event["message"]) for event in events if event["message"].startswith("{")]


def confirmation_logged(session, function_name: str, order_id: int, seconds: float = 60,
                        correlation_id: str | None = None) -> dict | None:
    """The notifier's confirmation of the order (ids restart in each orders task: give the correlation id too)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        confirmation = next((line for line in confirmations_logged(session, function_name)
                             if line["order_id"] == order_id and correlation_id in (None, line["correlation_id"])),
                            None)
        if confirmation:
            return confirmation
        time.sleep(0.5)
    return None


def test_both_functions_are_active_and_the_mapping_feeds_the_notifier_from_the_queue(session, built):
    _, functions = built
    lambda_client = session.client("lambda")
    for name in (functions.recommendations_name, functions.notifier_name):
        assert lambda_client.get_function(FunctionName=name)["Configuration"]["State"] == "Active"
    notifier = lambda_client.get_function(FunctionName=functions.notifier_name)["Configuration"]
    assert notifier["PackageType"] == "Image"
    assert notifier["Architectures"] == [engine_cpu().aws_lambda]  # the CPU its image was built for
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


def test_the_api_fronts_the_services_and_recommendations_and_a_second_call_changes_nothing(session, built):
    stack, functions = built
    api = ensure_api(session, stack, functions)
    assert httpx.get(api.endpoint + "/catalog/books", timeout=10).status_code == 200
    assert httpx.get(api.endpoint + "/recommendations/1", timeout=30).json()["recommendations"]
    apigatewayv2 = session.client("apigatewayv2")
    routes = sorted(route["RouteKey"] for route in apigatewayv2.get_routes(ApiId=api.api_id)["Items"])
    assert ensure_api(session, stack, functions) == api
    assert sorted(route["RouteKey"] for route in apigatewayv2.get_routes(ApiId=api.api_id)["Items"]) == routes


def test_orders_task_confirms_through_the_api_and_restore_puts_the_notifier_back(session, built):
    stack, functions = built
    api = ensure_api(session, stack, functions)
    ecs = session.client("ecs")
    route_to_notifier(session, api.api_id, functions.notifier_name, functions.notifier_arn)
    started_on = ecs.describe_task_definition(taskDefinition=functions.orders_task_definition)["taskDefinition"]
    # The URL the notebook sees, called from the task.
    environment = synchronous_environment(orders_environment(ecs, functions.orders_task_definition), api.endpoint)
    synchronous = register_task_definition(ecs, session, (stack.execution_role, stack.task_role),
                                           with_environment(started_on, environment))
    orders_group = stack.target_groups["orders"]
    roll(ecs, session.client("elbv2"), stack.cluster, "orders", synchronous, orders_group)
    try:
        trail = f"sync-{time.time_ns()}"
        order = httpx.post(stack.base_url + "/orders", json={"user_id": 1, "book_id": 1, "quantity": 1},
                           headers={"X-Correlation-Id": trail}, timeout=20)
        assert order.status_code == 201 and order.headers["x-confirmation"] == "sent"
        confirmation = confirmation_logged(session, functions.notifier_name, order.json()["id"], correlation_id=trail)
        assert confirmation, f"no confirmation of {trail} among {confirmations_logged(session, functions.notifier_name)}"
        assert confirmation["via"] == "http"
    finally:
        roll(ecs, session.client("elbv2"), stack.cluster, "orders", functions.orders_task_definition, orders_group)
    assert restore_notifier(session, api.api_id, functions.notifier_name) == [f"route {CONFIRMATION_ROUTE}",
                                                                              "permission for the API"]
    assert restore_notifier(session, api.api_id, functions.notifier_name) == []


def test_remove_functions_deletes_what_was_built_and_then_finds_nothing(session, built):
    _, functions = built
    removed = remove_functions(session)
    assert removed == [f"event source mapping {functions.mapping_uuid}", f"function {functions.notifier_name}",
                       f"function {functions.recommendations_name}", f"topic {session.name('order-events')}",
                       f"queue {session.name('order-events')}"]
    assert remove_functions(session) == []


def test_report_figures_reads_the_numbers_and_skips_a_memory_the_engine_could_not_measure():
    from workshop.functions import report_figures
    line = ("REPORT RequestId: 1f\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
            "Max Memory Used: - MB\tInit Duration: 250.50 ms")
    assert report_figures(f"START x\n{line}\n") == {"duration_ms": 12.34, "billed_ms": 13.0, "init_ms": 250.5}
    assert report_figures(line.replace("- MB", "42 MB"))["memory_mb"] == 42.0
