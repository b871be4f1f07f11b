"""What the API Gateway providers rely on in moto (5.2.5) and what they work around, one test each, without an engine.

A test of a workaround asserts that plain moto still behaves so; when one fails, moto has changed: its message says
which handler (in localcloud/apigateway/provider.py) may go.
"""
import json

import boto3
import botocore.exceptions
import moto
import pytest
from moto.apigateway import urls as rest_urls
from moto.apigateway.models import apigateway_backends
from moto.apigateway.responses import APIGatewayResponse
from moto.apigateway.utils import deserialize_body
from moto.apigatewayv2.models import apigatewayv2_backends
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import BackendRequest, DomainDispatcherApplication
from werkzeug.test import EnvironBuilder

from localcloud.apigateway import http_api_control, openapi_import, provider

REGION = "us-east-1"
LAMBDA_ARN = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:orders"
SIGNED = {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/{REGION}/apigateway/aws4_request, "
                           "SignedHeaders=host, Signature=0"}


@pytest.fixture
def aws():
    with moto.mock_aws():
        yield


@pytest.fixture
def v2(aws):
    return boto3.client("apigatewayv2", region_name=REGION)


@pytest.fixture
def v1(aws):
    return boto3.client("apigateway", region_name=REGION)


def request(method: str, path: str, body: dict | None = None) -> BackendRequest:
    environ = EnvironBuilder(path=path, method=method, headers=SIGNED, data=json.dumps(body) if body else None,
                             content_type="application/json").get_environ()
    return BackendRequest(environ)


def moto_response(response_class, method: str, path: str, body: dict | None = None):
    """moto's response object set up for one request, as the provider layer sets it up."""
    answer = response_class()
    incoming = request(method, path, body)
    answer.setup_class(incoming, incoming.raw_url, dict(incoming.headers))
    return answer


# --- routing ----------------------------------------------------------------------------------------------------------

def test_moto_serves_both_api_gateway_versions_from_its_apigateway_app():
    dispatcher = DomainDispatcherApplication(lambda backend: None)
    environ = request("POST", "/v2/apis/abc/deployments").environ
    host = dispatcher.infer_service_region_host(environ, "/v2/apis/abc/deployments")
    assert dispatcher.get_backend_for_host(host) == provider.MOTO_APP, \
        "moto now has an app of its own for HTTP APIs: HttpApiProvider.app must name it"
    assert "{0}/v2/apis$" in rest_urls.url_paths


@pytest.mark.parametrize("method, path, operation", [
    ("POST", "/v2/apis/abc/deployments", "CreateDeployment"),
    ("GET", "/v2/apis/abc/deployments", "GetDeployments"),
    ("GET", "/v2/apis/abc/deployments/d1", "GetDeployment"),
    ("DELETE", "/v2/apis/abc/deployments/d1", "DeleteDeployment"),
    ("PATCH", "/v2/apis/abc/stages/prod", "UpdateStage"),
])
def test_moto_names_the_http_api_operations_it_lacks_from_botocores_model(method, path, operation):
    # The provider layer finds a handler by this name before moto's URL table is consulted.
    assert moto_response(ApiGatewayV2Response, method, path)._get_action() == operation
    assert moto_response(APIGatewayResponse, method, path)._get_action() is None  # the REST provider never sees it


@pytest.mark.parametrize("method", ["create_deployment", "get_deployments", "get_deployment", "delete_deployment",
                                    "update_stage"])
def test_moto_still_lacks_http_api_deployments_and_update_stage(method):
    assert not hasattr(ApiGatewayV2Response, method), \
        f"moto now has ApiGatewayV2Response.{method}: check HttpApiProvider's handler for it is still needed"
    assert not any("deployments" in path for path in rest_urls.url_paths if "/v2/" in path)


def test_the_request_shapes_the_handlers_read():
    members = {(service, operation): set(get_service_model(service).operation_model(operation).input_shape.members)
               for service, operation in [("apigatewayv2", "CreateApi"), ("apigatewayv2", "CreateStage"),
                                          ("apigatewayv2", "UpdateStage"), ("apigatewayv2", "CreateDeployment"),
                                          ("apigatewayv2", "GetDeployment"), ("apigateway", "CreateRestApi"),
                                          ("apigateway", "ImportRestApi"), ("apigateway", "PutRestApi"),
                                          ("apigateway", "CreateDeployment")]}
    assert {"Target", "RouteKey"} <= members["apigatewayv2", "CreateApi"]
    assert {"ApiId", "StageName"} <= members["apigatewayv2", "CreateStage"] & members["apigatewayv2", "UpdateStage"]
    assert {"ApiId", "StageName", "Description"} <= members["apigatewayv2", "CreateDeployment"]
    assert {"ApiId", "DeploymentId"} <= members["apigatewayv2", "GetDeployment"]
    assert "binaryMediaTypes" in members["apigateway", "CreateRestApi"]
    assert "failOnWarnings" in members["apigateway", "ImportRestApi"]
    assert {"restApiId", "mode", "failOnWarnings"} <= members["apigateway", "PutRestApi"]
    assert {"restApiId", "stageName", "variables"} <= members["apigateway", "CreateDeployment"]


