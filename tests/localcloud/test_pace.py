"""The `aws` pace: AWS's timing and eventual consistency, compressed, played by the control plane's handlers (no
engine; a fake clock). Each behaviour: AWS's error before its delay, success after it; nothing changes at `local`."""
import io
import json
import types
import zipfile

import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend

from localcloud import pace as pacing
from localcloud.awslambda.provider import LambdaProvider
from localcloud.pace_providers import PaceContext, paced_providers
from tests.localcloud.fakes import FakeClock, served_by

ACCOUNT, REGION = "123456789012", "us-east-1"
FACTOR = 20
AWS = pacing.Pace("aws", FACTOR)


# --- the settings and the arithmetic ------------------------------------------------------------------------------
def test_the_local_pace_is_the_default_and_takes_no_time():
    pace = pacing.from_environment({})
    assert (pace.name, pace.aws, pace.lasts(pacing.LOAD_BALANCER_PROVISIONING_S)) == ("local", False, 0.0)


def test_the_aws_pace_divides_aws_durations_by_the_factor_never_below_the_minimum():
    pace = pacing.from_environment({pacing.PACE_ENV: "aws", pacing.FACTOR_ENV: "25"})
    assert pace.lasts(pacing.LOAD_BALANCER_PROVISIONING_S) == pytest.approx(6.0)
    assert pace.lasts(0.5) == pacing.MINIMUM_S
    assert pacing.from_environment({pacing.PACE_ENV: "AWS"}).lasts(60) == 60  # factor 1: AWS's own durations
    assert "25x" in pace.describe()


@pytest.mark.parametrize("environ", [{pacing.PACE_ENV: "fast"}, {pacing.PACE_ENV: "aws", pacing.FACTOR_ENV: "0"},
                                     {pacing.PACE_ENV: "aws", pacing.FACTOR_ENV: "ten"}])
def test_an_unknown_pace_or_a_factor_not_above_zero_is_refused_saying_what_to_use(environ):
    with pytest.raises(pacing.PaceSettingError, match="use"):
        pacing.from_environment(environ)


def test_the_config_carries_the_pace_of_the_environment(monkeypatch):
    from localcloud.config import Config
    monkeypatch.setenv(pacing.PACE_ENV, "aws")
    monkeypatch.setenv(pacing.FACTOR_ENV, "30")
    assert Config().pace == pacing.Pace("aws", 30)
    monkeypatch.delenv(pacing.PACE_ENV)
    assert not Config().pace.aws


# --- handlers served by a real control plane ---------------------------------------------------------------------
class FakeLambdaPlane:
    """The Lambda plane as its provider sees it at a given pace."""
    name = "lambda"

    def __init__(self, pace, clock):
        self.cloud = types.SimpleNamespace(config=types.SimpleNamespace(pace=pace), clock=clock,
                                           backend=lambda service: get_backend(service)[ACCOUNT][REGION])

    def wake_event_sources(self):
        pass


@pytest.fixture
def paced(request):
    """(client maker, clock) of a control plane at the pace the test asks for (`aws` unless parametrized)."""
    pace = getattr(request, "param", AWS)
    clock = FakeClock()
    context = PaceContext(pace, lambda service: get_backend(service)[ACCOUNT][REGION], clock)
    providers = [*(paced_providers(context, ACCOUNT, REGION) if pace.aws else []),
                 LambdaProvider(FakeLambdaPlane(pace, clock), ACCOUNT, REGION)]
    try:
        with served_by(*providers, region=REGION) as client:
            yield client, clock
    finally:
        for service in ("iam", "lambda", "sqs", "ec2", "cloudwatch"):
            for backend in get_backend(service)[ACCOUNT].values():
                backend.reset()


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def new_role(client, name="paced-role") -> str:
    return client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def create_function(client, role_arn, name="paced", **extra):
    return client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role_arn,
                                            Handler="app.handler", Code={"ZipFile": zipped()}, **extra)


