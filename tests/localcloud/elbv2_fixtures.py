"""ELBv2 test and benchmark helpers: target containers (tiny stdlib HTTP servers on the cloud's network), AWS set-up.

A target answers `/health` (200, or 500 between `/control/sick` and `/control/well`), echoes its hostname, method,
path, headers and body as JSON on any other path, sleeps first on `/slow?seconds=…`, counts the echo requests it is
serving on `/control/in-flight`, and exits mid-request on `/control/die`.
"""
import io
import sys
import tarfile
import time
import uuid
from pathlib import Path

import boto3
import botocore.config
import docker
import httpx

IMAGE = "localcloud-test/elbv2-target:3"
IMAGE_LABEL = "localcloud.test-image"

SERVER = '''
import json, os, socket, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

healthy = True
in_flight = 0

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # head and body leave in one write

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        global healthy, in_flight
        url = urlsplit(self.path)
        if url.path == "/health":
            return self.answer(200 if healthy else 500, b"ok" if healthy else b"sick", "text/plain")
        if url.path in ("/control/sick", "/control/well"):
            healthy = url.path == "/control/well"
            return self.answer(200, url.path.encode(), "text/plain")
        if url.path == "/control/in-flight":
            return self.answer(200, str(in_flight).encode(), "text/plain")
        if url.path == "/control/die":
            os._exit(1)
        in_flight += 1
        try:
            self.echo(url)
        finally:
            in_flight -= 1

    def echo(self, url):
        if url.path == "/slow":
            time.sleep(float(parse_qs(url.query).get("seconds", ["1"])[0]))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.answer(200, json.dumps({"hostname": socket.gethostname(), "method": self.command, "path": self.path,
                                     "headers": dict(self.headers), "body": body}).encode())

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, *args):
        pass

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1]) if len(sys.argv) > 1 else 8080), Handler).serve_forever()
'''

DOCKERFILE = '''FROM python:3.13-slim
COPY server.py /server.py
EXPOSE 8080
CMD ["python", "-u", "/server.py", "8080"]
'''


def build_image(engine: docker.DockerClient) -> str:
    """The target image, built once from the local python:3.13-slim (no network needed)."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text in (("Dockerfile", DOCKERFILE), ("server.py", SERVER)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    engine.images.build(fileobj=context, custom_context=True, tag=IMAGE, labels={IMAGE_LABEL: "elbv2"}, rm=True)
    return IMAGE


def remove_image(engine: docker.DockerClient) -> None:
    try:
        engine.images.remove(IMAGE, force=True)
    except docker.errors.APIError:
        pass


def start_target(cloud, prefix: str = "target"):
    """A running target container on the cloud's network; returns (container, its IP there).

    Its port 8080 is published on 127.0.0.1 and mapped in the cloud's address book, as ECS maps a task's: the host
    reaches containers through published ports only (`target_url`)."""
    container = cloud.docker.containers.run(
        IMAGE, detach=True, name=f"{cloud.config.instance}-{prefix}-{uuid.uuid4().hex[:6]}",
        hostname=f"{prefix}-{uuid.uuid4().hex[:6]}", network=cloud.config.network, labels=cloud.labels("elbv2-test"),
        ports={"8080/tcp": ("127.0.0.1", None)})
    container.reload()
    ip = container.attrs["NetworkSettings"]["Networks"][cloud.config.network]["IPAddress"]
    port = int(container.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"])
    cloud.addresses.publish((ip, 8080), ("127.0.0.1", port))
    wait_until_serving(f"{target_url(cloud, ip)}/health")
    return container, ip


def target_url(cloud, ip: str) -> str:
    """Where this host reaches a target started by `start_target`."""
    host, port = cloud.addresses.resolve(ip, 8080)
    return f"http://{host}:{port}"


def wait_until_serving(url: str, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {deadline_s} s")
        time.sleep(0.05)


# --- the AWS side -------------------------------------------------------------------------------------------------
def aws_client(cloud, service: str, validate: bool = True):
    """A boto3 client of the cloud; `validate=False` lets a test use health check intervals under AWS's 5 s minimum."""
    return boto3.client(service, endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any",
                        config=botocore.config.Config(parameter_validation=validate))


def subnets(cloud) -> tuple[str, list[str]]:
    """A VPC with two subnets, as an ALB needs."""
    ec2 = aws_client(cloud, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24",
                             AvailabilityZone=f"{cloud.config.region}{zone}")["Subnet"]["SubnetId"]
           for index, zone in ((1, "a"), (2, "b"))]
    return vpc, ids


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def create_target_group(elbv2, vpc: str, **settings) -> str:
    """An ip target group on port 8080 with fast health checks (every 2 s, 2 in a row change the state)."""
    fast = {"HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 2, "HealthCheckTimeoutSeconds": 1,
            "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}
    group = elbv2.create_target_group(Name=unique("tg"), Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip",
                                      **{**fast, **settings})["TargetGroups"][0]
    elbv2.modify_target_group_attributes(TargetGroupArn=group["TargetGroupArn"], Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    return group["TargetGroupArn"]


def states(elbv2, target_group_arn: str) -> dict[str, str]:
    return {f"{d['Target']['Id']}:{d['Target']['Port']}": d["TargetHealth"]["State"]
            for d in elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]}


def wait_for(condition, deadline_s: float = 20.0, what: str = "condition"):
    """Poll `condition` until it returns something truthy; its value, or TimeoutError at the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {deadline_s} s")
        time.sleep(0.1)


AWS_CLI = str(Path(sys.executable).parent / "aws")
