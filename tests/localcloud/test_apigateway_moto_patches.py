"""Each moto (5.2.5) API Gateway behaviour the local cloud fixes, named after the behaviour, through boto3."""
import json
import subprocess
import uuid

import botocore.exceptions
import httpx
import pytest

import localcloud
from localcloud.apigateway import ApiGatewayPlane
from localcloud.config import Config
from tests.localcloud import apigateway_fixtures as fx
from tests.localcloud.elbv2_fixtures import AWS_CLI

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with localcloud.running(Config(port=0, instance=f"t-apigw-moto-{uuid.uuid4().hex[:8]}"),
                            data_planes=[ApiGatewayPlane()]) as running_cloud:
        yield running_cloud


@pytest.fixture(scope="module")
def v2(cloud):
    return fx.aws_client(cloud, "apigatewayv2")


@pytest.fixture(scope="module")
def v1(cloud):
    return fx.aws_client(cloud, "apigateway")


def test_api_endpoint_resolves_nowhere(cloud, v2):
    api = v2.create_api(Name=fx.unique("api"), ProtocolType="HTTP")
    assert api["ApiEndpoint"].startswith("http://execute-api.localhost:")
    assert v2.get_api(ApiId=api["ApiId"])["ApiEndpoint"] == api["ApiEndpoint"]
    assert httpx.get(api["ApiEndpoint"]).status_code == 404  # no stage yet: answered, not refused


def test_create_api_ignores_target(v2):
    function = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    api = v2.create_api(Name=fx.unique("quick"), ProtocolType="HTTP", Target=function, RouteKey="GET /orders")
    (route,) = v2.get_routes(ApiId=api["ApiId"])["Items"]
    (integration,) = v2.get_integrations(ApiId=api["ApiId"])["Items"]
    (stage,) = v2.get_stages(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "GET /orders" and route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert integration["IntegrationType"] == "AWS_PROXY" and integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"] == function
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True


def test_http_api_has_no_create_deployment(v2):
    api = v2.create_api(Name=fx.unique("api"), ProtocolType="HTTP")
    v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    deployment = v2.create_deployment(ApiId=api["ApiId"], StageName="prod", Description="first")
    assert deployment["DeploymentStatus"] == "DEPLOYED" and deployment["Description"] == "first"
    assert v2.get_deployment(ApiId=api["ApiId"], DeploymentId=deployment["DeploymentId"])["DeploymentId"] == \
        deployment["DeploymentId"]
    assert [d["DeploymentId"] for d in v2.get_deployments(ApiId=api["ApiId"])["Items"]] == \
        [deployment["DeploymentId"]]
    v2.delete_deployment(ApiId=api["ApiId"], DeploymentId=deployment["DeploymentId"])
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        v2.get_deployment(ApiId=api["ApiId"], DeploymentId=deployment["DeploymentId"])
    assert raised.value.response["Error"]["Code"] == "NotFoundException"
    assert raised.value.response["Error"]["Message"] == \
        f"Invalid Deployment identifier specified {deployment['DeploymentId']}"


def test_create_deployment_to_an_unknown_stage_is_refused(v2):
    api = v2.create_api(Name=fx.unique("api"), ProtocolType="HTTP")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        v2.create_deployment(ApiId=api["ApiId"], StageName="nope")
    assert raised.value.response["Error"]["Code"] == "BadRequestException"
    assert raised.value.response["Error"]["Message"] == "Invalid stage identifier specified: nope"


def test_http_api_stage_hides_deployment_id(v2):
    api = v2.create_api(Name=fx.unique("api"), ProtocolType="HTTP")
    deployment = v2.create_deployment(ApiId=api["ApiId"])["DeploymentId"]
    v2.create_stage(ApiId=api["ApiId"], StageName="prod", DeploymentId=deployment)
    assert v2.get_stage(ApiId=api["ApiId"], StageName="prod")["DeploymentId"] == deployment


def test_http_api_has_no_update_stage(v2):
    api = v2.create_api(Name=fx.unique("api"), ProtocolType="HTTP")
    v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    v2.update_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True, StageVariables={"color": "blue"},
                    DefaultRouteSettings={"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 1.0})
    stage = v2.get_stage(ApiId=api["ApiId"], StageName="prod")
    assert stage["AutoDeploy"] is True and stage["StageVariables"] == {"color": "blue"}
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 5


def test_rest_deployment_replaces_stage(v1):
    api = v1.create_rest_api(name=fx.unique("rest"))["id"]
    fx.rest_method(v1, api, "/x", "GET", type="MOCK")
    v1.create_deployment(restApiId=api, stageName="dev")
    v1.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/description", "value": "kept"}])
    second = v1.create_deployment(restApiId=api, stageName="dev")["id"]
    stage = v1.get_stage(restApiId=api, stageName="dev")
    assert stage["deploymentId"] == second and stage["description"] == "kept"


def swagger_document(**info) -> bytes:
    return json.dumps({"swagger": "2.0", "info": {"title": fx.unique("petstore"), "version": "1", **info},
                       "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}}}).encode()


def test_import_rest_api_rejects_swagger_2(v1):
    api = v1.import_rest_api(body=swagger_document(description="pets"))
    paths = {resource["path"] for resource in v1.get_resources(restApiId=api["id"])["items"]}
    assert paths == {"/", "/pets"}


def test_import_rest_api_needs_info_description(v1):
    api = v1.import_rest_api(body=swagger_document())
    assert v1.get_rest_api(restApiId=api["id"])["name"].startswith("petstore")


def test_import_rest_api_reads_any_method_as_a_method_named_so(v1):
    document = {"openapi": "3.0.1", "info": {"title": fx.unique("any"), "version": "1"},
                "x-amazon-apigateway-binary-media-types": ["image/png"],
                "paths": {"/{proxy+}": {"parameters": [{"name": "proxy", "in": "path", "required": True}],
                                        "x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
                                            "type": "mock"}}}}}
    api = v1.import_rest_api(body=json.dumps(document).encode())
    resources = {resource["path"]: resource for resource in v1.get_resources(restApiId=api["id"])["items"]}
    assert set(resources["/{proxy+}"]["resourceMethods"]) == {"ANY"}
    assert v1.get_rest_api(restApiId=api["id"])["binaryMediaTypes"] == ["image/png"]


def test_create_rest_api_drops_binary_media_types(v1):
    api = v1.create_rest_api(name=fx.unique("rest"), binaryMediaTypes=["image/png", "application/octet-stream"])
    assert api["binaryMediaTypes"] == ["image/png", "application/octet-stream"]
    assert v1.get_rest_api(restApiId=api["id"])["binaryMediaTypes"] == ["image/png", "application/octet-stream"]


def test_http_api_create_deployment_with_the_aws_cli(cloud, v2):
    api = v2.create_api(Name=fx.unique("api"), ProtocolType="HTTP")
    v2.create_stage(ApiId=api["ApiId"], StageName="prod")
    environment = {**cloud.config.client_environment(), "PATH": "/usr/bin:/bin"}
    created = subprocess.run([AWS_CLI, "apigatewayv2", "create-deployment", "--api-id", api["ApiId"],
                              "--stage-name", "prod", "--output", "json"],
                             capture_output=True, text=True, check=True, env=environment)
    deployment = json.loads(created.stdout)["DeploymentId"]
    assert v2.get_stage(ApiId=api["ApiId"], StageName="prod")["DeploymentId"] == deployment
