"""The Lambda plane's handlers over moto's backends, served by a real control plane, with a fake plane (no engine)."""
import base64
import io
import json
import time
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.awslambda.models import lambda_backends
from moto.ecr.models import ecr_backends
from moto.sqs.models import sqs_backends

from localcloud.awslambda.invocation import Invocation, Throttled
from localcloud.awslambda.local_function import LocalFunction, planes
from localcloud.awslambda.provider import LambdaProvider
from localcloud.awslambda.sqs_provider import SqsProvider
from localcloud.control_plane import ControlPlane

ACCOUNT, REGION = "123456789012", "us-east-1"
REGISTRY = "127.0.0.1:4510"
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"size": 7, "digest": "sha256:" + "c" * 64}, "layers": []})


class FakeCloud:
    def __init__(self):
        self.planes = []

    def part(self, name: str):
        return next((plane for plane in self.planes if plane.name == name), None)

    def backend(self, service: str):
        return {"lambda": lambda_backends, "sqs": sqs_backends, "ecr": ecr_backends}[service][ACCOUNT][REGION]


class FakePlane:
    """The Lambda plane as its handlers see it: runs are recorded and answered with `outcome` (or `error`)."""
    name = "lambda"

    def __init__(self, cloud):
        self.cloud = cloud
        self.runs, self.async_runs, self.wakes = [], [], 0
        self.outcome = Invocation(status_code=200, payload=b'{"ok": true}', function_error=None, log_tail="REPORT",
                                  executed_version="$LATEST", request_id="req-1")
        self.error = None

    def owns(self, backend) -> bool:
        return backend is self.cloud.backend("lambda")

    def run(self, fn, payload, *, wait_for_log=False):
        self.runs.append((fn.function_name, str(fn.version), payload, wait_for_log))
        if self.error is not None:
            raise self.error
        return self.outcome

    def run_async(self, fn, payload):
        self.async_runs.append((fn.function_name, payload))

    def wake_event_sources(self):
        self.wakes += 1


@pytest.fixture(scope="module")
def served():
    cloud = FakeCloud()
    plane = FakePlane(cloud)
    cloud.planes.append(type("Ecr", (), {"name": "ecr", "registry_host": REGISTRY})())
    control_plane = ControlPlane("127.0.0.1", 0, {})
    for provider in (LambdaProvider(plane, ACCOUNT, REGION), SqsProvider(plane, ACCOUNT, REGION)):
        control_plane.providers.register(provider)
    control_plane.start()
    planes.attach(plane)

    def client(service: str):
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{control_plane.port}", region_name=REGION,
                            aws_access_key_id="any", aws_secret_access_key="any")
    try:
        yield plane, client
    finally:
        planes.detach(plane)
        control_plane.stop()
        for backends in (lambda_backends, sqs_backends, ecr_backends):
            backends[ACCOUNT][REGION].reset()


