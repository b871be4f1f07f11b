"""An Image function whose image was built for another architecture fails each invoke as on AWS
(Runtime.InvalidEntrypoint, exec format error): the image's platform read from a stand-in registry (no engine), and
once from the real one (docker)."""
import base64
import hashlib
import io
import json
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto.awslambda.models import lambda_backends
from moto.ecr.models import ecr_backends
from moto.logs.models import logs_backends

from localcloud import engine as docker_engine
from localcloud.awslambda import image_architecture
from localcloud.awslambda.local_function import planes
from localcloud.awslambda.plane import LambdaPlane
from localcloud.awslambda.provider import LambdaProvider
from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID as ACCOUNT
from localcloud.control_plane import ControlPlane
from localcloud.cpu import ARM64, X86_64, cpu
from localcloud.ecr import EcrPlane
from localcloud.ecr.images import record_push
from tests.localcloud import lambda_fixtures as fixtures

REGION = "me-central-1"  # moto's state is per process: a region no other test of this session uses
REGISTRY_HOST = "127.0.0.1:4599"  # what repositoryUris name; never dialled here
MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
ROLE_NAME = "image-functions"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class StandInRegistry(ThreadingHTTPServer):
    """Serves image configs as a registry's blob endpoint does."""

    def __init__(self):
        self.blobs: dict[str, bytes] = {}
        registry = self

        class Blobs(BaseHTTPRequestHandler):
            def do_GET(self):
                body = registry.blobs.get(self.path.rsplit("/", 1)[-1])
                self.send_response(200 if body else 404)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Blobs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StandInCloud:
    def __init__(self, registry: StandInRegistry):
        self.ecr = type("Ecr", (), {"name": "ecr", "registry_host": REGISTRY_HOST, "registry_url": registry.url})()

    def part(self, name: str):
        return self.ecr if name == "ecr" else None

    def backend(self, service: str):
        return {"lambda": lambda_backends, "ecr": ecr_backends, "logs": logs_backends}[service][ACCOUNT][REGION]


@pytest.fixture(scope="module")
def served():
    registry = StandInRegistry()
    threading.Thread(target=registry.serve_forever, daemon=True).start()
    cloud = StandInCloud(registry)
    plane = LambdaPlane()  # not started: an invoke that fails before it needs an environment needs no engine
    plane.cloud = cloud
    control_plane = ControlPlane("127.0.0.1", 0, {})
    control_plane.providers.register(LambdaProvider(plane, ACCOUNT, REGION))
    control_plane.start()
    planes.attach(plane)
    ecr_backends[ACCOUNT][REGION].create_repository("notifier", None, None, None, None, None, None)

    def client(service: str):
        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{control_plane.port}", region_name=REGION,
                            aws_access_key_id="any", aws_secret_access_key="any")
    iam = client("iam")
    try:
        iam.get_role(RoleName=ROLE_NAME)
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument="{}")
    try:
        yield registry, plane, client("lambda")
    finally:
        planes.detach(plane)
        control_plane.stop()
        registry.shutdown()
        for backends in (lambda_backends, ecr_backends, logs_backends):
            backends[ACCOUNT][REGION].reset()


def push(registry: StandInRegistry, tag: str, architecture: str) -> str:
    """An image pushed to the local ECR, built for `architecture`; its repositoryUri with the tag."""
    config = json.dumps({"architecture": architecture, "os": "linux", "config": {
        "Entrypoint": ["/lambda-entrypoint.sh"], "Cmd": ["app.handler"], "WorkingDir": "/var/task"}}).encode()
    registry.blobs[digest_of(config)] = config
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPE, "config": {
        "mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
        "digest": digest_of(config)}, "layers": []}).encode()
    backend = ecr_backends[ACCOUNT][REGION]
    record_push(backend, backend.repositories["notifier"], tag, manifest, MEDIA_TYPE, digest_of(manifest))
    return f"{REGISTRY_HOST}/notifier:{tag}"


def image_function(lam, name: str, image_uri: str, **extra) -> dict:
    return lam.create_function(FunctionName=name, PackageType="Image", Code={"ImageUri": image_uri}, Role=ROLE,
                               **extra)


def test_an_arm64_image_on_a_default_x86_64_function_fails_to_launch_as_on_aws(served):
    registry, _, lam = served
    created = image_function(lam, "arm-image", push(registry, "arm", "arm64"))
    assert created["Architectures"] == ["x86_64"]  # accepted, as AWS accepts it
    answer = lam.invoke(FunctionName="arm-image", Payload=b"{}", LogType="Tail")
    error = json.loads(answer["Payload"].read())
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    assert error["errorType"] == "Runtime.InvalidEntrypoint"
    assert error["errorMessage"] == (f"RequestId: {answer['ResponseMetadata']['RequestId']} "
                                     f"Error: fork/exec /lambda-entrypoint.sh: exec format error")
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert ("IMAGE\tLaunch error: fork/exec /lambda-entrypoint.sh: exec format error\t"
            "Entrypoint: [/lambda-entrypoint.sh]\tCmd: [app.handler]\tWorkingDir: [/var/task]") in tail