def error_of(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def test_a_role_just_created_cannot_be_assumed_by_lambda_until_it_has_propagated(paced):
    client, clock = paced
    role_arn = new_role(client)
    error = error_of(lambda: create_function(client, role_arn))
    assert error == {"Code": "InvalidParameterValueException",
                     "Message": "The role defined for the function cannot be assumed by Lambda."}
    clock.advance(AWS.lasts(pacing.IAM_PROPAGATION_S))
    assert create_function(client, role_arn)["Role"] == role_arn


def test_a_role_whose_trust_policy_just_changed_is_not_yet_assumable_by_lambda_either(paced):
    client, clock = paced
    role_arn = new_role(client)
    clock.advance(AWS.lasts(pacing.IAM_PROPAGATION_S))
    create_function(client, role_arn)
    client("iam").update_assume_role_policy(RoleName="paced-role", PolicyDocument=json.dumps(TRUST))
    update = lambda: client("lambda").update_function_configuration(FunctionName="paced", Role=role_arn)  # noqa
    assert error_of(update)["Code"] == "InvalidParameterValueException"
    clock.advance(AWS.lasts(pacing.IAM_PROPAGATION_S))
    assert update()["Role"] == role_arn


def test_a_permission_policy_added_to_a_role_leaves_it_assumable(paced):
    client, clock = paced
    role_arn = new_role(client)
    clock.advance(AWS.lasts(pacing.IAM_PROPAGATION_S))
    client("iam").put_role_policy(RoleName="paced-role", PolicyName="logs", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}))
    assert create_function(client, role_arn)["Role"] == role_arn


SQS_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                                                   "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                              "sqs:GetQueueAttributes"]}]}


def sqs_mapping(client, clock):
    """A function whose role was just granted the rights to read a new queue; the CreateEventSourceMapping call."""
    role_arn = new_role(client)
    clock.advance(AWS.lasts(pacing.IAM_PROPAGATION_S))
    create_function(client, role_arn)
    sqs = client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName="jobs")["QueueUrl"],
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client("iam").put_role_policy(RoleName="paced-role", PolicyName="read", PolicyDocument=json.dumps(SQS_READ))
    return lambda: client("lambda").create_event_source_mapping(FunctionName="paced", EventSourceArn=queue_arn)


def test_rights_just_granted_to_a_role_count_for_a_mapping_only_once_propagated(paced):
    client, clock = paced
    mapping = sqs_mapping(client, clock)
    error = error_of(mapping)
    assert error == {"Code": "InvalidParameterValueException",
                     "Message": "The function execution role does not have permissions to call ReceiveMessage on SQS"}
    clock.advance(AWS.lasts(pacing.IAM_PROPAGATION_S))
    assert mapping()["State"]


@pytest.mark.parametrize("paced", [pacing.Pace()], indirect=True)
def test_at_the_local_pace_rights_just_granted_count_at_once(paced):
    assert sqs_mapping(*paced)()["State"]


@pytest.mark.parametrize("paced", [pacing.Pace()], indirect=True)
def test_at_the_local_pace_a_new_role_is_usable_at_once(paced):
    client, _ = paced
    role_arn = new_role(client)
    assert create_function(client, role_arn)["Role"] == role_arn


def test_a_queue_name_is_reserved_for_60_seconds_after_its_queue_is_deleted(paced):
    client, clock = paced
    sqs = client("sqs")
    sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName="orders")["QueueUrl"])
    error = error_of(lambda: sqs.create_queue(QueueName="orders"))
    assert error["Code"] in ("AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently")
    assert "wait 60 seconds after deleting a queue" in error["Message"]
    assert sqs.create_queue(QueueName="other")["QueueUrl"]  # only that name is reserved
    clock.advance(AWS.lasts(pacing.SQS_NAME_REUSE_S))
    assert sqs.create_queue(QueueName="orders")["QueueUrl"]


@pytest.mark.parametrize("paced", [pacing.Pace()], indirect=True)
def test_at_the_local_pace_a_deleted_queues_name_is_free_at_once(paced):
    sqs = paced[0]("sqs")
    sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName="orders")["QueueUrl"])
    assert sqs.create_queue(QueueName="orders")["QueueUrl"]


def vpc_function(client) -> dict:
    ec2 = client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group_id = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc_id)["GroupId"]
    return {"vpc": vpc_id, "subnet": subnet_id, "group": group_id}


