import base64
import json

import boto3
import pytest
from moto import mock_aws

ORDER_PLACED = {"type": "OrderPlaced", "order_id": 7, "user_id": 3, "total": 25.0, "correlation_id": "req-42",
                "items": [{"book_id": 2, "quantity": 2, "unit_price": 12.5}], "placed_at": "2026-12-01T21:00:00+00:00"}


def sqs_event(*bodies: str) -> dict:
    """An SQS event as the event source mapping hands it to the function."""
    return {"Records": [{"messageId": f"m-{n}", "receiptHandle": f"h-{n}", "body": body, "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:order-confirmations"}
                        for n, body in enumerate(bodies, start=1)]}


def confirmation_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.fixture
def envelope_from_sns(monkeypatch) -> str:
    """The body of an SQS message that a real SNS subscription delivered (moto's), envelope and all."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        topic_arn = sns.create_topic(Name="order-events")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="order-confirmations")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        sns.publish(TopicArn=topic_arn, Message=json.dumps(ORDER_PLACED))
        [message] = sqs.receive_message(QueueUrl=queue_url)["Messages"]
        return message["Body"]


def test_an_order_placed_in_an_sns_envelope_is_confirmed_with_its_correlation_id(notifier, envelope_from_sns, capsys):
    assert json.loads(envelope_from_sns)["Type"] == "Notification"
    assert notifier.handler(sqs_event(envelope_from_sns), None) == {"confirmed": [7]}
    [line] = confirmation_lines(capsys)
    assert line == {"service": "notifier", "message": "order confirmed", "order_id": 7, "user_id": 3,
                    "total": 25.0, "correlation_id": "req-42", "via": "sqs"}


def test_raw_message_delivery_is_confirmed_too(notifier, capsys):
    assert notifier.handler(sqs_event(json.dumps(ORDER_PLACED)), None) == {"confirmed": [7]}


def test_a_batch_confirms_every_order(notifier, capsys):
    second = {**ORDER_PLACED, "order_id": 8, "correlation_id": "req-43"}
    assert notifier.handler(sqs_event(json.dumps(ORDER_PLACED), json.dumps(second)), None) == {"confirmed": [7, 8]}
    assert [line["correlation_id"] for line in confirmation_lines(capsys)] == ["req-42", "req-43"]


@pytest.mark.parametrize("body, reason", [
    ("not json", "the body is not JSON: 'not json'"),
    (json.dumps({"Type": "Notification", "Message": "{oops"}), "the SNS envelope's Message is not JSON"),
    (json.dumps({**ORDER_PLACED, "type": "OrderShipped"}), "type is 'OrderShipped', not 'OrderPlaced'"),
    (json.dumps({**ORDER_PLACED, "order_id": "seven"}), "order_id must be a number; got 'seven'"),
    (json.dumps([1, 2]), "the body is JSON but not an object"),
])
def test_a_malformed_message_raises_so_the_batch_stays_in_the_queue(notifier, capsys, body, reason):
    with pytest.raises(notifier.MalformedMessage, match="SQS message m-2 is not an OrderPlaced event") as raised:
        notifier.handler(sqs_event(json.dumps(ORDER_PLACED), body), None)
    assert reason in str(raised.value)
    assert confirmation_lines(capsys) == []  # nothing confirmed, so the retry confirms nothing twice


def api_event(body: str, base64_encoded: bool = False) -> dict:
    """An HTTP API (payload 2.0) POST, as API Gateway sends it when orders confirms synchronously."""
    if base64_encoded:
        body = base64.b64encode(body.encode()).decode()
    return {"version": "2.0", "routeKey": "POST /confirmations", "rawPath": "/confirmations",
            "headers": {"content-type": "application/json"}, "isBase64Encoded": base64_encoded, "body": body,
            "requestContext": {"http": {"method": "POST", "path": "/confirmations"}, "stage": "$default"}}


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_a_synchronous_confirmation_over_http_answers_200(notifier, capsys, base64_encoded):
    response = notifier.handler(api_event(json.dumps(ORDER_PLACED), base64_encoded), None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"confirmed": 7}
    assert response["headers"]["x-correlation-id"] == "req-42"
    assert confirmation_lines(capsys)[0]["via"] == "http"


def test_a_malformed_http_body_is_400_and_confirms_nothing(notifier, capsys):
    response = notifier.handler(api_event(json.dumps({"type": "Hello"})), None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "type is 'Hello', not 'OrderPlaced'"}
    assert confirmation_lines(capsys) == []


def test_an_event_from_elsewhere_is_refused_with_what_the_notifier_takes(notifier):
    with pytest.raises(notifier.MalformedMessage, match="Not an SQS or API Gateway event"):
        notifier.handler({"detail-type": "Scheduled Event"}, None)
