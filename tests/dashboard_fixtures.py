"""What the dashboard's test and benchmark share: a cloud with the ECS and ELBv2 planes, one tiny image that answers
as the workshop's services do (`/health`, `X-Served-By: <service>/<version>/<host>`), one service behind a load
balancer."""
import contextlib
import io
import tarfile
import uuid

import boto3
import botocore.config

import localcloud
from localcloud import engine as docker_engine
from localcloud.config import Config
from localcloud.ecs import EcsPlane
from localcloud.elbv2 import Elbv2Plane
from workshop.dashboard.actions import wait_until_steady
from workshop.dashboard.state import read_snapshot

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


@contextlib.contextmanager
def shop_cloud(name: str = "dash"):
    """A cloud of its own with the service running and steady; the cloud, its state and the image gone after."""
    engine = docker_engine.client()
    build_image(engine)
    try:
        with localcloud.running(Config(port=0, instance=f"t-{name}-{uuid.uuid4().hex[:8]}"),
                                data_planes=[EcsPlane(), Elbv2Plane()]) as cloud:
            try:
                yield Shop(cloud)
            finally:
                cloud.reset()  # services must not outlive this cloud in moto's process-wide state
    finally:
        engine.images.remove(IMAGE, force=True)
