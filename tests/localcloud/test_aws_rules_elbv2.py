"""AWS's target group health check rules, which moto does not apply, through the ELBv2 provider (no engine)."""
import uuid

import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend

from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID
from localcloud.elbv2.provider import Elbv2Provider
from tests.localcloud.fakes import served_by

REGION = "ap-south-2"  # moto's state is per process: a region no other test of this session uses


class StandInPlane:
    def backend(self):
        return get_backend("elbv2")[MOTO_DEFAULT_ACCOUNT_ID][REGION]

    def settle(self) -> None:
        pass


@pytest.fixture(scope="module")
def served():
    with served_by(Elbv2Provider(StandInPlane(), MOTO_DEFAULT_ACCOUNT_ID, REGION), region=REGION) as client:
        ec2 = client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        yield client("elbv2"), vpc


def http_group(elbv2, vpc, **health_check):
    return elbv2.create_target_group(Name=f"tg-{uuid.uuid4().hex[:8]}", Protocol="HTTP", Port=8000, VpcId=vpc,
                                     TargetType="ip", **health_check)["TargetGroups"][0]


def refused(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def test_an_interval_of_5_with_the_default_timeout_is_refused_as_on_aws(served):
    # An ALB target group's default timeout is 5 s: the interval must be greater (moto takes them equal).
    elbv2, vpc = served
    error = refused(lambda: http_group(elbv2, vpc, HealthCheckIntervalSeconds=5))
    assert error == {**error, "Code": "ValidationError",
                     "Message": "Health check interval must be greater than the timeout."}


def test_an_interval_equal_to_the_given_timeout_is_refused(served):
    elbv2, vpc = served
    error = refused(lambda: http_group(elbv2, vpc, HealthCheckIntervalSeconds=10, HealthCheckTimeoutSeconds=10))
    assert error["Code"] == "ValidationError"


def test_a_short_interval_with_a_shorter_timeout_is_created(served):
    elbv2, vpc = served
    group = http_group(elbv2, vpc, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (5, 2)


def test_the_defaults_alone_are_valid(served):
    elbv2, vpc = served
    group = http_group(elbv2, vpc)
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (30, 5)


@pytest.mark.parametrize("setting, value, bound", [
    ("HealthCheckIntervalSeconds", 301, "less than or equal to 300"),
    ("HealthCheckTimeoutSeconds", 121, "less than or equal to 120"),
    ("HealthyThresholdCount", 11, "less than or equal to 10"),
    ("UnhealthyThresholdCount", 11, "less than or equal to 10"),
])
def test_settings_above_their_documented_maximum_are_refused(served, setting, value, bound):
    elbv2, vpc = served
    extra = {"HealthCheckIntervalSeconds": 300} if setting == "HealthCheckTimeoutSeconds" else {}
    error = refused(lambda: http_group(elbv2, vpc, **{setting: value, **extra}))
    member = setting[0].lower() + setting[1:]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == (f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                                f"constraint: Member must have value {bound}")


def test_modify_checks_the_new_interval_against_the_groups_timeout(served):
    elbv2, vpc = served
    arn = http_group(elbv2, vpc)["TargetGroupArn"]
    error = refused(lambda: elbv2.modify_target_group(TargetGroupArn=arn, HealthCheckIntervalSeconds=5))
    assert (error["Code"], error["Message"]) == ("ValidationError", "Health check interval must be greater than the "
                                                                   "timeout.")
    [group] = elbv2.modify_target_group(TargetGroupArn=arn, HealthCheckIntervalSeconds=5,
                                        HealthCheckTimeoutSeconds=4)["TargetGroups"]
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (5, 4)


def test_modify_checks_maximums(served):
    elbv2, vpc = served
    arn = http_group(elbv2, vpc)["TargetGroupArn"]
    assert refused(lambda: elbv2.modify_target_group(TargetGroupArn=arn, HealthyThresholdCount=11))[
        "Code"] == "ValidationError"


def test_modify_of_an_unknown_group_is_target_group_not_found(served):
    elbv2, _ = served
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{MOTO_DEFAULT_ACCOUNT_ID}:targetgroup/none/0123456789abcdef"
    assert refused(lambda: elbv2.modify_target_group(TargetGroupArn=arn, HealthCheckIntervalSeconds=10))[
        "Code"] == "TargetGroupNotFound"


def test_lambda_target_groups_keep_their_own_defaults(served):
    # Lambda targets: interval 35 s, timeout 30 s by default, so an interval of 30 alone is refused.
    elbv2, _ = served
    group = elbv2.create_target_group(Name=f"fn-{uuid.uuid4().hex[:8]}", TargetType="lambda")["TargetGroups"][0]
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (35, 30)
    assert refused(lambda: elbv2.create_target_group(Name=f"fn-{uuid.uuid4().hex[:8]}", TargetType="lambda",
                                                     HealthCheckIntervalSeconds=30))["Code"] == "ValidationError"
