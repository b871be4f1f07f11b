"""AWS's Lambda rules moto lacks — an SQS mapping's role permissions, the account's concurrency — through the Lambda
provider with a stand-in plane (no engine)."""
import io
import json
import uuid
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.awslambda.models import lambda_backends
from moto.sqs.models import sqs_backends

from localcloud.awslambda.account_concurrency import ACCOUNT_CONCURRENCY_ENV
from localcloud.awslambda.concurrency import ConcurrencyLimits
from localcloud.awslambda.invocation import Throttled
from localcloud.awslambda.provider import LambdaProvider
from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID as ACCOUNT
from localcloud.control_plane import ControlPlane

REGION = "eu-south-2"  # moto's state is per process: a region no other test of this session uses
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}
SQS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
BASIC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


class StandInCloud:
    def part(self, name: str):
        return None

    def backend(self, service: str):
        return {"lambda": lambda_backends, "sqs": sqs_backends}[service][ACCOUNT][REGION]


class StandInPlane:
    """What the provider asks of the Lambda plane for these calls."""

    def __init__(self):
        self.cloud = StandInCloud()

    def wake_event_sources(self) -> None:
        pass


@pytest.fixture(scope="module")
def client():
    control_plane = ControlPlane("127.0.0.1", 0, {})
    control_plane.providers.register(LambdaProvider(StandInPlane(), ACCOUNT, REGION))
    control_plane.start()
    try:
        yield lambda service: boto3.client(service, endpoint_url=f"http://127.0.0.1:{control_plane.port}",
                                           region_name=REGION, aws_access_key_id="any",
                                           aws_secret_access_key="any")
    finally:
        control_plane.stop()
        for backends in (lambda_backends, sqs_backends):
            backends[ACCOUNT][REGION].reset()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def role(client, managed=(), inline: dict | None = None) -> str:
    iam = client("iam")
    name = unique("role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    for policy in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    if inline is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
    return arn


def allow(actions, resource="*", effect="Allow") -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": actions, "Resource": resource}]}


def function(client, role_arn: str, timeout: int = 3) -> str:
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return client("lambda").create_function(FunctionName=unique("fn"), Runtime="python3.13", Role=role_arn,
                                            Handler="app.handler", Code={"ZipFile": package.getvalue()},
                                            Timeout=timeout)["FunctionName"]


def queue(client, visibility_timeout: int = 30) -> str:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=unique("q"), Attributes={"VisibilityTimeout": str(visibility_timeout)})["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def map_queue(client, role_arn: str, queue_arn: str | None = None) -> dict:
    return client("lambda").create_event_source_mapping(EventSourceArn=queue_arn or queue(client),
                                                        FunctionName=function(client, role_arn), BatchSize=1)


def refused(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


# --- an SQS mapping needs a role that may read the queue ---------------------------------------------------------
def test_a_role_without_sqs_permissions_cannot_map_a_queue(client):
    role_arn = role(client, managed=[BASIC_POLICY])
    assert refused(lambda: map_queue(client, role_arn)) == (
        "InvalidParameterValueException", "The function execution role does not have permissions to call "
                                          "ReceiveMessage on SQS")


def test_aws_managed_sqs_execution_role_policy_is_enough(client):
    assert map_queue(client, role(client, managed=[SQS_POLICY]))["State"] in ("Creating", "Enabled")


def test_an_inline_policy_scoped_to_the_queue_is_enough(client):
    queue_arn = queue(client)
    role_arn = role(client, inline=allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                                         resource=queue_arn))
    assert map_queue(client, role_arn, queue_arn)["EventSourceArn"] == queue_arn


def test_actions_match_without_regard_to_case(client):
    assert map_queue(client, role(client, inline=allow("SQS:*")))["State"] in ("Creating", "Enabled")


def test_each_action_is_required_in_turn(client):
    role_arn = role(client, inline=allow(["sqs:ReceiveMessage"]))
    assert refused(lambda: map_queue(client, role_arn))[1].endswith("call DeleteMessage on SQS")
    role_arn = role(client, inline=allow(["sqs:ReceiveMessage", "sqs:DeleteMessage"]))
    assert refused(lambda: map_queue(client, role_arn))[1].endswith("call GetQueueAttributes on SQS")


def test_a_policy_for_another_queue_is_not_enough(client):
    role_arn = role(client, inline=allow("sqs:*", resource=f"arn:aws:sqs:{REGION}:{ACCOUNT}:some-other-queue"))
    assert refused(lambda: map_queue(client, role_arn))[0] == "InvalidParameterValueException"


def test_an_explicit_deny_wins_over_the_managed_allow(client):
    role_arn = role(client, managed=[SQS_POLICY], inline=allow("sqs:DeleteMessage", effect="Deny"))
    assert refused(lambda: map_queue(client, role_arn))[1].endswith("call DeleteMessage on SQS")


# --- the queue must suit the function, and one mapping per queue and function ------------------------------------
def test_a_queue_that_hides_messages_for_less_than_the_function_runs_cannot_be_mapped(client):
    role_arn = role(client, managed=[SQS_POLICY])
    fn = function(client, role_arn, timeout=60)
    assert refused(lambda: client("lambda").create_event_source_mapping(
        EventSourceArn=queue(client, visibility_timeout=30), FunctionName=fn)) == (
        "InvalidParameterValueException", "Queue visibility timeout: 30 seconds is less than Function timeout: "
                                          "60 seconds")
    assert client("lambda").create_event_source_mapping(EventSourceArn=queue(client, visibility_timeout=60),
                                                        FunctionName=fn)["State"] in ("Creating", "Enabled")


def test_a_second_mapping_of_the_same_queue_and_function_is_a_conflict_naming_the_first(client):
    queue_arn, fn = queue(client), function(client, role(client, managed=[SQS_POLICY]))
    first = client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=fn)
    code, message = refused(lambda: client("lambda").create_event_source_mapping(EventSourceArn=queue_arn,
                                                                                 FunctionName=fn))
    assert code == "ResourceConflictException"
    assert message.endswith(f"Please update or delete the existing mapping with UUID {first['UUID']}")
    client("lambda").delete_event_source_mapping(UUID=first["UUID"])
    assert client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=fn)["UUID"]


