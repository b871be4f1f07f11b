"""The dashboard's logic against a real local cloud: one ECS service behind a load balancer, read, scaled, a task
stopped and replaced, a rolling deployment under load, all through plain boto3 clients."""
import io
import tarfile
import time
import uuid

import boto3
import botocore.config
import docker
import pytest
from botocore.exceptions import ClientError

import localcloud
from localcloud.config import Config
from localcloud.ecs import EcsPlane
from localcloud.elbv2 import Elbv2Plane
from workshop.dashboard.actions import scale, steady_problem, stop_task, wait_until_steady
from workshop.dashboard.load import LoadGenerator, failed_requests, served_by, versions_seen
from workshop.dashboard.state import read_snapshot, tables
from workshop.dashboard.widget import dashboard

pytestmark = pytest.mark.docker

IMAGE = "workshop-test/dashboard-web:1"
PORT = 8000
CLUSTER = SERVICE = BALANCER = "dash"

# Answers like the workshop's services: /health, and X-Served-By: <service>/<version>/<host> on every answer.
SERVER = '''
import os, socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVED_BY = f"{os.environ['SERVICE']}/{os.environ['APP_VERSION']}/{socket.gethostname()}"

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("X-Served-By", SERVED_BY)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("", 8000), Handler).serve_forever()
'''
DOCKERFILE = f'''FROM python:3.13-slim
LABEL workshop.test-image=dashboard
COPY server.py /server.py
EXPOSE {PORT}
CMD ["python", "-u", "/server.py"]
'''


def build_image(engine) -> None:
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, text in (("Dockerfile", DOCKERFILE), ("server.py", SERVER)):
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    context.seek(0)
    engine.images.build(fileobj=context, custom_context=True, tag=IMAGE, rm=True, forcerm=True)


def register(ecs, version: str) -> str:
    return ecs.register_task_definition(
        family=SERVICE, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": IMAGE, "essential": True,
                               "environment": [{"name": "SERVICE", "value": "users"},
                                               {"name": "APP_VERSION", "value": version}],
                               "portMappings": [{"containerPort": PORT}]}])["taskDefinition"]["taskDefinitionArn"]


def client(cloud, service: str, validate: bool = True):
    return boto3.client(service, endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any",
                        config=botocore.config.Config(parameter_validation=validate))


class Shop:
    """The cloud and its clients, with one service `dash` behind the load balancer `dash` at /users*."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.ecs, self.elbv2, ec2 = (client(cloud, name) for name in ("ecs", "elbv2", "ec2"))
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
        self.ecs.create_cluster(clusterName=CLUSTER)
        register(self.ecs, "1.0")
        # Health checks every 2 s, under AWS's 5 s minimum, so the module stays quick: a set-up client only.
        self.group = client(cloud, "elbv2", validate=False).create_target_group(
            Name="users", Protocol="HTTP", Port=PORT, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
            HealthCheckIntervalSeconds=2, HealthCheckTimeoutSeconds=1)["TargetGroups"][0]["TargetGroupArn"]
        self.elbv2.modify_target_group_attributes(TargetGroupArn=self.group, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
        balancer = self.elbv2.create_load_balancer(Name=BALANCER, Subnets=subnets)["LoadBalancers"][0]
        self.url = f"http://{balancer['DNSName']}/users"
        listener = self.elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        )["Listeners"][0]
        self.elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=1,
                               Conditions=[{"Field": "path-pattern", "Values": ["/users*"]}],
                               Actions=[{"Type": "forward", "TargetGroupArn": self.group}])
        self.ecs.create_service(
            cluster=CLUSTER, serviceName=SERVICE, taskDefinition=SERVICE, desiredCount=1, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
            loadBalancers=[{"targetGroupArn": self.group, "containerName": "web", "containerPort": PORT}])
        wait_until_steady(self.ecs, self.elbv2, CLUSTER, SERVICE, timeout=60)

    def snapshot(self):
        return read_snapshot(self.ecs, self.elbv2, CLUSTER, BALANCER)


@pytest.fixture(scope="module")
def shop():
    engine = docker.from_env()
    build_image(engine)
    try:
        with localcloud.running(Config(port=0, instance=f"t-dash-{uuid.uuid4().hex[:8]}"),
                                data_planes=[EcsPlane(), Elbv2Plane()]) as cloud:
            try:
                yield Shop(cloud)
            finally:
                cloud.reset()  # services must not outlive this cloud in moto's process-wide state
    finally:
        engine.images.remove(IMAGE, force=True)


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
