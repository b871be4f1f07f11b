"""Module 06's check: an event source mapping from the order-events queue to the notifier (moto in process)."""
import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from workshop.checks import ExerciseIncomplete
from workshop.checks.lambda_ import check_event_source_mapping

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        iam, sqs, lambda_client = (boto3.client(name, region_name=REGION) for name in ("iam", "sqs", "lambda"))
        role = iam.create_role(RoleName="lambda", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return event\n")
        function_arns = [lambda_client.create_function(
            FunctionName=name, Runtime="python3.13", Handler="app.handler", Role=role["Role"]["Arn"],
            Code={"ZipFile": package.getvalue()})["FunctionArn"] for name in ("notifier", "other")]
        queue_arns = []
        for name in ("order-events", "elsewhere"):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
            queue_arns.append(attributes["QueueArn"])
        yield lambda_client, queue_arns, function_arns


def check(lambda_client, uuid, queue_arns, function_arns):
    check_event_source_mapping(lambda_client, uuid, queue_arn=queue_arns[0], function_arn=function_arns[0])


def test_a_mapping_from_the_queue_to_the_notifier_passes(aws, capsys):
    lambda_client, queues, functions = aws
    uuid = lambda_client.create_event_source_mapping(EventSourceArn=queues[0], FunctionName="notifier",
                                                     BatchSize=10)["UUID"]
    check(lambda_client, uuid, queues, functions)
    assert "order-events → notifier, batches of up to 10" in capsys.readouterr().out


def test_the_placeholder_says_to_replace_it(aws):
    lambda_client, queues, functions = aws
    with pytest.raises(ExerciseIncomplete, match="`notifier_mapping` is still `...`"):
        check(lambda_client, ..., queues, functions)


def test_the_whole_response_instead_of_its_uuid_is_refused(aws):
    lambda_client, queues, functions = aws
    mapping = lambda_client.create_event_source_mapping(EventSourceArn=queues[0], FunctionName="notifier")
    with pytest.raises(ExerciseIncomplete, match=r"must be the UUID"):
        check(lambda_client, mapping, queues, functions)


def test_an_unknown_uuid_is_named(aws):
    lambda_client, queues, functions = aws
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ExerciseIncomplete, match=f"Lambda has no event source mapping .{missing}."):
        check(lambda_client, missing, queues, functions)


@pytest.mark.parametrize("settings, message", [
    ({"EventSourceArn": 1, "FunctionName": "notifier"}, "EventSourceArn must be the queue's ARN"),
    ({"EventSourceArn": 0, "FunctionName": "other"}, "FunctionName must be the notifier"),
    ({"EventSourceArn": 0, "FunctionName": "notifier", "Enabled": False}, "create it with Enabled=True"),
    ({"EventSourceArn": 0, "FunctionName": "notifier", "BatchSize": 500}, "BatchSize 500 needs a batching window"),
])
def test_each_wrong_setting_is_named(aws, settings, message):
    lambda_client, queues, functions = aws
    settings = {**settings, "EventSourceArn": queues[settings["EventSourceArn"]]}
    uuid = lambda_client.create_event_source_mapping(**settings)["UUID"]
    with pytest.raises(ExerciseIncomplete, match=message):
        check(lambda_client, uuid, queues, functions)