# --- HTTP APIs --------------------------------------------------------------------------------------------------------

def test_moto_create_api_answers_its_api_as_json(aws):
    status, _, body = moto_response(ApiGatewayV2Response, "POST", "/v2/apis",
                                    {"name": "api", "protocolType": "HTTP"}).create_api()
    assert status == 200 and json.loads(body)["apiId"] in apigatewayv2_backends[DEFAULT_ACCOUNT_ID][REGION].apis


def test_moto_api_endpoint_resolves_nowhere(v2):
    endpoint = v2.create_api(Name="api", ProtocolType="HTTP")["ApiEndpoint"]
    assert endpoint.endswith(".amazonaws.com"), "moto's ApiEndpoint changed: check HttpApiProvider.create_api"


def test_moto_create_api_ignores_target(v2):
    api = v2.create_api(Name="quick", ProtocolType="HTTP", Target=LAMBDA_ARN)["ApiId"]
    assert v2.get_routes(ApiId=api)["Items"] == [] and v2.get_stages(ApiId=api)["Items"] == [], \
        "moto now quick-creates: drop quick_create from HttpApiProvider.create_api"


def test_moto_http_api_stage_hides_deployment_id(v2):
    api = v2.create_api(Name="api", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=api, StageName="prod", DeploymentId="abc123")
    assert "DeploymentId" not in v2.get_stage(ApiId=api, StageName="prod"), \
        "moto now shows a stage's DeploymentId: drop DeployedStage and HttpApiProvider.create_stage"


def test_moto_http_api_stage_keeps_its_request_and_the_attributes_update_stage_sets(v2):
    api = v2.create_api(Name="api", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=api, StageName="prod", DeploymentId="abc123", StageVariables={"color": "blue"})
    stage = apigatewayv2_backends[DEFAULT_ACCOUNT_ID][REGION].get_stage(api, "prod")
    assert stage.config["deploymentId"] == "abc123" and stage.config["stageVariables"] == {"color": "blue"}
    assert all(hasattr(stage, attribute) for attribute in [*http_api_control.STAGE_FIELDS.values(), "updated"])
    assert http_api_control.deployed(stage).to_json()["deploymentId"] == "abc123"
    assert v2.get_stage(ApiId=api, StageName="prod")["DeploymentId"] == "abc123"


def test_moto_create_stage_answers_as_json(aws):
    backend = apigatewayv2_backends[DEFAULT_ACCOUNT_ID][REGION]
    api = backend.create_api(None, None, None, None, None, "api", "HTTP", None, None, None)
    status, _, body = moto_response(ApiGatewayV2Response, "POST", f"/v2/apis/{api.api_id}/stages",
                                    {"stageName": "prod"}).create_stage()
    assert status == 200 and json.loads(body)["stageName"] == "prod"


# --- REST APIs --------------------------------------------------------------------------------------------------------

def test_moto_create_rest_api_answers_its_api_as_json(aws):
    status, _, body = moto_response(APIGatewayResponse, "POST", "/restapis", {"name": "rest"}).create_rest_api()
    assert status == 200 and json.loads(body)["id"] in apigateway_backends[DEFAULT_ACCOUNT_ID][REGION].apis


def test_moto_create_rest_api_drops_binary_media_types(v1):
    api = v1.create_rest_api(name="rest", binaryMediaTypes=["image/png"])
    assert api["binaryMediaTypes"] == [], "moto now keeps binaryMediaTypes: drop RestApiProvider.create_rest_api's"


