"""REST APIs end to end: MOCK and HTTP proxy methods served at the invoke URL of a deployed stage."""
import json
import uuid
import warnings

import httpx
import pytest

import localcloud
from localcloud.apigateway import ApiGatewayPlane
from localcloud.apigateway.unenforced import NotEnforcedLocally
from localcloud.config import Config
from tests.localcloud import apigateway_fixtures as fx
from tests.localcloud.elbv2_fixtures import wait_for

pytestmark = pytest.mark.docker

MOCK_OK = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}


@pytest.fixture(scope="module")
def cloud():
    with localcloud.running(Config(port=0, instance=f"t-apigw-rest-{uuid.uuid4().hex[:8]}"),
                            data_planes=[ApiGatewayPlane()]) as running_cloud:
        yield running_cloud


@pytest.fixture(scope="module")
def target():
    with fx.echo_server() as url:
        yield url


@pytest.fixture(scope="module")
def apigw(cloud):
    return fx.aws_client(cloud, "apigateway")


def invoke_url(cloud, api_id: str, stage: str) -> str:
    return cloud.part("apigateway").invoke_url(api_id, stage)


def mock_method(apigw, api_id: str, path: str, body: str, status: str = "200", headers=None, template=MOCK_OK):
    resource = fx.rest_method(apigw, api_id, path, "GET", **template)
    apigw.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode=status)
    apigw.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="GET", statusCode=status,
                                   responseTemplates={"application/json": body},
                                   responseParameters=headers or {})
    return resource


def test_mock_integration_answers_from_its_integration_response(cloud, apigw):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    mock_method(apigw, api, "/health", '{"status": "ok"}', headers={"method.response.header.X-Mocked": "'yes'"})
    apigw.create_deployment(restApiId=api, stageName="dev")
    response = httpx.get(f"{invoke_url(cloud, api, 'dev')}/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["x-mocked"] == "yes" and response.headers["x-amzn-requestid"]


def test_mock_status_from_the_request_template(cloud, apigw):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    template = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 404}'}}
    resource = mock_method(apigw, api, "/gone", '{"found": false}', template=template)
    apigw.put_method_response(restApiId=api, resourceId=resource, httpMethod="GET", statusCode="404")
    apigw.put_integration_response(restApiId=api, resourceId=resource, httpMethod="GET", statusCode="404",
                                   selectionPattern="404", responseTemplates={"application/json": '{"gone": true}'})
    apigw.create_deployment(restApiId=api, stageName="dev")
    response = httpx.get(f"{invoke_url(cloud, api, 'dev')}/gone")
    assert response.status_code == 404 and response.json() == {"gone": True}


def test_unknown_path_is_403_missing_authentication_token(cloud, apigw):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    mock_method(apigw, api, "/health", "{}")
    apigw.create_deployment(restApiId=api, stageName="dev")
    response = httpx.get(f"{invoke_url(cloud, api, 'dev')}/nothing")
    assert response.status_code == 403 and response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_a_disabled_endpoint_is_403_forbidden(cloud, apigw):
    api = apigw.create_rest_api(name=fx.unique("rest"), disableExecuteApiEndpoint=True)["id"]
    mock_method(apigw, api, "/health", "{}")
    apigw.create_deployment(restApiId=api, stageName="dev")
    response = httpx.get(f"{invoke_url(cloud, api, 'dev')}/health")
    assert response.status_code == 403 and response.json() == {"message": "Forbidden"}


