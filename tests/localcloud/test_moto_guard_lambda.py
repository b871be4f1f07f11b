"""The moto Lambda and SQS behaviours the Lambda plane's providers rely on or work around, one test each, engine-free.

A test of a workaround fails when moto fixes the behaviour itself: its message says which handler can go.
"""
import base64
import copy
import hashlib
import io
import zipfile

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import ImageConfig, LambdaFunction, lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from localcloud.control_plane import ControlPlane
from localcloud.providers import Provider

REGION = "us-east-1"
IMAGE_URI = "127.0.0.1:4510/orders:v1"


@pytest.fixture
def aws():
    # plain moto, as a `mock_aws` user has it (a control plane started earlier in this process loads IAM's policies)
    with mock_aws(config={"iam": {"load_aws_managed_policies": False}}):
        yield lambda service: boto3.client(service, region_name=REGION)


def role(aws) -> str:
    return aws("iam").create_role(RoleName="guard", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def zip_function(aws, name: str = "guarded") -> dict:
    return aws("lambda").create_function(FunctionName=name, Runtime="python3.13", Role=role(aws),
                                         Handler="app.handler", Code={"ZipFile": code_zip()})


def image_function(aws, name: str = "pictured") -> dict:
    return aws("lambda").create_function(FunctionName=name, PackageType="Image", Role=role(aws),
                                         Code={"ImageUri": IMAGE_URI}, ImageConfig={"Command": ["app.handler"]})


def mapped_queue(aws, function_name: str, **mapping) -> tuple[str, dict]:
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="guarded-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, aws("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=function_name, **mapping)


def backend():
    return lambda_backends[DEFAULT_ACCOUNT_ID][REGION]


# --- what moto gets wrong, and a handler (or LocalFunction) fixes -------------------------------------------------

def test_invoke_drops_the_qualifier_clients_send(aws):
    zip_function(aws)
    asked = []
    backend().invoke = lambda name, qualifier, *rest: asked.append(qualifier) or b"{}"  # this mock's backend only
    aws("lambda").invoke(FunctionName="guarded", Qualifier="7", Payload=b"{}")
    assert asked == [None], "moto now passes Invoke's Qualifier on: drop that reason from LambdaProvider.invoke"


def test_an_image_uri_with_a_registry_port_is_hashed_and_cut_at_the_port(aws):
    image_function(aws)
    function = aws("lambda").get_function(FunctionName="pictured")
    assert function["Configuration"]["CodeSha256"] == hashlib.sha256(IMAGE_URI.encode()).hexdigest(), \
        "moto now resolves ImageUri to the image's digest: drop LocalFunction._set_function_code"
    assert function["Code"]["ResolvedImageUri"].startswith("127.0.0.1@sha256:"), \
        "moto now keeps the registry's port in ResolvedImageUri: drop that part of LocalFunction.get_code"


def test_updates_leave_last_modified_unchanged(aws):
    created = zip_function(aws)
    lam = aws("lambda")
    assert lam.update_function_code(FunctionName="guarded", ZipFile=code_zip())["LastModified"] == \
        created["LastModified"], "moto now sets LastModified on a code update: drop its part of update_function_code"
    assert lam.update_function_configuration(FunctionName="guarded", Description="again")["LastModified"] == \
        created["LastModified"], "moto now sets LastModified on a configuration update: drop that handler's part"


def test_update_function_configuration_drops_image_config(aws):
    image_function(aws)
    lam = aws("lambda")
    lam.update_function_configuration(FunctionName="pictured", ImageConfig={"Command": ["app.other"]})
    assert lam.get_function_configuration(FunctionName="pictured")["ImageConfigResponse"]["ImageConfig"][
        "Command"] == ["app.handler"], "moto now applies ImageConfig updates: drop that part of the handler"


def test_get_function_hides_a_reserved_concurrency_of_zero(aws):
    zip_function(aws)
    lam = aws("lambda")
    lam.put_function_concurrency(FunctionName="guarded", ReservedConcurrentExecutions=0)
    assert "Concurrency" not in lam.get_function(FunctionName="guarded"), \
        "moto now shows a reserved concurrency of 0: drop that part of LocalFunction.get_code"


def test_a_mapped_queue_invokes_its_function_inside_send_message(aws):
    function_arn = zip_function(aws)["FunctionArn"]
    url, mapping = mapped_queue(aws, "guarded")
    [queue] = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues.values()
    assert queue.lambda_event_source_mappings[function_arn].uuid == mapping["UUID"]  # what the handler takes off
    batches = []
    backend().send_sqs_batch = lambda arn, messages, queue_arn: batches.append(len(messages)) or True
    aws("sqs").send_message(QueueUrl=url, MessageBody="order")
    assert batches == [1], "moto no longer invokes inside send_message: CreateEventSourceMapping need not detach"


def test_maximum_concurrency_is_not_range_checked(aws):
    zip_function(aws)
    _, mapping = mapped_queue(aws, "guarded", ScalingConfig={"MaximumConcurrency": 1001})
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 1001}, \
        "moto now refuses MaximumConcurrency above 1000: drop check_maximum_concurrency"


# --- what the handlers and LocalFunction rely on -------------------------------------------------------------------

