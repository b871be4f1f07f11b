"""The whole path a learner takes, with real clients: push an image to ECR, run it as ECS services behind a load
balancer with two path rules, and call it through the load balancer's DNSName as returned."""
import base64
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import httpx
import pytest

import localcloud
from localcloud import engine as docker_engine
from localcloud.config import Config
from tests.localcloud.ecs_fixtures import IMAGE, PORT, build_image, remove_image

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    engine = docker_engine.client()
    build_image(engine)
    try:
        with localcloud.running(Config(port=0, instance=f"t-e2e-{uuid.uuid4().hex[:8]}")) as running:
            yield running
    finally:
        remove_image(engine)


def aws(cloud, service):
    return boto3.client(service, endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any")


def push(cloud, repository_name: str) -> tuple[str, str]:
    """Push the test image as a learner does: token → docker login → tag → push. Returns (image URI, digest)."""
    ecr, engine = aws(cloud, "ecr"), docker_engine.client()
    uri = ecr.create_repository(repositoryName=repository_name)["repository"]["repositoryUri"]
    token = ecr.get_authorization_token()["authorizationData"][0]
    username, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    engine.login(username=username, password=password, registry=token["proxyEndpoint"])
    engine.images.get(IMAGE).tag(uri, "v1")
    auth = {"username": username, "password": password}
    events = list(engine.images.push(uri, "v1", auth_config=auth, stream=True, decode=True))
    digest = next(event["aux"]["Digest"] for event in events if "aux" in event)
    engine.images.remove(f"{uri}:v1")
    return f"{uri}:v1", digest


def network(cloud):
    ec2 = aws(cloud, "ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    return vpc, subnets[:2]


def test_push_then_serve_two_services_behind_one_load_balancer(cloud):
    image, digest = push(cloud, "shop")
    described = aws(cloud, "ecr").describe_images(repositoryName="shop")["imageDetails"]
    assert [detail["imageDigest"] for detail in described] == [digest]

    ecs, elbv2 = aws(cloud, "ecs"), aws(cloud, "elbv2")
    vpc, subnets = network(cloud)
    ecs.create_cluster(clusterName="shop")
    groups = {}
    for name in ("catalog", "orders"):
        ecs.register_task_definition(
            family=name, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
            containerDefinitions=[{"name": name, "image": image, "essential": True,
                                   "environment": [{"name": "VERSION", "value": name}],
                                   "portMappings": [{"containerPort": PORT}]}])
        groups[name] = elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=PORT, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
        )["TargetGroups"][0]["TargetGroupArn"]
    balancer = elbv2.create_load_balancer(Name="shop", Subnets=subnets)["LoadBalancers"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response",
                         "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain",
                                                 "MessageBody": "no such page"}}])["Listeners"][0]
    for priority, name in enumerate(("catalog", "orders"), start=1):
        elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=priority,
                          Conditions=[{"Field": "path-pattern", "Values": [f"/{name}*"]}],
                          Actions=[{"Type": "forward", "TargetGroupArn": groups[name]}])
        ecs.create_service(
            cluster="shop", serviceName=name, taskDefinition=name, desiredCount=2, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
            loadBalancers=[{"targetGroupArn": groups[name], "containerName": name, "containerPort": PORT}])

    ecs.get_waiter("services_stable").wait(cluster="shop", services=["catalog", "orders"],
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    aws_cli = str(Path(sys.executable).parent / "aws")
    cli = subprocess.run([aws_cli, "ecs", "wait", "services-stable", "--cluster", "shop", "--services", "catalog"],
                         env={**cloud.config.client_environment(), "PATH": os.environ["PATH"]},
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    for name in ("catalog", "orders"):
        _wait_until_healthy(elbv2, groups[name], expected=2)

    base = f"http://{balancer['DNSName']}"
    catalog_answers = {httpx.get(f"{base}/catalog/books").text for _ in range(8)}
    assert {answer.split()[1] for answer in catalog_answers} == {"catalog"}
    assert len(catalog_answers) == 2  # both tasks of the service take turns
    assert httpx.get(f"{base}/orders/1").text.split()[1] == "orders"
    missing = httpx.get(f"{base}/nowhere")
    assert (missing.status_code, missing.text) == (404, "no such page")


def _wait_until_healthy(elbv2, group_arn: str, expected: int, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        states = [d["TargetHealth"]["State"]
                  for d in elbv2.describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"]]
        if states.count("healthy") == expected:
            return
        assert time.monotonic() < deadline, f"targets of {group_arn} are {states}"
        time.sleep(0.2)