def mock_method(v1, rest_api: str) -> None:
    root = v1.get_resources(restApiId=rest_api)["items"][0]["id"]
    v1.put_method(restApiId=rest_api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    v1.put_integration(restApiId=rest_api, resourceId=root, httpMethod="GET", type="MOCK")


def test_moto_rest_deployment_replaces_stage(v1):
    api = v1.create_rest_api(name="rest")["id"]
    mock_method(v1, api)
    v1.create_deployment(restApiId=api, stageName="dev")
    v1.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/description", "value": "kept"}])
    v1.create_deployment(restApiId=api, stageName="dev")
    assert v1.get_stage(restApiId=api, stageName="dev")["description"] == "", \
        "moto now keeps a stage across deployments: RestApiProvider.create_deployment need only snapshot"


def test_moto_rest_deployment_answers_its_id_and_keeps_deployments_and_stages(v1):
    api = v1.create_rest_api(name="rest")["id"]
    mock_method(v1, api)
    response = moto_response(APIGatewayResponse, "POST", f"/restapis/{api}/deployments",
                             {"stageName": "dev", "variables": {"color": "blue"}})
    status, _, body = response.create_deployment()
    rest_api = apigateway_backends[DEFAULT_ACCOUNT_ID][REGION].get_rest_api(api)
    deployment = rest_api.deployments[json.loads(body)["id"]]
    stage = rest_api.stages["dev"]
    assert status == 201 and stage.deployment_id == deployment.id and stage.variables == {"color": "blue"}


def test_moto_deserialize_body_reads_openapi_as_json_or_yaml():
    assert deserialize_body("openapi: 3.0.1\ninfo:\n  title: t\n")["info"] == {"title": "t"}
    assert deserialize_body(json.dumps({"swagger": "2.0"})) == {"swagger": "2.0"}
    assert deserialize_body(json.dumps({"name": "not a document"})) == {}


def document(**changes) -> dict:
    return {"openapi": "3.0.1", "info": {"title": "pets", "description": "", "version": "1"},
            "paths": {"/pets": {"get": {}}}, **changes}


@pytest.mark.parametrize("name, imported, moto_says", [
    ("swagger 2.0", document(swagger="2.0", openapi=None), "BadRequestException"),
    ("no info.description", document(info={"title": "pets", "version": "1"}), "KeyError"),
    ("path-level parameters", document(paths={"/pets": {"parameters": [], "get": {}}}), "AttributeError"),
    ("MOCK integration without uri", document(paths={"/pets": {"get": {"x-amazon-apigateway-integration": {
        "type": "mock"}}}}), "TypeError"),
])
def test_moto_import_rest_api_refuses_what_api_gateway_imports(v1, name, imported, moto_says):
    imported = {key: value for key, value in imported.items() if value is not None}
    with pytest.raises((botocore.exceptions.ClientError, KeyError, AttributeError, TypeError)) as raised:
        v1.import_rest_api(body=json.dumps(imported).encode())
    error = raised.value
    said = error.response["Error"]["Code"] if isinstance(error, botocore.exceptions.ClientError) else \
        type(error).__name__
    assert said == moto_says, f"moto's import now reads {name}: check openapi_import.normalised_openapi"


def test_moto_import_rest_api_reads_any_method_as_a_method_so_named_and_ignores_binary_types(v1):
    imported = document(paths={"/pets": {"x-amazon-apigateway-any-method": {}}})
    imported[openapi_import.BINARY_MEDIA_TYPES] = ["image/png"]
    api = v1.import_rest_api(body=json.dumps(imported).encode())
    methods = {item["path"]: set(item.get("resourceMethods", {})) for item in v1.get_resources(
        restApiId=api["id"])["items"]}
    assert methods["/pets"] == {"X-AMAZON-APIGATEWAY-ANY-METHOD"} and api["binaryMediaTypes"] == [], \
        "moto's import now reads ANY methods or binary types: check openapi_import"


def test_moto_imports_what_normalised_openapi_makes_of_an_api_gateway_document(aws):
    imported = {"swagger": "2.0", "info": {"title": "pets", "version": "1"},
                openapi_import.BINARY_MEDIA_TYPES: ["image/png"],
                "paths": {"/{proxy+}": {"parameters": [{"name": "proxy", "in": "path"}],
                                        "x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
                                            "type": "mock"}}}}}
    backend = apigateway_backends[DEFAULT_ACCOUNT_ID][REGION]
    rest_api = backend.import_rest_api(openapi_import.normalised_openapi(imported), False)
    openapi_import.add_binary_media_types(rest_api, imported)
    resource = rest_api.get_resource_for_path("/{proxy+}")
    assert set(resource.resource_methods) == {"ANY"}
    assert resource.resource_methods["ANY"].method_integration.integration_type == "MOCK"
    assert rest_api.binaryMediaTypes == ["image/png"]
    backend.put_rest_api(rest_api.id, openapi_import.normalised_openapi(imported), False, "merge")
