"""The dashboard's logic against a real local cloud: one ECS service behind a load balancer, read, scaled, a task
stopped and replaced, a rolling deployment under load, all through plain boto3 clients."""
import time

import pytest
from botocore.exceptions import ClientError

from tests.dashboard_fixtures import BALANCER, CLUSTER, PORT, SERVICE, register, shop_cloud
from workshop.dashboard.actions import scale, steady_problem, stop_task, wait_until_steady
from workshop.dashboard.load import LoadGenerator, failed_requests, served_by, versions_seen
from workshop.dashboard.state import read_snapshot, read_targets, tables
from workshop.dashboard.widget import dashboard

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def shop():
    with shop_cloud() as running:
        yield running


def test_snapshot_reads_the_service_its_tasks_the_rules_and_target_health(shop):
    snapshot = shop.snapshot()
    service, = snapshot.services
    assert (service.name, service.desired, service.running, service.version) == (SERVICE, 1, 1, "1.0")
    task, = [t for t in snapshot.tasks if t.last_status == "RUNNING"]
    assert (task.service, task.version, task.task_definition) == (SERVICE, "1.0", "dash:1")
    assert [(r.priority, r.conditions, r.action) for r in snapshot.rules] == [
        ("1", "path /users*", "forward → users"), ("default", "everything else", "fixed 404")]
    target, = snapshot.targets
    assert (target.target_group, target.target, target.state, target.task_id) == (
        "users", task.private_ip, "healthy", task.id)
    assert snapshot.load_balancer_dns in shop.url
    assert "forward → users" in repr(tables(snapshot))


def test_scaling_up_adds_a_healthy_target_per_task(shop):
    assert scale(shop.ecs, CLUSTER, SERVICE, 2) == 2
    wait_until_steady(shop.ecs, shop.elbv2, CLUSTER, SERVICE, timeout=60)
    snapshot = shop.snapshot()
    running = {t.id for t in snapshot.tasks if t.last_status == "RUNNING"}
    assert len(running) == 2
    assert {t.task_id for t in snapshot.targets if t.state == "healthy"} == running


def test_a_stopped_task_is_replaced_and_shown_with_its_reason(shop):
    victim = next(t for t in shop.snapshot().tasks if t.last_status == "RUNNING")
    stop_task(shop.ecs, CLUSTER, victim.arn)
    assert steady_problem(shop.snapshot(), SERVICE, without_task=victim.arn) is not None
    wait_until_steady(shop.ecs, shop.elbv2, CLUSTER, SERVICE, without_task=victim.arn, timeout=60)
    snapshot = shop.snapshot()
    stopped = next(t for t in snapshot.tasks if t.arn == victim.arn)
    assert (stopped.last_status, stopped.stopped_reason) == ("STOPPED", "Stopped from the workshop dashboard")
    assert len([t for t in snapshot.tasks if t.last_status == "RUNNING"]) == 2


def test_a_rolling_deployment_under_load_shows_both_versions_answering(shop):
    revision = register(shop.ecs, "1.1")
    with LoadGenerator({"users": shop.url}, rate=10) as load:
        time.sleep(0.5)
        load.mark("deploy 1.1")
        shop.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=revision)
        wait_until_steady(shop.ecs, shop.elbv2, CLUSTER, SERVICE, timeout=90)
        time.sleep(1.0)
    assert versions_seen(load.samples) == ["1.0", "1.1"]
    assert {served_by(s).version for s in load.samples[-5:]} == {"1.1"}
    assert failed_requests(load.samples) == 0
    assert shop.snapshot().services[0].version == "1.1"


def test_api_errors_keep_their_aws_code(shop):
    with pytest.raises(ClientError) as error:
        scale(shop.ecs, CLUSTER, "nowhere", 2)
    assert error.value.response["Error"]["Code"] == "ServiceNotFoundException"
    with pytest.raises(ClientError) as error:
        read_snapshot(shop.ecs, shop.elbv2, CLUSTER, "no-such-balancer")
    assert error.value.response["Error"]["Code"] == "LoadBalancerNotFound"
    with pytest.raises(TimeoutError, match="there is no service nowhere"):
        wait_until_steady(shop.ecs, shop.elbv2, CLUSTER, "nowhere", timeout=0)


def test_a_deleted_target_group_shows_as_missing_and_the_others_still_show(shop):
    vpc = shop.elbv2.describe_target_groups(TargetGroupArns=[shop.group])["TargetGroups"][0]["VpcId"]
    gone = shop.elbv2.create_target_group(Name="gone", Protocol="HTTP", Port=PORT, VpcId=vpc,
                                          TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    shop.elbv2.delete_target_group(TargetGroupArn=gone)
    targets = read_targets(shop.elbv2, [gone, shop.group])
    assert (targets[0].target_group, targets[0].state, targets[0].reason) == ("gone", "missing", "TargetGroupNotFound")
    assert {t.target_group for t in targets[1:]} == {"users"}


def test_the_dashboard_slider_scales_the_real_service(shop):
    board = dashboard(shop.ecs, shop.elbv2, CLUSTER, BALANCER, start=False)
    try:
        row = board._rows[SERVICE]
        assert row.slider.value == 2
        row.slider.value = 1
        assert board.last_error is None
        assert shop.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["desiredCount"] == 1
        assert "forward → users" in board.rules.value
    finally:
        board.close()
