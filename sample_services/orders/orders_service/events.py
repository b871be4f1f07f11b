"""The OrderPlaced event, published to Amazon SNS after the order is committed: whoever subscribes (the notifier's
queue) reacts in its own time, and orders does not wait for it (module 08's queued confirmation)."""

import json
import logging
from datetime import UTC, datetime

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__package__)

# A slow or unreachable SNS must not hold an order for botocore's default minute.
SNS_CONFIG = Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})


def order_placed(order: dict, unit_price: float, correlation_id: str) -> dict:
    """The event as subscribers read it; the items list keeps room for orders of several books."""
    return {
        "type": "OrderPlaced",
        "order_id": order["id"],
        "user_id": order["user_id"],
        "items": [{"book_id": order["book_id"], "quantity": order["quantity"], "unit_price": unit_price}],
        "total": order["total"],
        "correlation_id": correlation_id,
        "placed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class OrderEvents:
    def __init__(self, topic_arn: str):
        self.topic_arn = topic_arn
        # Made once, here: requests publish from many threads, and creating clients is not thread-safe.
        # The topic's own region; AWS_ENDPOINT_URL and credentials come from the environment, as boto3 always reads.
        self.sns = boto3.session.Session().client("sns", region_name=topic_arn.split(":")[3], config=SNS_CONFIG)

    def publish(self, event: dict) -> bool:
        """Publish `event`; a failure is logged and reported, never raised: the order is already committed."""
        fields = {"order_id": event["order_id"], "topic_arn": self.topic_arn}
        try:
            response = self.sns.publish(
                TopicArn=self.topic_arn,
                Message=json.dumps(event),
                MessageAttributes={
                    "event_type": {"DataType": "String", "StringValue": event["type"]},
                    "correlation_id": {"DataType": "String", "StringValue": event["correlation_id"]},
                },
            )
        except (BotoCoreError, ClientError) as error:
            log.error("OrderPlaced not published; the order stands", extra={"fields": {**fields, "error": str(error)}})
            return False
        log.info("OrderPlaced published", extra={"fields": {**fields, "message_id": response["MessageId"]}})
        return True
