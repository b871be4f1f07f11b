"""How the dashboard names what it reads: versions, rules, steadiness, tables — plain functions over API shapes."""
import datetime

import boto3
import pytest
from botocore.stub import Stubber

from workshop.dashboard.actions import scale, steady_problem
from workshop.dashboard.state import (ServiceState, Snapshot, TargetState, TaskDefinitions, TaskState,
                                      describe_action, describe_conditions, image_tag, tables, target_group_name,
                                      version_of)

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/catalog:7"
GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/catalog/73e2d6bc24d8a067"
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def definition(environment=(), image="123456789012.dkr.ecr.us-east-1.amazonaws.com/catalog:1.4"):
    return {"taskDefinitionArn": ARN, "containerDefinitions": [
        {"name": "catalog", "image": image, "environment": [{"name": k, "value": v} for k, v in environment]}]}


def test_the_version_is_app_version_then_the_image_tag_then_the_revision():
    overrides = {"containerOverrides": [{"name": "catalog", "environment": [{"name": "APP_VERSION", "value": "3"}]}]}
    assert version_of(definition([("APP_VERSION", "2.0")]), overrides) == "3"
    assert version_of(definition([("APP_VERSION", "2.0")])) == "2.0"
    assert version_of(definition()) == "1.4"
    assert version_of(definition(image="catalog@sha256:abc")) == "catalog:7"


def test_image_tags_are_read_past_a_registry_port():
    assert image_tag("127.0.0.1:4510/catalog:v2") == "v2"
    assert image_tag("127.0.0.1:4510/catalog") is None
    assert image_tag("catalog@sha256:0123") is None


def test_a_deleted_task_definition_leaves_the_revision_as_version():
    ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecs) as stub:
        stub.add_client_error("describe_task_definition", "ClientException", "Unable to describe task definition.")
        assert version_of(TaskDefinitions(ecs).get(ARN)) == "catalog:7"


def test_rule_conditions_and_actions_read_as_sentences():
    conditions = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/catalog*"]}},
                  {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Beta", "Values": ["1"]}}]
    assert describe_conditions(conditions) == "path /catalog* and http-header X-Beta: 1"
    assert describe_conditions([]) == "everything else"
    weighted = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": "blue-arn", "Weight": 9}, {"TargetGroupArn": "green-arn", "Weight": 1}]}}]
    assert describe_action(weighted, {"blue-arn": "blue", "green-arn": "green"}) == "forward → blue 90 %, green 10 %"
    assert describe_action([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}], {}) == \
        "fixed 404"
    assert target_group_name(GROUP) == "catalog"


def task(number: int, status: str = "RUNNING") -> TaskState:
    return TaskState(f"arn:aws:ecs:us-east-1:123456789012:task/shop/{number}", "catalog", status, status,
                     "UNKNOWN", "1", "catalog:7", f"10.0.0.{number}", NOW)


def snapshot(desired=2, running=2, deployments=1, healthy=(1, 2), tasks=(1, 2)) -> Snapshot:
    return Snapshot("shop", NOW, services=[ServiceState("catalog", "ACTIVE", desired, running, 0, "1", "catalog:7",
                                                        deployments, "COMPLETED", (GROUP,))],
                    tasks=[task(n) for n in tasks],
                    targets=[TargetState("catalog", f"10.0.0.{n}", 8000, "healthy", None, str(n)) for n in healthy])


def test_steady_means_every_task_running_one_deployment_and_every_target_healthy():
    assert steady_problem(snapshot(), "catalog") is None
    assert steady_problem(snapshot(desired=3), "catalog") == "2 of 3 tasks running, 0 pending"
    assert steady_problem(snapshot(deployments=2), "catalog") == "2 deployments are still rolling"
    assert steady_problem(snapshot(healthy=(1,)), "catalog") == "1 of 2 targets healthy in target group catalog"
    assert steady_problem(snapshot(), "catalog", without_task=task(1).arn) == "task 1 is still running"
    assert steady_problem(snapshot(), "orders") == "there is no service orders in cluster shop"


def test_scaling_below_zero_is_refused_before_any_call():
    with pytest.raises(ValueError, match="choose 0 or more"):
        scale(None, "shop", "catalog", -1)


def test_tables_leave_out_what_is_empty():
    shown = tables(Snapshot("shop", NOW, services=snapshot().services, tasks=snapshot().tasks))
    assert [table.title for table in shown] == ["services in cluster shop", "tasks"]
    assert "catalog:7" in repr(shown) and "<table>" in shown._repr_html_()
