"""Teardown and inventory find a learner's resources by their exact prefix tag, on every page of every listing:
`bob`'s teardown removes all of bob's and none of `bobby`'s, in an account crowded with other teams' resources."""
import boto3
import pytest
from moto import mock_aws

from workshop import finder
from workshop.patience import Patience
from workshop.teardown import inventory, teardown
from tests.aws_fakes import aws_environment, build_workshop, crowd_the_account, learner  # noqa: F401

KINDS_FILLED = {"API Gateway", "Lambda", "ECS", "ELBv2", "Cloud Map", "SQS", "SNS", "ECR", "CloudWatch Logs", "IAM",
                "EC2 network"}


@pytest.fixture
def account(aws_environment):  # noqa: F811
    with mock_aws():
        crowd_the_account()
        bob, bobby = learner("bob"), learner("bobby")
        build_workshop(bob)
        build_workshop(bobby)
        yield bob, bobby


def quick() -> Patience:
    return Patience(seconds=5, network_seconds=5, interval=0, say=lambda line: None)


def test_the_inventory_sees_every_kind_of_the_learners_resources_and_nothing_of_the_other_learner(account):
    bob, bobby = account
    found = inventory(bob)
    assert {kind for kind, names in found.items() if names} == KINDS_FILLED
    assert sorted(found["IAM"]) == ["bob-lambda", "bob-task", "bob-task-execution"]
    assert sorted(found["Lambda"]) == ["bob-recommendations"]
    assert "/ecs/bob" in found["CloudWatch Logs"] and "/ecs/bobby" not in found["CloudWatch Logs"]
    assert sorted(found["API Gateway"]) == ["bob-api", "bob-reviews"]
    assert found["Cloud Map"] == ["bob.local"]
    assert not any("bobby" in name for names in found.values() for name in names)


def test_teardown_of_bob_removes_all_of_bobs_and_none_of_bobbys(account):
    bob, bobby = account
    bobbys_before = inventory(bobby)
    report = teardown(bob, local_containers=False, patience=quick())
    assert report.left == []
    assert {kind: names for kind, names in inventory(bob).items() if names} == {}
    assert inventory(bobby) == bobbys_before


def test_other_teams_resources_survive_on_every_page(account):
    bob, _ = account
    teardown(bob, local_containers=False, patience=quick())
    iam, lambda_ = bob.client("iam"), bob.client("lambda")
    roles = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
    functions = [f["FunctionName"] for page in lambda_.get_paginator("list_functions").paginate()
                 for f in page["Functions"]]
    assert len([r for r in roles if r.startswith("other-role-")]) == 150
    assert len([f for f in functions if f.startswith("other-function-")]) == 60


def test_a_role_named_under_the_prefix_without_the_prefix_tag_is_not_the_learners(account):
    bob, _ = account
    bob.client("iam").create_role(RoleName="bob-hand-made", AssumeRolePolicyDocument="{}",
                                  Tags=[{"Key": "workshop:prefix", "Value": "bobby"}])
    assert "bob-hand-made" not in finder.roles(bob)


def test_the_tagging_api_is_read_past_its_first_page(account, monkeypatch):
    bob, _ = account
    every = finder.tagged_arns(bob)
    monkeypatch.setattr(finder, "TAGGING_PAGE_SIZE", 5)
    calls = []
    tagging = bob.client("resourcegroupstaggingapi")
    tagging.meta.events.register("before-call", lambda **_: calls.append(1))
    monkeypatch.setattr(bob.__class__, "client", lambda self, service: tagging if service == "resourcegroupstaggingapi"
                        else boto3.client(service, region_name=self.region))
    assert sorted(finder.tagged_arns(bob)) == sorted(every) and len(every) > 5
    assert len(calls) == -(-len(every) // 5)  # every page, and no more


@pytest.mark.parametrize("arn, kind, name", [
    ("arn:aws:ecs:us-east-1:1:service/bob/catalog", ("ecs", "service"), "catalog"),
    ("arn:aws:ecs:us-east-1:1:task-definition/bob-users:3", ("ecs", "task-definition"), "bob-users:3"),
    ("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/bob-alb/50dc6c495c0c9188",
     ("elasticloadbalancing", "loadbalancer"), "bob-alb"),
    ("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/bob-users/73e2d6bc24d8a067",
     ("elasticloadbalancing", "targetgroup"), "bob-users"),
    ("arn:aws:logs:us-east-1:1:log-group:/ecs/bob", ("logs", "log-group"), "/ecs/bob"),
    ("arn:aws:logs:us-east-1:1:log-group:/ecs/bob:*", ("logs", "log-group"), "/ecs/bob"),
    ("arn:aws:lambda:us-east-1:1:function:bob-notifier", ("lambda", "function"), "bob-notifier"),
    ("arn:aws:sqs:us-east-1:1:bob-order-events", ("sqs", ""), "bob-order-events"),
    ("arn:aws:ec2:us-east-1:1:security-group/sg-0123", ("ec2", "security-group"), "sg-0123"),
])
def test_an_arn_says_what_it_is_and_its_name(arn, kind, name):
    assert finder.arn_type(arn) == kind
    assert finder.arn_name(arn) == name