def test_http_proxy_with_a_greedy_resource(cloud, apigw, target):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    fx.rest_method(apigw, api, "/shop/{proxy+}", "ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
                   uri=f"{target}/backend/{{proxy}}",
                   requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    apigw.create_deployment(restApiId=api, stageName="prod")
    echoed = httpx.put(f"{invoke_url(cloud, api, 'prod')}/shop/cart/7?x=1", content=b"abc").json()
    assert echoed["path"] == "/backend/cart/7" and echoed["method"] == "PUT"
    assert echoed["query"] == "x=1" and echoed["body"] == "abc"


def test_a_stage_serves_its_deployment_until_the_next(cloud, apigw):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    resource = mock_method(apigw, api, "/v", '{"v": 1}')
    apigw.create_deployment(restApiId=api, stageName="dev")
    apigw.put_integration_response(restApiId=api, resourceId=resource, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"v": 2}'})
    url = f"{invoke_url(cloud, api, 'dev')}/v"
    assert httpx.get(url).json() == {"v": 1}
    apigw.create_deployment(restApiId=api, stageName="dev")
    assert httpx.get(url).json() == {"v": 2}


def test_integration_timeout_is_504_endpoint_request_timed_out(cloud, apigw, target):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    fx.rest_method(apigw, api, "/slow", "GET", type="HTTP_PROXY", integrationHttpMethod="GET",
                   uri=f"{target}/slow?seconds=2", timeoutInMillis=300)
    apigw.create_deployment(restApiId=api, stageName="dev")
    response = httpx.get(f"{invoke_url(cloud, api, 'dev')}/slow", timeout=10)
    assert response.status_code == 504 and response.json() == {"message": "Endpoint request timed out"}


def test_stage_throttling_answers_429(cloud, apigw):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    mock_method(apigw, api, "/t", "{}")
    apigw.create_deployment(restApiId=api, stageName="dev")
    apigw.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.5"}])
    with httpx.Client() as client:
        statuses = [client.get(f"{invoke_url(cloud, api, 'dev')}/t").status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429


OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "petstore", "version": "1"},
    "paths": {
        "/pets": {"get": {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200",
                                      "responseTemplates": {"application/json": '[{"id": 1}]'}}}}}},
        "/pets/{id}": {"parameters": [{"name": "id", "in": "path", "required": True}],
                       "x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
                           "type": "http_proxy", "httpMethod": "ANY", "uri": "TARGET/pet/{id}",
                           "requestParameters": {"integration.request.path.id": "method.request.path.id"}}}},
    },
}


def test_import_rest_api_from_openapi(cloud, apigw, target):
    document = json.loads(json.dumps(OPENAPI).replace("TARGET", target))
    api = apigw.import_rest_api(body=json.dumps(document).encode())["id"]
    apigw.create_deployment(restApiId=api, stageName="v1")
    url = invoke_url(cloud, api, "v1")
    assert httpx.get(f"{url}/pets").json() == [{"id": 1}]
    assert httpx.delete(f"{url}/pets/9").json()["path"] == "/pet/9"


def test_api_key_required_is_said_to_be_not_enforced(cloud, apigw):
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    resource = fx.rest_resource(apigw, api, "/keyed")
    apigw.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE",
                     apiKeyRequired=True)
    apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", **MOCK_OK)
    apigw.put_integration_response(restApiId=api, resourceId=resource, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": "{}"})
    apigw.create_deployment(restApiId=api, stageName="dev")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert httpx.get(f"{invoke_url(cloud, api, 'dev')}/keyed").status_code == 200
    assert any(issubclass(w.category, NotEnforcedLocally) and "API keys" in str(w.message) for w in caught)


def test_a_resource_policy_is_said_to_be_not_enforced(cloud, apigw):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}]})
    api = apigw.create_rest_api(name=fx.unique("rest"), policy=policy)["id"]
    mock_method(apigw, api, "/open", "{}")
    apigw.create_deployment(restApiId=api, stageName="dev")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert httpx.get(f"{invoke_url(cloud, api, 'dev')}/open").status_code == 200
    assert any(issubclass(w.category, NotEnforcedLocally) and "resource policies" in str(w.message) for w in caught)


def test_access_log_writes_a_line_per_request_with_the_response_request_ids(cloud, apigw):
    logs = fx.aws_client(cloud, "logs")
    group = fx.unique("/apigateway/rest-access")
    logs.create_log_group(logGroupName=group)
    api = apigw.create_rest_api(name=fx.unique("rest"))["id"]
    mock_method(apigw, api, "/health", '{"status": "ok"}')
    apigw.create_deployment(restApiId=api, stageName="dev")
    group_arn = f"arn:aws:logs:{cloud.config.region}:{cloud.config.account_id}:log-group:{group}"
    apigw.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group_arn},
        {"op": "replace", "path": "/accessLogSettings/format",
         "value": "$context.requestId $context.extendedRequestId $context.httpMethod $context.resourcePath "
                  "$context.path $context.status $context.routeKey"}])
    response = httpx.get(f"{invoke_url(cloud, api, 'dev')}/health")
    events = wait_for(lambda: logs.filter_log_events(logGroupName=group)["events"], what="an access log line")
    request_ids = f"{response.headers['x-amzn-requestid']} {response.headers['x-amz-apigw-id']}"
    assert [event["message"] for event in events] == [f"{request_ids} GET /health /dev/health 200 -"]
