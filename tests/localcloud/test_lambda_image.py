"""PackageType=Image functions: a learner's image FROM the Lambda base, pushed to the local ECR, runs as pushed."""
import io
import json
import tarfile

import pytest

from localcloud import engine as docker_engine
from localcloud.ecr import EcrPlane
from tests.localcloud.lambda_fixtures import client, fast, lambda_cloud, role_arn, unique

pytestmark = pytest.mark.docker

DOCKERFILE = '''FROM public.ecr.aws/lambda/python:3.13
LABEL localcloud.test-image=lambda
COPY app.py ${LAMBDA_TASK_ROOT}
CMD ["app.handler"]
'''
APP = '''import os

def handler(event, context):
    return {"handler": "main", "task_root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd()}

def other(event, context):
    return {"handler": "other"}
'''


@pytest.fixture(scope="module")
def cloud():
    with lambda_cloud("lambda-image", other_planes=(EcrPlane(),)) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def pushed_image(cloud):
    """(imageUri, digest) of the learner image, pushed with ECR's credentials; removed from the engine after."""
    engine = docker_engine.client()
    repository = unique("recommendations")
    client(cloud, "ecr").create_repository(repositoryName=repository)
    uri = f"{cloud.part('ecr').registry_host}/{repository}"
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, text in (("Dockerfile", DOCKERFILE), ("app.py", APP)):
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    context.seek(0)
    engine.images.build(fileobj=context, custom_context=True, tag=f"{uri}:v1", rm=True, forcerm=True)
    try:
        engine.images.push(uri, tag="v1", auth_config=cloud.part("ecr").auth_config())
        digest = client(cloud, "ecr").describe_images(repositoryName=repository)["imageDetails"][0]["imageDigest"]
        yield f"{uri}:v1", digest
    finally:
        cloud.part("lambda").reset()  # the function's containers use the image
        for image in engine.images.list(filters={"label": "localcloud.test-image=lambda"}):
            engine.images.remove(image.id, force=True)


@pytest.fixture(scope="module")
def image_function(cloud, pushed_image):
    name = unique("image-fn")
    client(cloud, "lambda").create_function(FunctionName=name, PackageType="Image", Role=role_arn(cloud),
                                            Code={"ImageUri": pushed_image[0]}, Timeout=5)
    fast("function_active", cloud)(FunctionName=name)
    return name


def invoke(cloud, name: str) -> dict:
    response = client(cloud, "lambda").invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


def test_invoking_an_image_function_runs_its_cmd_handler(cloud, image_function):
    # moto 5.2.5 answered this invoke with a 500 (it looks for a runtime to pick a lambci image).
    assert invoke(cloud, image_function) == {"handler": "main", "task_root": "/var/task", "cwd": "/var/task"}


def test_image_uri_with_a_registry_port_resolves_to_the_pushed_digest(cloud, image_function, pushed_image):
    # moto hashed the ImageUri string; AWS reports the image's digest.
    uri, digest = pushed_image
    function = client(cloud, "lambda").get_function(FunctionName=image_function)
    assert function["Configuration"]["CodeSha256"] == digest.removeprefix("sha256:")
    assert function["Code"]["ResolvedImageUri"] == f"{uri.rsplit(':', 1)[0]}@{digest}"


def test_update_function_configuration_applies_image_config(cloud, image_function):
    # moto dropped ImageConfig on update_function_configuration.
    lam = client(cloud, "lambda")
    lam.update_function_configuration(FunctionName=image_function, ImageConfig={"Command": ["app.other"]})
    fast("function_updated", cloud)(FunctionName=image_function)
    config = lam.get_function_configuration(FunctionName=image_function)
    assert config["ImageConfigResponse"]["ImageConfig"]["Command"] == ["app.other"]
    assert invoke(cloud, image_function) == {"handler": "other"}
