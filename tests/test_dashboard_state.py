"""How the dashboard names what it reads: versions, rules, steadiness, tables — plain functions over API shapes."""
import datetime

import boto3
import pytest
from botocore.stub import Stubber

from workshop.dashboard.actions import scale, steady_problem
from workshop.dashboard.state import (STOPPED_SHOWN, ServiceState, Snapshot, TargetState, TaskDefinitions,
                                      TaskState, describe_action, describe_conditions, image_tag, read_tasks, tables,
                                      target_group_name, tasks_table, version_of)

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


def described_task(number: int, status: str, health: str, stopped_minute: int | None = None) -> dict:
    """A task as DescribeTasks returns it (the fields the dashboard reads)."""
    described = {"taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/shop/{number:032d}", "group": "service:catalog",
                 "taskDefinitionArn": ARN, "lastStatus": status, "desiredStatus": status, "healthStatus": health,
                 "startedAt": NOW}
    if stopped_minute is not None:
        described.update(stoppedAt=NOW + datetime.timedelta(minutes=stopped_minute), stoppedReason="Task stopped")
    return described


def read_with_stubbed_ecs(running: list[dict], stopped: list[dict]) -> list[TaskState]:
    ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecs) as stub:
        stub.add_response("list_tasks", {"taskArns": [t["taskArn"] for t in running]},
                          {"cluster": "shop", "desiredStatus": "RUNNING"})
        stub.add_response("list_tasks", {"taskArns": [t["taskArn"] for t in stopped]},
                          {"cluster": "shop", "desiredStatus": "STOPPED", "maxResults": 100})
        stub.add_response("describe_tasks", {"tasks": running + stopped})
        stub.add_response("describe_task_definition", {"taskDefinition": definition()})
        return read_tasks(ecs, "shop")


def test_a_stopped_task_shows_the_health_aws_reports_for_it_unknown():
    # The container's last health check may still be in the answer; a stopped task has no health to report.
    tasks = read_with_stubbed_ecs([described_task(1, "RUNNING", "HEALTHY")],
                                  [described_task(2, "STOPPED", "HEALTHY", stopped_minute=1),
                                   described_task(3, "STOPPED", "UNHEALTHY", stopped_minute=2)])
    assert [(t.last_status, t.health) for t in tasks] == [("RUNNING", "HEALTHY"), ("STOPPED", "UNKNOWN"),
                                                           ("STOPPED", "UNKNOWN")]
    assert "HEALTHY" not in repr(tasks_table(Snapshot("shop", NOW, tasks=tasks[1:])))


def test_stopped_tasks_are_read_most_recently_stopped_first():
    tasks = read_with_stubbed_ecs([], [described_task(n, "STOPPED", "UNKNOWN", stopped_minute=m)
                                       for n, m in ((1, 5), (2, 9), (3, 1))])
    assert [t.id[-1] for t in tasks] == ["2", "1", "3"]


def test_after_many_rollouts_the_tasks_table_shows_the_latest_stopped_and_counts_the_older():
    stopped = [TaskState(f"arn:aws:ecs:us-east-1:123456789012:task/shop/s{n}", "catalog", "STOPPED", "STOPPED",
                         "UNKNOWN", "1", "catalog:7", None, NOW, "Task stopped",
                         NOW - datetime.timedelta(minutes=n)) for n in range(12)]
    shown = tasks_table(Snapshot("shop", NOW, tasks=[task(1), task(2)] + stopped))
    assert [row["task"] for row in shown.rows] == ["1", "2"] + [f"s{n}" for n in range(STOPPED_SHOWN)] + [
        f"+{12 - STOPPED_SHOWN} older stopped"]
    assert f"+{12 - STOPPED_SHOWN} older stopped" in shown._repr_html_()
    assert "older stopped" not in repr(tasks_table(Snapshot("shop", NOW, tasks=stopped[:STOPPED_SHOWN])))
