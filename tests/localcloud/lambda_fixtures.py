"""What the Lambda tests and benchmark share: a cloud with the Lambda plane, a role, zipped handlers, waiters."""
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import boto3

import localcloud
from localcloud import engine as docker_engine
from localcloud.awslambda import LambdaPlane
from localcloud.awslambda.container_spec import PART
from localcloud.config import MANAGED_LABEL, PART_LABEL, Config

AWS_CLI = str(Path(sys.executable).parent / "aws")

# One handler module for most tests: what it does is chosen by the event.
HANDLERS = '''
import json, os, sys, time

def handler(event, context):
    action = event.get("action", "echo")
    if action == "echo":
        return {"event": event, "request_id": context.aws_request_id, "remaining_ms": context.get_remaining_time_in_millis(),
                "greeting": os.environ.get("GREETING"), "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}
    if action == "raise":
        raise ValueError("the order is invalid")
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"slept": event["seconds"], "host": os.uname().nodename}
    if action == "print":
        for number in range(event["lines"]):
            print(f"line {number:05d} of a chatty handler")
        return "printed"
    if action == "set":
        return {1, 2, 3}
    if action == "string":
        return "just a string"
    if action == "allocate":
        hoard = bytearray(event["mb"] * 2**20)
        for index in range(0, len(hoard), 4096):
            hoard[index] = 1
        return len(hoard)
    if action == "exit":
        sys.exit(3)
    if action == "queue":
        import boto3
        return boto3.client("sqs").create_queue(QueueName=event["name"])["QueueUrl"]
    raise NotImplementedError(action)
'''


@contextlib.contextmanager
def lambda_cloud(part: str, other_planes: tuple = ()):
    with localcloud.running(Config(port=0, instance=f"t-{part}-{uuid.uuid4().hex[:8]}"),
                            data_planes=[*other_planes, LambdaPlane()]) as cloud:
        try:
            yield cloud
        finally:
            cloud.reset()  # functions must not outlive this cloud in moto's process-wide state


def client(cloud, service: str):
    return boto3.client(service, endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any")


def role_arn(cloud) -> str:
    iam = client(cloud, "iam")
    try:
        return iam.get_role(RoleName="lambda-test")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName="lambda-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        # What a function reading a queue needs, or AWS refuses its event source mapping.
        iam.attach_role_policy(RoleName="lambda-test",
                               PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole")
        return arn


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_function(cloud, name: str, code: str = HANDLERS, runtime: str = "python3.13", **extra) -> dict:
    function = client(cloud, "lambda").create_function(
        FunctionName=name, Runtime=runtime, Role=role_arn(cloud), Handler="app.handler",
        Code={"ZipFile": zipped({"app.py": code})}, **{"Timeout": 3, **extra})
    fast("function_active_v2", cloud)(FunctionName=name)
    return function


def fast(waiter_name: str, cloud):
    """A boto3 Lambda waiter as shipped, polled every 0.2 s."""
    waiter = client(cloud, "lambda").get_waiter(waiter_name)
    return lambda **kwargs: waiter.wait(**kwargs, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})


def function_containers(cloud, name: str | None = None) -> list[str]:
    """Ids of the function's containers; one listing call, so a container reaped meanwhile cannot fail it."""
    labels = [f"{MANAGED_LABEL}={cloud.config.instance}", f"{PART_LABEL}={PART}"]
    if name:
        labels.append(f"localcloud.lambda.function={name}")
    return [summary["Id"] for summary in docker_engine.client().api.containers(all=True, filters={"label": labels})]


def wait_for(condition, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def log_messages(cloud, name: str) -> list[str]:
    logs = client(cloud, "logs")
    group = f"/aws/lambda/{name}"
    messages = []
    try:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return []  # no environment started yet
    for stream in streams:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
        messages += [event["message"] for event in events]
    return messages


def aws_cli(cloud, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": tempfile.gettempdir(), **cloud.config.client_environment()}
    return subprocess.run([AWS_CLI, *args], capture_output=True, text=True, timeout=60, env=env)