# --- the account's concurrency -----------------------------------------------------------------------------------
@pytest.fixture
def account_of(monkeypatch, client):
    """An account with this concurrency limit, and no reservation left from another test."""
    def limited(limit: int):
        monkeypatch.setenv(ACCOUNT_CONCURRENCY_ENV, str(limit))
        lam = client("lambda")
        for fn in lam.list_functions()["Functions"]:
            lam.delete_function_concurrency(FunctionName=fn["FunctionName"])
        return lam
    return limited


def test_a_new_account_with_10_cannot_reserve_any(account_of, client):
    lam = account_of(10)
    name = function(client, role(client))
    assert refused(lambda: lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)) == (
        "InvalidParameterValueException", "Specified ReservedConcurrentExecutions for function decreases account's "
                                          "UnreservedConcurrentExecution below its minimum value of [10].")


def test_a_default_account_keeps_100_unreserved(account_of, client):
    lam = account_of(1000)
    first, second = function(client, role(client)), function(client, role(client))
    assert lam.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=850)[
        "ReservedConcurrentExecutions"] == 850
    assert lam.put_function_concurrency(FunctionName=second, ReservedConcurrentExecutions=50)[
        "ReservedConcurrentExecutions"] == 50
    assert refused(lambda: lam.put_function_concurrency(FunctionName=second, ReservedConcurrentExecutions=51))[1] \
        .endswith("below its minimum value of [100].")
    # Changing a function's own reservation does not count its old one twice.
    assert lam.put_function_concurrency(FunctionName=first, ReservedConcurrentExecutions=850)[
        "ReservedConcurrentExecutions"] == 850


def test_account_settings_report_the_limit_and_what_is_left_unreserved(account_of, client):
    lam = account_of(1000)
    name = function(client, role(client))
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=30)
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 970
    assert settings["AccountUsage"]["FunctionCount"] == len(lam.list_functions()["Functions"])
    lam = account_of(10)
    assert lam.get_account_settings()["AccountLimit"] == {**settings["AccountLimit"], "ConcurrentExecutions": 10,
                                                          "UnreservedConcurrentExecutions": 10}


def test_functions_without_a_reservation_share_the_unreserved_pool():
    limits = ConcurrencyLimits()
    limits.acquire("a", None, unreserved_pool=2)
    limits.acquire("b", None, unreserved_pool=2)
    with pytest.raises(Throttled):
        limits.acquire("c", None, unreserved_pool=2)
    limits.acquire("reserved", 1, unreserved_pool=2)  # a reservation is its own, outside the pool
    limits.release("a")
    limits.acquire("c", None, unreserved_pool=2)
    assert (limits.in_flight("b"), limits.in_flight("c"), limits.in_flight("reserved")) == (1, 1, 1)
