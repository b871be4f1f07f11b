import json
import logging

import boto3
import pytest
from moto import mock_aws

ORDER = {"user_id": 3, "book_id": 2, "quantity": 2}
REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch):
    """moto's in-memory AWS, with an SNS topic whose messages land in an SQS queue (the notifier's set-up)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # moto answers AWS's own endpoints
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name="order-events")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="order-confirmations")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        yield {"topic_arn": topic_arn, "sqs": sqs, "queue_url": queue_url}


def received(aws) -> list[dict]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_a_placed_order_publishes_order_placed(make_client, aws):
    client = make_client(order_events_topic_arn=aws["topic_arn"])
    response = client.post("/orders", json=ORDER, headers={"X-Correlation-Id": "req-42"})
    assert response.status_code == 201
    assert response.headers["X-Confirmation"] == "queued"
    [envelope] = received(aws)
    assert envelope["TopicArn"] == aws["topic_arn"]
    assert envelope["MessageAttributes"]["correlation_id"]["Value"] == "req-42"
    event = json.loads(envelope["Message"])
    assert event.pop("placed_at")
    assert event == {"type": "OrderPlaced", "order_id": 1, "user_id": 3,
                     "items": [{"book_id": 2, "quantity": 2, "unit_price": 12.5}], "total": 25.0,
                     "correlation_id": "req-42"}


def test_nothing_is_published_when_no_topic_is_configured(client, aws):
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 201
    assert response.headers["X-Confirmation"] == "off"
    assert received(aws) == []


def test_a_failed_publish_is_logged_and_the_order_still_succeeds(make_client, aws, caplog):
    missing_topic = aws["topic_arn"].replace("order-events", "no-such-topic")
    client = make_client(order_events_topic_arn=missing_topic)
    with caplog.at_level(logging.ERROR, logger="orders_service"):
        response = client.post("/orders", json=ORDER)
    assert response.status_code == 201
    assert response.headers["X-Confirmation"] == "not-queued"
    assert client.get("/orders/1").status_code == 200
    [record] = [r for r in caplog.records if r.getMessage() == "OrderPlaced not published; the order stands"]
    assert record.fields["order_id"] == 1
    assert "NotFound" in record.fields["error"]


def test_nothing_is_published_when_catalog_refuses_the_order(make_client, aws):
    client = make_client(order_events_topic_arn=aws["topic_arn"])
    assert client.post("/orders", json={"user_id": 1, "book_id": 8, "quantity": 5}).status_code == 409
    assert received(aws) == []
