"""Module 06's checks: the order-events queue's visibility timeout, and an event source mapping from the queue to the
notifier (moto in process)."""
import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from workshop.checks import ExerciseIncomplete, unanswered
from workshop.checks.lambda_ import check_event_source_mapping, check_queue_visibility

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


# --- 06.1: the queue's visibility timeout against the notifier's timeout -------------------------------------------

@pytest.fixture
def queue(aws):
    lambda_client, _, _ = aws
    sqs = boto3.client("sqs", region_name=REGION)
    lambda_client.update_function_configuration(FunctionName="notifier", Timeout=10)
    return sqs, lambda_client, sqs.get_queue_url(QueueName="order-events")["QueueUrl"]


def visibility(queue, seconds, answer=None):
    sqs, lambda_client, url = queue
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})
    check_queue_visibility(sqs, lambda_client, seconds if answer is None else answer, queue_url=url,
                           function_name="notifier")


def test_six_times_the_function_timeout_passes(queue, capsys):
    visibility(queue, 60)
    assert "visibility timeout 60 s = 6 × the notifier's timeout (10 s)" in capsys.readouterr().out


def test_the_visibility_placeholder_says_to_replace_it(queue):
    with pytest.raises(ExerciseIncomplete) as incomplete:
        visibility(queue, 60, answer=...)
    assert str(incomplete.value) == unanswered("order_events_visibility")


def test_a_number_the_queue_does_not_have_says_to_set_it(queue):
    with pytest.raises(ExerciseIncomplete, match=r"the queue's visibility timeout is 30 s, not 60: set it with "
                                                 r"sqs.set_queue_attributes"):
        visibility(queue, 30, answer=60)


def test_a_string_is_not_a_number_of_seconds(queue):
    with pytest.raises(ExerciseIncomplete, match="must be the number of seconds you chose, an int"):
        visibility(queue, 60, answer="60")


@pytest.mark.parametrize("seconds, message", [
    (5, r"shorter than the notifier's Timeout \(10 s\): a batch still being handled would be handed out again"),
    (10, r"AWS advises at least six times the function's Timeout \(60 s\)"),
    (3600, r"3600 s is longer than needed: a batch whose invoke failed waits that long"),
])
def test_each_unwise_visibility_timeout_is_named(queue, seconds, message):
    with pytest.raises(ExerciseIncomplete, match=message):
        visibility(queue, seconds)


# --- 06.2: a re-run finds the mapping and updates it ----------------------------------------------------------------

def test_a_disabled_mapping_enabled_by_update_passes(aws, capsys):
    lambda_client, queues, functions = aws
    uuid = lambda_client.create_event_source_mapping(EventSourceArn=queues[0], FunctionName="notifier",
                                                     Enabled=False)["UUID"]
    with pytest.raises(ExerciseIncomplete, match="update_event_source_mapping"):
        check(lambda_client, uuid, queues, functions)
    lambda_client.update_event_source_mapping(UUID=uuid, Enabled=True, BatchSize=10)
    check(lambda_client, uuid, queues, functions)
    assert "Enabled" in capsys.readouterr().out


def test_a_mapping_still_settling_says_to_check_again():
    class Settling:
        class exceptions:
            ResourceNotFoundException = LookupError

        def get_event_source_mapping(self, UUID):
            return {"UUID": UUID, "State": "Creating", "EventSourceArn": "q", "FunctionArn": "f", "BatchSize": 10}

    with pytest.raises(ExerciseIncomplete, match="still 'Creating' after 60 s: run this check again"):
        check_event_source_mapping(Settling(), "u", queue_arn="q", function_arn="f", sleep=lambda _: None)
