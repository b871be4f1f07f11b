"""Notifier, an AWS Lambda function that confirms orders: orders publishes OrderPlaced to an SNS topic, the topic
feeds an SQS queue, and the queue's event source mapping hands the messages to this handler in batches.

It also answers an API Gateway (payload 2.0) request whose body is the event: module 08's synchronous
confirmation, where orders calls it over HTTP and waits. Standard library only; packaged as a container image.
"""

import base64
import json
import os
import time

# Simulated time to send one confirmation (an e-mail provider's call), so a spike of orders has a cost to show.
SEND_SECONDS = float(os.environ.get("SEND_SECONDS", "0"))


class MalformedMessage(ValueError):
    pass


def handler(event, context):
    """Entry point for both triggers: SQS batches ("Records") and API Gateway requests ("requestContext")."""
    if "Records" in event:
        return confirm_batch(event["Records"])
    if "requestContext" in event:
        return confirm_request(event)
    raise MalformedMessage(f"Not an SQS or API Gateway event (keys: {sorted(event)}); the notifier takes either")


def confirm_batch(records: list[dict]) -> dict:
    """Confirm every order of the batch. One malformed message raises before any confirmation is sent, so
    the whole batch stays in the queue and is received again (then, after maxReceiveCount, dead-lettered)."""
    orders = [order_placed_in(record) for record in records]
    for order in orders:
        send_confirmation(order, via="sqs")
    return {"confirmed": [order["order_id"] for order in orders]}


def confirm_request(event: dict) -> dict:
    """Confirm one order sent over HTTP; a malformed body is the caller's error (400), not a retry."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        order = order_placed(parse_json(body, "the request body"))
    except MalformedMessage as error:
        return http_response(400, {"message": str(error)})
    send_confirmation(order, via="http")
    return http_response(200, {"confirmed": order["order_id"]}, order["correlation_id"])


def order_placed_in(record: dict) -> dict:
    """The OrderPlaced event in an SQS record, whether SNS wrapped it in its envelope or delivered it raw."""
    where = f"SQS message {record.get('messageId', '?')}"
    try:
        message = parse_json(record["body"], "the body")
        if message.get("Type") == "Notification" and "Message" in message:
            message = parse_json(message["Message"], "the SNS envelope's Message")
        return order_placed(message)
    except (KeyError, AttributeError, MalformedMessage) as error:
        raise MalformedMessage(f"{where} is not an OrderPlaced event: {error}") from None


def parse_json(text: str, where: str) -> dict:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise MalformedMessage(f"{where} is not JSON: {str(text)[:80]!r}") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{where} is JSON but not an object")
    return value


def order_placed(event: dict) -> dict:
    """Check the fields the confirmation needs; say which one is wrong."""
    if event.get("type") != "OrderPlaced":
        raise MalformedMessage(f"type is {event.get('type')!r}, not 'OrderPlaced'")
    if not isinstance(event.get("order_id"), int):
        raise MalformedMessage(f"order_id must be a number; got {event.get('order_id')!r}")
    if not isinstance(event.get("correlation_id"), str):
        raise MalformedMessage("correlation_id is missing")
    return event


def send_confirmation(order: dict, via: str) -> None:
    """The confirmation itself: here a log line (one JSON object, so CloudWatch Logs can find its correlation id)."""
    time.sleep(SEND_SECONDS)
    print(json.dumps({"service": "notifier", "message": "order confirmed", "order_id": order["order_id"],
                      "user_id": order.get("user_id"), "total": order.get("total"),
                      "correlation_id": order["correlation_id"], "via": via}), flush=True)


def http_response(status: int, body: dict, correlation_id: str | None = None) -> dict:
    headers = {"content-type": "application/json"}
    if correlation_id:
        headers["x-correlation-id"] = correlation_id
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}
