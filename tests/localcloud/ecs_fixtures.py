"""What the ECS tests and benchmark share: a tiny web image, a cloud with the ECS plane, clients, polling helpers.

The image answers `/health` (200) and any other path with "<hostname> <VERSION>", printing one line per request.
"""
import contextlib
import io
import tarfile
import time
import uuid

import boto3
import httpx
import docker

import localcloud
from localcloud import engine as docker_engine
from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID, Config
from localcloud.ecs import EcsPlane

IMAGE = "localcloud-test/ecs-web:1"
IMAGE_LABEL = "localcloud.test-image"
PORT = 8000

SERVER = '''
import os, socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok" if self.path == "/health" else f"{socket.gethostname()} {os.environ.get('VERSION', '1')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        print("request", self.path, flush=True)

print("serving on", os.environ.get("PORT", "8000"), flush=True)
ThreadingHTTPServer(("", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
'''

DOCKERFILE = f'''FROM python:3.13-slim
LABEL {IMAGE_LABEL}=ecs
COPY server.py /server.py
EXPOSE {PORT}
CMD ["python", "-u", "/server.py"]
'''


def build_image(engine: docker.DockerClient) -> str:
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, text in (("Dockerfile", DOCKERFILE), ("server.py", SERVER)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    engine.images.build(fileobj=context, custom_context=True, tag=IMAGE, rm=True, forcerm=True)
    return IMAGE


def remove_image(engine: docker.DockerClient) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
        engine.images.remove(IMAGE, force=True)


@contextlib.contextmanager
def ecs_cloud(part: str, other_planes: tuple = ()):
    """A cloud with the ECS plane (and `other_planes`), the web image built; state and image gone afterwards."""
    engine = docker_engine.client()
    build_image(engine)
    try:
        with localcloud.running(Config(port=0, instance=f"t-{part}-{uuid.uuid4().hex[:8]}"),
                                data_planes=[*other_planes, EcsPlane()]) as cloud:
            try:
                yield cloud
            finally:
                cloud.reset()  # services must not outlive this cloud in moto's process-wide state
    finally:
        remove_image(engine)


def client(cloud, service: str):
    return boto3.client(service, endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any")


def default_subnet(cloud) -> str:
    return client(cloud, "ec2").describe_subnets()["Subnets"][0]["SubnetId"]


def web_container(name: str = "web", **extra) -> dict:
    return {"name": name, "image": IMAGE, "portMappings": [{"containerPort": PORT, "protocol": "tcp"}], **extra}


def register_fargate(ecs, family: str, containers: list[dict], cpu: str = "256", memory: str = "512") -> str:
    # An execution role, as Fargate requires of task definitions that log with awslogs.
    return ecs.register_task_definition(
        family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu=cpu, memory=memory,
        executionRoleArn=f"arn:aws:iam::{MOTO_DEFAULT_ACCOUNT_ID}:role/task-execution",
        containerDefinitions=containers)["taskDefinition"]["taskDefinitionArn"]


def awsvpc(subnet: str) -> dict:
    return {"awsvpcConfiguration": {"subnets": [subnet], "assignPublicIp": "ENABLED"}}


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    """Poll until `condition()` returns something truthy; that value, or AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def describe_task(ecs, cluster: str, task_arn: str) -> dict:
    return ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]


def host_port(task: dict, container: int = 0) -> int:
    return task["containers"][container]["networkBindings"][0]["hostPort"]


def fast(waiter_name: str, ecs):
    """A boto3 waiter as shipped, polled every 0.5 s so the suite stays quick."""
    waiter = ecs.get_waiter(waiter_name)
    return lambda **kwargs: waiter.wait(**kwargs, WaiterConfig={"Delay": 0.5, "MaxAttempts": 120})


def get_when_serving(port: int, path: str = "/", timeout: float = 15.0) -> httpx.Response:
    """RUNNING means the container started, not that the app listens yet (as on AWS): retry until it answers."""
    def attempt():
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
        except httpx.TransportError:
            return None
    return wait_for(attempt, timeout=timeout, interval=0.02, message=f"an answer on port {port}")