def test_the_network_of_a_deleted_vpc_function_is_held_with_dependency_violation(paced):
    client, clock = paced
    network = vpc_function(client)
    role_arn = new_role(client)
    clock.advance(AWS.lasts(pacing.IAM_PROPAGATION_S))
    create_function(client, role_arn, VpcConfig={"SubnetIds": [network["subnet"]],
                                                 "SecurityGroupIds": [network["group"]]})
    client("lambda").delete_function(FunctionName="paced")
    ec2 = client("ec2")
    for delete in (lambda: ec2.delete_security_group(GroupId=network["group"]),
                   lambda: ec2.delete_subnet(SubnetId=network["subnet"]), lambda: ec2.delete_vpc(VpcId=network["vpc"])):
        assert error_of(delete)["Code"] == "DependencyViolation"
    clock.advance(AWS.lasts(pacing.LAMBDA_ENI_RELEASE_S))
    ec2.delete_security_group(GroupId=network["group"])
    ec2.delete_subnet(SubnetId=network["subnet"])
    ec2.delete_vpc(VpcId=network["vpc"])


@pytest.mark.parametrize("paced", [pacing.Pace()], indirect=True)
def test_at_the_local_pace_a_deleted_vpc_functions_network_is_free_at_once(paced):
    client, _ = paced
    network = vpc_function(client)
    create_function(client, new_role(client), VpcConfig={"SubnetIds": [network["subnet"]],
                                                         "SecurityGroupIds": [network["group"]]})
    client("lambda").delete_function(FunctionName="paced")
    ec2 = client("ec2")
    ec2.delete_security_group(GroupId=network["group"])
    ec2.delete_subnet(SubnetId=network["subnet"])
    ec2.delete_vpc(VpcId=network["vpc"])


def sum_of_orders(client) -> list:
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    answer = client("cloudwatch").get_metric_statistics(
        Namespace="Shop", MetricName="Orders", StartTime=now - datetime.timedelta(minutes=10),
        EndTime=now + datetime.timedelta(minutes=10), Period=60, Statistics=["Sum"])
    return [point["Sum"] for point in answer["Datapoints"]]


def test_metric_datapoints_reach_statistics_only_after_about_a_minute(paced):
    client, clock = paced
    client("cloudwatch").put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 3}])
    assert sum_of_orders(client) == []
    clock.advance(AWS.lasts(pacing.CLOUDWATCH_METRIC_LAG_S))
    assert sum_of_orders(client) == [3.0]


@pytest.mark.parametrize("paced", [pacing.Pace()], indirect=True)
def test_at_the_local_pace_metric_datapoints_are_visible_at_once(paced):
    client, _ = paced
    client("cloudwatch").put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 3}])
    assert sum_of_orders(client) == [3.0]


# --- the cloud and its command line -------------------------------------------------------------------------------
def test_the_paced_handlers_are_registered_only_at_the_aws_pace_and_the_status_shows_the_pace():
    from localcloud.cloud import LocalCloud
    from localcloud.config import Config
    paced, local = LocalCloud(Config(pace=AWS), data_planes=[]), LocalCloud(Config(pace=pacing.Pace()), data_planes=[])
    assert [paced.providers.serves(app) for app in ("iam", "sqs", "ec2", "cloudwatch")] == [True] * 4
    assert not any(local.providers.serves(app) for app in ("iam", "sqs", "ec2", "cloudwatch"))
    assert (paced.status()["pace"], local.status()["pace"]) == ("aws (20x faster than AWS)", "local (instant)")


def test_localcloud_status_shows_the_pace(monkeypatch, capsys):
    from localcloud import cli
    from localcloud.config import Config
    monkeypatch.setattr(cli, "fetch_status", lambda config: {
        "parts": {"control-plane": {"ready": True, "endpoint": "http://127.0.0.1:4566"}},
        "pace": "aws (20x faster than AWS)"})
    cli.status_command(Config(), as_json=False)
    assert "pace           aws (20x faster than AWS)" in capsys.readouterr().out


def test_localcloud_refuses_a_pace_it_cannot_play_saying_what_to_use(monkeypatch, capsys):
    from localcloud import cli
    monkeypatch.setenv(pacing.PACE_ENV, "slow")
    assert cli.main(["status"]) == 1
    assert "LOCALCLOUD_PACE='slow': use one of local, aws" in capsys.readouterr().err
