"""SQS event source mappings run the function with batches; success deletes the messages, failure keeps them."""
import json

import botocore.exceptions
import pytest

from tests.localcloud.lambda_fixtures import client, create_function, lambda_cloud, log_messages, unique, wait_for

pytestmark = pytest.mark.docker

COLD_START_WAIT_S = 60

# Records the batch sizes it sees in its log; fails every message whose body is "poison".
CONSUMER = '''
import json, time

def handler(event, context):
    bodies = [record["body"] for record in event["Records"]]
    if "slow" in bodies:
        time.sleep(1)
    print("batch", json.dumps(bodies))
    if "poison" in bodies:
        raise RuntimeError("cannot process poison")
    return {"processed": len(bodies)}
'''

# Sleeps 1 s per batch and logs when it ran, so a test can count the batches that overlapped.
SPANS = '''
import json, time

def handler(event, context):
    started = time.time()
    time.sleep(1)
    print("span", json.dumps({"start": started, "end": time.time(), "bodies": [r["body"] for r in event["Records"]],
                              "receives": [r["attributes"]["ApproximateReceiveCount"] for r in event["Records"]]}))
'''


@pytest.fixture(scope="module")
def cloud():
    with lambda_cloud("lambda-sqs") as cloud:
        yield cloud


def mapped_queue(cloud, batch_size: int, visibility_timeout: int = 30, code: str = CONSUMER,
                 **mapping) -> tuple[str, str]:
    name = unique("consumer")
    create_function(cloud, name, code=code, Timeout=min(3, visibility_timeout))  # AWS: visibility ≥ the timeout
    sqs = client(cloud, "sqs")
    url = sqs.create_queue(QueueName=unique("orders"),
                           Attributes={"VisibilityTimeout": str(visibility_timeout)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client(cloud, "lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=batch_size,
                                                        **mapping)
    return name, url


def batches(cloud, name: str) -> list[list[str]]:
    return [json.loads(m.split(" ", 1)[1]) for m in log_messages(cloud, name) if m.startswith("batch ")]


def spans(cloud, name: str) -> list[dict]:
    return [json.loads(m.split(" ", 1)[1]) for m in log_messages(cloud, name) if m.startswith("span ")]


def most_at_once(runs: list[dict]) -> int:
    """The largest number of handler runs that overlapped in time."""
    edges = sorted([(run["start"], 1) for run in runs] + [(run["end"], -1) for run in runs])
    running = peak = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start, so touching runs do not overlap
        running += step
        peak = max(peak, running)
    return peak


def queue_counts(cloud, url: str) -> tuple[int, int]:
    attributes = client(cloud, "sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return (int(attributes["Attributes"]["ApproximateNumberOfMessages"]),
            int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"]))


def test_messages_are_delivered_in_batches_and_deleted_after_success(cloud):
    name, url = mapped_queue(cloud, batch_size=3)
    sqs = client(cloud, "sqs")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"order {n}"} for n in range(7)])
    # The first delivery includes the function's cold start: seconds, more on a busy machine.
    wait_for(lambda: sum(len(batch) for batch in batches(cloud, name)) >= 7, message="all 7 messages processed",
             timeout=COLD_START_WAIT_S)
    assert max(len(batch) for batch in batches(cloud, name)) <= 3
    assert sorted(body for batch in batches(cloud, name) for body in batch) == sorted(f"order {n}" for n in range(7))
    wait_for(lambda: queue_counts(cloud, url) == (0, 0), message="the queue to be empty")


def test_a_failed_batch_stays_in_the_queue(cloud):
    name, url = mapped_queue(cloud, batch_size=1, visibility_timeout=1)
    sqs = client(cloud, "sqs")
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    wait_for(lambda: len(batches(cloud, name)) >= 2, message="the poison message delivered again", timeout=15)
    assert sum(queue_counts(cloud, url)) == 1
    client(cloud, "lambda").delete_event_source_mapping(
        UUID=client(cloud, "lambda").list_event_source_mappings(FunctionName=name)["EventSourceMappings"][0]["UUID"])
    message = wait_for(lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"),
                       message="the message back in the queue")
    assert message[0]["Body"] == "poison"


def test_send_message_does_not_wait_for_the_function(cloud):
    # moto ran the function inside send_message; with the plane the sender returns at once.
    name, url = mapped_queue(cloud, batch_size=10)
    client(cloud, "sqs").send_message(QueueUrl=url, MessageBody="slow")
    assert batches(cloud, name) == []  # the handler sleeps a second before it prints
    wait_for(lambda: batches(cloud, name) == [["slow"]], message="the message processed")


def test_a_mapping_runs_batches_concurrently_up_to_its_maximum_concurrency(cloud):
    name, url = mapped_queue(cloud, batch_size=1, code=SPANS, ScalingConfig={"MaximumConcurrency": 3})
    client(cloud, "sqs").send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"order {n}"}
                                                                   for n in range(6)])
    runs = wait_for(lambda: (found := spans(cloud, name)) and len(found) >= 6 and found, message="6 batches run")
    assert sorted(body for run in runs for body in run["bodies"]) == sorted(f"order {n}" for n in range(6))
    assert 2 <= most_at_once(runs) <= 3
    wait_for(lambda: queue_counts(cloud, url) == (0, 0), message="the queue to be empty")


def test_reserved_concurrency_caps_the_batches_without_throttling_them(cloud):
    name, url = mapped_queue(cloud, batch_size=1, code=SPANS, ScalingConfig={"MaximumConcurrency": 3})
    client(cloud, "lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    client(cloud, "sqs").send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"order {n}"}
                                                                   for n in range(3)])
    runs = wait_for(lambda: (found := spans(cloud, name)) and len(found) >= 3 and found, message="3 batches run")
    assert most_at_once(runs) == 1
    assert [run["receives"] for run in runs] == [["1"]] * 3  # none was throttled back into the queue
    wait_for(lambda: queue_counts(cloud, url) == (0, 0), message="the queue to be empty")


def test_maximum_concurrency_above_1000_is_refused(cloud):
    # moto stores any value; botocore checks the minimum of 2 itself, so only the maximum reaches the server.
    name = unique("consumer")
    create_function(cloud, name, code=CONSUMER)
    sqs = client(cloud, "sqs")
    url = sqs.create_queue(QueueName=unique("orders"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client(cloud, "lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                                            ScalingConfig={"MaximumConcurrency": 1001})
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '1001' at 'scalingConfig.maximumConcurrency' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000")