def role(client) -> str:
    iam = client("iam")
    try:
        return iam.get_role(RoleName="provider-test")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName="provider-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        # What a function reading a queue needs, or AWS refuses its event source mapping.
        iam.put_role_policy(RoleName="provider-test", PolicyName="read-queues", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
                "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]}]}))
        return arn


def zipped(text: str = "def handler(event, context):\n    return event\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("app.py", date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


def zip_function(client, name: str, **extra) -> dict:
    return client("lambda").create_function(FunctionName=name, Runtime="python3.13", Role=role(client),
                                            Handler="app.handler", Code={"ZipFile": zipped()}, **extra)


def test_create_function_makes_a_local_function_as_moto_would(served):
    plane, client = served
    created = zip_function(client, "made")
    fn = lambda_backends[ACCOUNT][REGION].get_function("made", None)
    assert type(fn) is LocalFunction and fn.code_bytes == zipped()
    assert created["FunctionArn"] == fn.function_arn and created["Version"] == "$LATEST"
    assert "LastUpdateStatus" not in created and created["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as caught:
        zip_function(client, "made")
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"


def test_create_function_with_publish_answers_the_version(served):
    _, client = served
    assert zip_function(client, "published", Publish=True)["Version"] == "1"
    assert client("lambda").get_function(FunctionName="published")["Configuration"]["Version"] == "$LATEST"


def test_invoke_runs_on_the_plane_with_aws_headers(served):
    plane, client = served
    zip_function(client, "runs")
    response = client("lambda").invoke(FunctionName="runs", Payload=b'{"n": 1}', LogType="Tail")
    assert (response["StatusCode"], json.loads(response["Payload"].read())) == (200, {"ok": True})
    assert response["ExecutedVersion"] == "$LATEST" and "FunctionError" not in response
    assert base64.b64decode(response["LogResult"]) == b"REPORT"
    assert response["ResponseMetadata"]["RequestId"] == "req-1"
    assert plane.runs[-1] == ("runs", "$LATEST", b'{"n": 1}', True)


def test_invoke_runs_the_version_its_qualifier_names(served):
    plane, client = served
    zip_function(client, "qualified")
    lam = client("lambda")
    version = lam.publish_version(FunctionName="qualified")["Version"]
    lam.create_alias(FunctionName="qualified", Name="live", FunctionVersion=version)
    lam.invoke(FunctionName="qualified", Qualifier="live", Payload=b"{}")
    assert plane.runs[-1][:2] == ("qualified", version)


def test_invoke_answers_a_function_error_and_the_invocation_types_statuses(served):
    plane, client = served
    zip_function(client, "typed")
    lam = client("lambda")
    plane.outcome = Invocation(200, b'{"errorType": "ValueError"}', "Unhandled", "", "$LATEST")
    try:
        assert lam.invoke(FunctionName="typed", Payload=b"{}")["FunctionError"] == "Unhandled"
    finally:
        plane.outcome = FakePlane(plane.cloud).outcome
    assert lam.invoke(FunctionName="typed", InvocationType="Event", Payload=b'{"later": 1}')["StatusCode"] == 202
    assert plane.async_runs[-1] == ("typed", b'{"later": 1}')
    assert lam.invoke(FunctionName="typed", InvocationType="DryRun")["StatusCode"] == 204


def test_invoke_errors_reach_the_client_as_aws_words_them(served):
    plane, client = served
    zip_function(client, "throttled")
    plane.error = Throttled("Rate Exceeded.")
    try:
        with pytest.raises(ClientError) as caught:
            client("lambda").invoke(FunctionName="throttled", Payload=b"{}")
    finally:
        plane.error = None
    assert caught.value.response["Error"] == {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."}
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    with pytest.raises(client("lambda").exceptions.ResourceNotFoundException):
        client("lambda").invoke(FunctionName="nothing-here", Payload=b"{}")


def test_updates_set_last_modified(served):
    _, client = served
    created = zip_function(client, "modified")
    lam = client("lambda")
    time.sleep(0.01)
    updated = lam.update_function_code(FunctionName="modified", ZipFile=zipped("def handler(e, c):\n    pass\n"))
    assert updated["LastModified"] > created["LastModified"]
    configured = lam.update_function_configuration(FunctionName="modified", Description="second")
    assert configured["LastModified"] > updated["LastModified"]
    dry = lam.update_function_code(FunctionName="modified", ZipFile=zipped(), DryRun=True)
    assert dry["LastModified"] == configured["LastModified"]


def test_an_image_on_the_local_registry_resolves_to_its_digest(served):
    _, client = served
    ecr = ecr_backends[ACCOUNT][REGION]
    ecr.create_repository("orders", None, None, None, None, None, None)
    digest = ecr.put_image("orders", MANIFEST, "v1").image_id["imageDigest"]
    lam = client("lambda")
    lam.create_function(FunctionName="pictured", PackageType="Image", Role=role(client),
                        Code={"ImageUri": f"{REGISTRY}/orders:v1"}, ImageConfig={"Command": ["app.handler"]})
    function = lam.get_function(FunctionName="pictured")
    assert function["Configuration"]["CodeSha256"] == digest.removeprefix("sha256:")
    assert function["Code"]["ResolvedImageUri"] == f"{REGISTRY}/orders@{digest}"
    lam.update_function_configuration(FunctionName="pictured", ImageConfig={"Command": ["app.other"]})
    assert lam.get_function_configuration(FunctionName="pictured")["ImageConfigResponse"]["ImageConfig"][
        "Command"] == ["app.other"]


def test_get_function_shows_a_reserved_concurrency_of_zero(served):
    _, client = served
    zip_function(client, "stopped")
    lam = client("lambda")
    lam.put_function_concurrency(FunctionName="stopped", ReservedConcurrentExecutions=0)
    assert lam.get_function(FunctionName="stopped")["Concurrency"] == {"ReservedConcurrentExecutions": 0}


def mapped_queue(client, name: str, **mapping) -> tuple[str, str]:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                                             **mapping)["UUID"]


def test_a_mapping_leaves_the_queue_to_the_poller_and_sends_wake_it(served):
    plane, client = served
    zip_function(client, "consumer")
    wakes = plane.wakes
    url, _ = mapped_queue(client, "consumer")
    [queue] = [queue for queue in sqs_backends[ACCOUNT][REGION].queues.values() if queue.name == "consumer"]
    assert queue.lambda_event_source_mappings == {} and plane.wakes == wakes + 1
    sqs = client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "2", "MessageBody": "two"}])
    assert plane.wakes == wakes + 3 and all(run[0] != "consumer" for run in plane.runs)  # nothing ran inline
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
        "ApproximateNumberOfMessages"] == "2"


@pytest.mark.parametrize("maximum", [1001, 5000])
def test_maximum_concurrency_above_1000_is_refused_on_create_and_update(served, maximum):
    _, client = served
    name = f"bounded-{maximum}"
    zip_function(client, name)
    lam = client("lambda")
    with pytest.raises(ClientError) as caught:
        mapped_queue(client, name, ScalingConfig={"MaximumConcurrency": maximum})
    assert caught.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": f"1 validation error detected: Value '{maximum}' at 'scalingConfig.maximumConcurrency' failed "
                   f"to satisfy constraint: Member must have value less than or equal to 1000"}
    zip_function(client, f"{name}-ok")
    _, uuid = mapped_queue(client, f"{name}-ok", ScalingConfig={"MaximumConcurrency": 1000})
    with pytest.raises(ClientError) as caught:
        lam.update_event_source_mapping(UUID=uuid, ScalingConfig={"MaximumConcurrency": maximum})
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
