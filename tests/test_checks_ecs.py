"""Module 05's checks: the users task definition (Fargate's awslogs options among the rest), and the health check
of users' target group against the team's rules."""
import copy

import boto3
import pytest
from moto import mock_aws

from tests.aws_fakes import aws_environment, learner  # noqa: F401 - aws_environment is a fixture
from workshop.checks import ExerciseIncomplete
from workshop.checks.ecs import check_task_definition, check_users_health_check

IMAGE, LOG_GROUP = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bookshop/users:1.0", "/ecs/bookshop"
COMPLETE = {
    "family": "bookshop-users", "revision": 1, "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
    "cpu": "256", "memory": "512", "executionRoleArn": "arn:aws:iam::123456789012:role/bookshop-task-execution",
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "containerDefinitions": [{
        "name": "users", "image": IMAGE, "portMappings": [{"containerPort": 8000}],
        "healthCheck": {"command": ["CMD", "true"]},
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": LOG_GROUP, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "users"}}}],
}


class Ecs:
    def __init__(self, definition):
        self.definition = definition

    def describe_task_definition(self, taskDefinition):
        return {"taskDefinition": self.definition}


def check(definition):
    check_task_definition(Ecs(definition), "arn:aws:ecs:us-east-1:123456789012:task-definition/bookshop-users:1",
                          image=IMAGE, log_group=LOG_GROUP, architecture="X86_64")


def test_a_complete_definition_passes(capsys):
    check(COMPLETE)
    assert capsys.readouterr().out.startswith("✔ bookshop-users:1")


@pytest.mark.parametrize("option, fix", [("awslogs-region", '"awslogs-region": session.region'),
                                         ("awslogs-stream-prefix", '"awslogs-stream-prefix": "users"')])
def test_fargate_logs_need_the_region_and_a_stream_prefix(option, fix):
    definition = copy.deepcopy(COMPLETE)
    del definition["containerDefinitions"][0]["logConfiguration"]["options"][option]
    with pytest.raises(ExerciseIncomplete) as raised:
        check(definition)
    assert f"need {option!r} on Fargate" in str(raised.value) and fix in str(raised.value)


# --- exercise 05.2: users' target group and its health check, against Elastic Load Balancing in moto -------------

DECIDED = {"HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 4,
           "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 3}


@pytest.fixture
def cloud(aws_environment):  # noqa: F811
    with mock_aws():
        vpc_id = boto3.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        yield boto3.client("elbv2"), vpc_id


def users_group(elbv2, vpc_id, **health) -> str:
    return elbv2.create_target_group(Name="bookshop-users", Protocol="HTTP", Port=8000, VpcId=vpc_id,
                                     TargetType="ip", **health)["TargetGroups"][0]["TargetGroupArn"]


def health_says(elbv2, vpc_id, arn) -> str:
    with pytest.raises(ExerciseIncomplete) as raised:
        check_users_health_check(elbv2, learner("bookshop"), vpc_id, arn)
    return str(raised.value)


def test_a_health_check_within_the_teams_rules_passes(cloud, capsys):
    elbv2, vpc_id = cloud
    check_users_health_check(elbv2, learner("bookshop"), vpc_id, users_group(elbv2, vpc_id, **DECIDED))
    assert capsys.readouterr().out.startswith("✔ bookshop-users: /health every 5 s, 4 s to answer; a dead task is "
                                              "out after 15 s")


def test_awss_defaults_leave_a_dead_task_in_for_a_minute(cloud):
    elbv2, vpc_id = cloud
    said = health_says(elbv2, vpc_id, users_group(elbv2, vpc_id, HealthCheckPath="/health"))
    assert said.startswith("a dead users task keeps getting requests for up to 60 s (2 failed checks × 30 s)")


def test_a_timeout_a_busy_task_cannot_meet_is_refused(cloud):
    elbv2, vpc_id = cloud
    arn = users_group(elbv2, vpc_id, **{**DECIDED, "HealthCheckTimeoutSeconds": 2})
    assert "a 2 s timeout counts that as a failure" in health_says(elbv2, vpc_id, arn)


def test_a_slow_return_after_recovery_is_refused(cloud):
    elbv2, vpc_id = cloud
    arn = users_group(elbv2, vpc_id, **{**DECIDED, "HealthyThresholdCount": 5})
    assert "a users task that recovers waits 25 s for requests" in health_says(elbv2, vpc_id, arn)


def test_the_health_check_must_ask_health(cloud):
    elbv2, vpc_id = cloud
    arn = users_group(elbv2, vpc_id, **{**DECIDED, "HealthCheckPath": "/"})
    assert "the health check asks '/': ask '/health'" in health_says(elbv2, vpc_id, arn)


def test_instance_targets_cannot_hold_fargate_tasks(cloud):
    elbv2, vpc_id = cloud
    arn = elbv2.create_target_group(Name="bookshop-users", Protocol="HTTP", Port=8000, VpcId=vpc_id,
                                    **DECIDED)["TargetGroups"][0]["TargetGroupArn"]
    assert health_says(elbv2, vpc_id, arn).startswith("TargetType is 'instance'")


def test_a_missing_target_group_and_a_placeholder(cloud):
    elbv2, vpc_id = cloud
    assert health_says(elbv2, vpc_id, "arn:x").startswith("there is no target group bookshop-users")
    assert "`users_target_group` is still `...`" in health_says(elbv2, vpc_id, ...)