def test_the_launch_error_is_in_the_functions_log_group(served):
    registry, _, lam = served
    image_function(lam, "logged-arm", push(registry, "logged", "arm64"))
    lam.invoke(FunctionName="logged-arm", Payload=b"{}")
    logs = logs_backends[ACCOUNT][REGION]
    events, _, _ = logs.filter_log_events("/aws/lambda/logged-arm", None, None, None, None, None, None, None)
    messages = [event["message"] for event in events]
    assert any(message.startswith("IMAGE\tLaunch error: fork/exec") for message in messages)
    assert any("Error Type: Runtime.InvalidEntrypoint" in message for message in messages)


def test_an_amd64_image_on_an_arm64_function_fails_too(served):
    registry, _, lam = served
    image_function(lam, "x86-on-arm", push(registry, "x86", "amd64"), Architectures=["arm64"])
    answer = lam.invoke(FunctionName="x86-on-arm", Payload=b"{}")
    assert json.loads(answer["Payload"].read())["errorType"] == "Runtime.InvalidEntrypoint"


def test_an_image_matching_the_functions_architecture_is_not_stopped(served):
    registry, plane, lam = served
    image_function(lam, "arm-on-arm", push(registry, "arm-ok", "arm64"), Architectures=["arm64"])
    image_function(lam, "x86-on-x86", push(registry, "x86-ok", "amd64"))
    backend = lambda_backends[ACCOUNT][REGION]
    for name in ("arm-on-arm", "x86-on-x86"):
        assert image_architecture.launch_failure(plane, backend.get_function(name, None)) is None


def test_a_code_update_to_a_matching_image_lets_the_function_start(served):
    registry, plane, lam = served
    image_function(lam, "rebuilt", push(registry, "before", "arm64"))
    backend = lambda_backends[ACCOUNT][REGION]
    assert image_architecture.launch_failure(plane, backend.get_function("rebuilt", None)) is not None
    lam.update_function_code(FunctionName="rebuilt", ImageUri=push(registry, "after", "amd64"))
    assert image_architecture.launch_failure(plane, backend.get_function("rebuilt", None)) is None


# --- with the real registry ----------------------------------------------------------------------------------------
SCRATCH_DOCKERFILE = 'FROM scratch\nLABEL localcloud.test-image=aws-rules\nCOPY app.py /var/task/\nCMD ["app.handler"]\n'


@pytest.fixture(scope="module")
def engine_image():
    """A cloud with ECR and Lambda, and an image built on its engine and pushed: (cloud, imageUri, its CPU)."""
    engine = docker_engine.client()
    with fixtures.lambda_cloud("aws-rules-image", other_planes=(EcrPlane(),)) as cloud:
        repository = fixtures.unique("arch")
        fixtures.client(cloud, "ecr").create_repository(repositoryName=repository)
        uri = f"{cloud.part('ecr').registry_host}/{repository}"
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as archive:
            for name, text in (("Dockerfile", SCRATCH_DOCKERFILE), ("app.py", "def handler(e, c):\n    return e\n")):
                info = tarfile.TarInfo(name)
                info.size = len(text.encode())
                archive.addfile(info, io.BytesIO(text.encode()))
        context.seek(0)
        image, _ = engine.images.build(fileobj=context, custom_context=True, tag=f"{uri}:v1", rm=True, forcerm=True)
        try:
            engine.images.push(uri, tag="v1", auth_config=cloud.part("ecr").auth_config())
            yield cloud, f"{uri}:v1", cpu(image.attrs["Architecture"])
        finally:
            engine.images.remove(image.id, force=True)


@pytest.mark.docker
def test_a_function_naming_the_other_architecture_than_its_pushed_image_fails_to_launch(engine_image):
    cloud, image_uri, built_for = engine_image
    other = ARM64 if built_for == X86_64 else X86_64
    lam = fixtures.client(cloud, "lambda")
    lam.create_function(FunctionName="other-cpu", PackageType="Image", Code={"ImageUri": image_uri},
                        Role=fixtures.role_arn(cloud), Architectures=[other.aws_lambda])
    answer = lam.invoke(FunctionName="other-cpu", Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorMessage"].endswith(
        "Error: fork/exec app.handler: exec format error")
