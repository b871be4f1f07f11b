"""What module 06's helpers do for a real account, without an engine: retrying while a new role reaches Lambda,
the queue rights of the functions' role, the notifier's Architectures from its image, the tags of the mapping."""
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from docker import errors as docker_errors
from moto import mock_aws

from workshop.deploy import image_cpu
from workshop.functions import (ROLE_WAIT_SECONDS, ensure_lambda_role, ensure_mapping, ensure_topic_and_queue,
                                when_role_ready)
from workshop.session import Session

REGION = "us-east-1"
SESSION = Session(mode="aws", region=REGION, account="123456789012", prefix="bookshop")
NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
NO_SQS_RIGHTS = ("The provided execution role does not have permissions to call ReceiveMessage on SQS")


def invalid_parameter(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "InvalidParameterValueException", "Message": message}}, "CreateFunction")


class Clock:
    def __init__(self):
        self.now, self.pauses = 0.0, []

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds


def failing(times: int, message: str):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= times:
            raise invalid_parameter(message)
        return {"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:bookshop-notifier"}
    return call, calls


@pytest.mark.parametrize("message", [NOT_ASSUMABLE, NO_SQS_RIGHTS])
def test_a_role_not_yet_usable_is_retried_with_growing_pauses(message, capsys):
    clock, (call, calls) = Clock(), failing(3, message)
    answer = when_role_ready(call, what="creating bookshop-notifier", sleep=clock.sleep, clock=lambda: clock.now)
    assert answer["FunctionArn"].endswith(":bookshop-notifier") and len(calls) == 4
    assert clock.pauses == [1, 2, 4]
    assert capsys.readouterr().out.count("the role is not usable by Lambda yet") == 3


def test_the_retry_gives_up_at_its_deadline_with_aws_error():
    clock, (call, _) = Clock(), failing(1000, NOT_ASSUMABLE)
    with pytest.raises(ClientError, match="cannot be assumed by Lambda"):
        when_role_ready(call, what="creating", sleep=clock.sleep, clock=lambda: clock.now)
    assert ROLE_WAIT_SECONDS - 8 <= clock.now <= ROLE_WAIT_SECONDS


def test_any_other_error_is_raised_at_once():
    clock, (call, calls) = Clock(), failing(1, "Unzipped size must be smaller than 262144000 bytes")
    with pytest.raises(ClientError, match="Unzipped size"):
        when_role_ready(call, what="creating", sleep=clock.sleep, clock=lambda: clock.now)
    assert len(calls) == 1 and clock.pauses == []


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # the role attaches AWS's managed policies
    with mock_aws():
        yield


def test_the_functions_role_may_read_the_order_events_queue_and_no_other(aws):
    iam = boto3.client("iam", region_name=REGION)
    ensure_lambda_role(iam, SESSION)
    policy = iam.get_role_policy(RoleName="bookshop-lambda", PolicyName="read-order-events")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    statement = policy["Statement"][0]
    assert statement["Resource"] == "arn:aws:sqs:us-east-1:123456789012:bookshop-order-events"
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(statement["Action"])


def test_the_mapping_carries_the_workshop_tags(aws):
    iam, sqs, lambda_client = (boto3.client(name, region_name=REGION) for name in ("iam", "sqs", "lambda"))
    role = ensure_lambda_role(iam, SESSION)
    queue_url = sqs.create_queue(QueueName="bookshop-order-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    function = lambda_client.create_function(FunctionName="bookshop-notifier", Runtime="python3.13", Role=role,
                                             Handler="app.handler", Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18})
    uuid = ensure_mapping(lambda_client, SESSION, queue_arn, "bookshop-notifier")
    mapping_arn = lambda_client.get_event_source_mapping(UUID=uuid).get("EventSourceMappingArn")
    tags = lambda_client.list_tags(Resource=mapping_arn or function["FunctionArn"].replace(
        "function:bookshop-notifier", f"event-source-mapping:{uuid}"))["Tags"]
    assert tags == SESSION.tag_map


class Images:
    def __init__(self, architecture: str | None):
        self.architecture = architecture

    def get(self, name):
        if self.architecture is None:
            raise docker_errors.ImageNotFound(name)
        return type("Image", (), {"attrs": {"Architecture": self.architecture}})()


class Engine:
    def __init__(self, image_architecture: str | None, engine_architecture: str = "x86_64"):
        self.images = Images(image_architecture)
        self.engine_architecture = engine_architecture

    def info(self):
        return {"Architecture": self.engine_architecture}


def test_the_notifier_runs_on_the_cpu_its_image_was_built_for():
    assert image_cpu("123.dkr.ecr/bookshop/notifier:1.0", Engine("arm64")).aws_lambda == "arm64"
    assert image_cpu("123.dkr.ecr/bookshop/notifier:1.0", Engine("amd64", "aarch64")).aws_lambda == "x86_64"


def test_an_image_the_engine_does_not_have_is_taken_to_be_for_the_engines_cpu():
    assert image_cpu("123.dkr.ecr/bookshop/notifier:1.0", Engine(None, "aarch64")).aws_lambda == "arm64"


@pytest.mark.parametrize("chosen, kept", [(None, 60), ("30", 60), ("120", 120)])
def test_the_queue_module_06_made_is_found_and_keeps_a_long_enough_visibility_timeout(aws, chosen, kept):
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    if chosen:  # exercise 06.1: the learner's visibility timeout (SQS's default of 30 s when it was skipped)
        sqs.create_queue(QueueName="bookshop-order-events", Attributes={"VisibilityTimeout": chosen})
    _, queue_url, _ = ensure_topic_and_queue(sns, sqs, SESSION)
    _, again, _ = ensure_topic_and_queue(sns, sqs, SESSION)
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert again == queue_url and int(attributes["VisibilityTimeout"]) == kept