class Recorded(LambdaFunction):
    """moto's function, recording what moto calls on it."""

    def _set_function_code(self, updated_spec):
        self.__dict__.setdefault("code_set_from", []).append(updated_spec)
        super()._set_function_code(updated_spec)

    def invoke(self, body, request_headers, response_headers):
        self.__dict__.setdefault("invoked_with", []).append(body)
        return b"{}"


def test_a_function_is_made_from_the_request_json_and_stored_by_put_function(aws):
    spec = {"FunctionName": "made", "Runtime": "python3.13", "Role": role(aws), "Handler": "app.handler",
            "Code": {"ZipFile": base64.b64encode(code_zip()).decode()}}
    fn = Recorded(account_id=DEFAULT_ACCOUNT_ID, spec=spec, region=REGION, version="$LATEST")
    assert fn.code_set_from == [spec["Code"]] and fn.code_bytes == code_zip()
    backend()._lambdas.put_function(fn)
    assert backend().get_function("made", None) is fn
    published = backend().publish_version("made")
    assert type(published) is Recorded and type(copy.deepcopy(fn)) is Recorded  # versions keep the subclass


def test_motos_own_invokes_go_through_the_functions_invoke(aws):
    zip_function(aws)
    fn = backend().get_function("guarded", None)
    fn.__class__ = Recorded
    backend().invoke("guarded", None, '{"from": "sns"}', {}, {})  # what SNS, streams and log subscriptions call
    aws("lambda").invoke_async(FunctionName="guarded", InvokeArgs=b'{"from": "invoke_async"}')
    assert fn.invoked_with == ['{"from": "sns"}', '{"from": "invoke_async"}']


def test_the_model_attributes_the_plane_reads_and_writes(aws):
    image_function(aws)
    fn = backend().get_function("pictured", None)
    assert {"code_sha_256", "code_size", "last_modified", "reserved_concurrency", "image_config", "code"} <= set(
        vars(fn))
    assert fn.code["ImageUri"] == IMAGE_URI and fn.image_config.cmd == ["app.handler"]
    assert ImageConfig({"Command": ["a"], "WorkingDirectory": "/w"}).response() == {
        "Command": ["a"], "EntryPoint": [], "WorkingDirectory": "/w"}


# --- moto's parsers: the parameters the handlers read ---------------------------------------------------------------

class Recording(Provider):
    """Records each call's operation and parameters, then lets moto answer."""
    account_id, region = DEFAULT_ACCOUNT_ID, REGION

    def __init__(self, app: str, response_class, operations: tuple[str, ...]):
        self.app, self.response_class, self.operations, self.calls = app, response_class, operations, []

    def handlers(self):
        return {operation: self.record for operation in self.operations}

    def record(self, call):
        self.calls.append((call.operation, call.params))
        return call.moto()


@pytest.fixture
def served():
    """A control plane (no engine) with recording providers for Lambda and SQS; boto3 clients for it."""
    from moto.awslambda.responses import LambdaResponse
    from moto.sqs.responses import SQSResponse
    lam = Recording("awslambda", LambdaResponse, ("Invoke", "UpdateFunctionConfiguration"))
    sqs = Recording("sqs", SQSResponse, ("SendMessage", "SendMessageBatch"))
    control_plane = ControlPlane("127.0.0.1", 0, {})
    control_plane.providers.register(lam)
    control_plane.providers.register(sqs)
    control_plane.start()
    url = f"http://127.0.0.1:{control_plane.port}"

    def client(service: str):
        return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="any",
                            aws_secret_access_key="any")
    try:
        yield client, url, lam, sqs
    finally:
        control_plane.stop()
        lambda_backends[DEFAULT_ACCOUNT_ID][REGION].reset()
        sqs_backends[DEFAULT_ACCOUNT_ID][REGION].reset()


def test_invoke_parameters_come_from_the_path_query_headers_and_body(served):
    client, _, lam, _ = served
    with pytest.raises(ClientError):  # no such function: moto answers, the parameters were parsed first
        client("lambda").invoke(FunctionName="parsed", Qualifier="live", InvocationType="DryRun", LogType="Tail",
                                Payload=b'{"n": 1}')
    assert lam.calls == [("Invoke", {"FunctionName": "parsed", "Qualifier": "live", "InvocationType": "DryRun",
                                     "LogType": "Tail", "Payload": b'{"n": 1}'})]


def test_send_message_is_named_in_both_of_sqs_protocols(served):
    client, url, _, sqs = served
    queue_url = client("sqs").create_queue(QueueName="spoken")["QueueUrl"]
    client("sqs").send_message(QueueUrl=queue_url, MessageBody="json")  # X-Amz-Target: AmazonSQS.SendMessage
    response = requests.post(url, data={"Action": "SendMessage", "QueueUrl": queue_url, "MessageBody": "query",
                                        "Version": "2012-11-05"},
                             headers={"Authorization": "AWS4-HMAC-SHA256 Credential=any/20240101/us-east-1/sqs/"
                                                       "aws4_request, SignedHeaders=host, Signature=x"}, timeout=10)
    assert response.status_code == 200, response.text
    assert [(operation, params["MessageBody"]) for operation, params in sqs.calls] == [
        ("SendMessage", "json"), ("SendMessage", "query")]
