"""API Gateway → Lambda for real: proxy events reach handlers in containers, their answers become HTTP responses."""
import base64

import httpx
import pytest

import localcloud
from localcloud.apigateway import ApiGatewayPlane
from localcloud.awslambda import LambdaPlane
from localcloud.config import Config
from tests.localcloud import apigateway_fixtures as fx
from tests.localcloud.lambda_fixtures import create_function, unique

pytestmark = pytest.mark.docker

# What the handler does is chosen by the last segment of the request path (payload 2.0 `rawPath`, 1.0 `path`).
HANDLER = '''
import base64, json, time

def handler(event, context):
    path = event.get("rawPath") or event.get("path") or "/"
    action = path.rstrip("/").rsplit("/", 1)[-1]
    if action == "raise":
        raise RuntimeError("broken on purpose")
    if action == "sleep":
        time.sleep(1.5)
    if action == "plain":
        return {"hello": "world"}
    if action == "cookies":
        return {"statusCode": 201, "headers": {"X-Made": "yes"}, "cookies": ["a=1; Path=/", "b=2"], "body": "made"}
    if action == "multi":
        return {"statusCode": 200, "multiValueHeaders": {"X-Multi": ["1", "2"]}, "body": "multi"}
    if action == "binary":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
'''


@pytest.fixture(scope="module")
def cloud():
    with localcloud.running(Config(port=0, instance=f"t-apigw-lambda-{fx.unique('c')}"),
                            data_planes=[LambdaPlane(), ApiGatewayPlane()]) as running_cloud:
        try:
            yield running_cloud
        finally:
            running_cloud.reset()  # functions must not outlive this cloud in moto's process-wide state


@pytest.fixture(scope="module")
def function_arn(cloud):
    return create_function(cloud, unique("api-handler"), code=HANDLER, Timeout=5)["FunctionArn"]


@pytest.fixture(scope="module")
def v2(cloud):
    return fx.aws_client(cloud, "apigatewayv2")


@pytest.fixture(scope="module")
def v1(cloud):
    return fx.aws_client(cloud, "apigateway")


@pytest.fixture(scope="module")
def http_api(v2, function_arn):
    """An HTTP API: GET /orders/{id} and ANY /{proxy+} in payload 2.0, /v1/{proxy+} in 1.0; a slow route."""
    return fx.http_api(v2, {"GET /orders/{id}": fx.lambda_proxy(function_arn),
                            "ANY /{proxy+}": fx.lambda_proxy(function_arn),
                            "ANY /v1/{proxy+}": fx.lambda_proxy(function_arn, version="1.0"),
                            "GET /timeout/sleep": fx.lambda_proxy(function_arn, timeout_ms=500)})


@pytest.fixture(scope="module")
def rest_url(cloud, v1, function_arn):
    """A REST API with a Lambda proxy on /{proxy+}, deployed to stage `prod`; its invoke URL."""
    api = v1.create_rest_api(name=fx.unique("rest"), binaryMediaTypes=["image/png"])["id"]
    uri = fx.lambda_uri(cloud.config.region, function_arn)
    fx.rest_method(v1, api, "/{proxy+}", "ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    fx.rest_method(v1, api, "/timeout/sleep", "GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri,
                   timeoutInMillis=500)
    v1.create_deployment(restApiId=api, stageName="prod")
    return cloud.part("apigateway").invoke_url(api, "prod")


def test_payload_2_0_event_reaches_the_function(http_api):
    event = httpx.get(f"{http_api['ApiEndpoint']}/orders/42?tag=a&tag=b",
                      headers={"Cookie": "s=1; t=2", "X-Custom": "c"}).json()
    assert event["version"] == "2.0" and event["routeKey"] == "GET /orders/{id}"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"tag": "a,b"} and event["rawQueryString"] == "tag=a&tag=b"
    assert event["cookies"] == ["s=1", "t=2"] and event["headers"]["x-custom"] == "c"
    assert event["requestContext"]["apiId"] == http_api["ApiId"] and event["requestContext"]["stage"] == "$default"


def test_a_method_without_its_own_route_takes_the_greedy_one(http_api):
    event = httpx.post(f"{http_api['ApiEndpoint']}/orders/42", content=b'{"n": 1}',
                       headers={"Content-Type": "application/json"}).json()
    assert event["routeKey"] == "ANY /{proxy+}" and event["pathParameters"] == {"proxy": "orders/42"}
    assert event["body"] == '{"n": 1}' and event["isBase64Encoded"] is False


def test_binary_request_body_is_base64_in_the_event(http_api):
    body = bytes(range(256))
    event = httpx.put(f"{http_api['ApiEndpoint']}/upload/echo", content=body,
                      headers={"Content-Type": "application/octet-stream"}).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == body


def test_status_headers_and_cookies_from_the_function(http_api):
    response = httpx.get(f"{http_api['ApiEndpoint']}/x/cookies")
    assert response.status_code == 201 and response.text == "made" and response.headers["x-made"] == "yes"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]


def test_binary_response_body_is_decoded(http_api):
    response = httpx.get(f"{http_api['ApiEndpoint']}/x/binary")
    assert response.content == bytes(range(256)) and response.headers["content-type"] == "image/png"


def test_output_without_status_code_is_a_200_json_body_in_format_2_0(http_api):
    response = httpx.get(f"{http_api['ApiEndpoint']}/x/plain")
    assert response.status_code == 200 and response.json() == {"hello": "world"}


def test_payload_1_0_on_an_http_api(http_api):
    event = httpx.get(f"{http_api['ApiEndpoint']}/v1/a/b?q=1&q=2").json()
    assert event["version"] == "1.0" and event["resource"] == "/v1/{proxy+}"
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    assert httpx.get(f"{http_api['ApiEndpoint']}/v1/multi").headers.get_list("x-multi") == ["1", "2"]
    malformed = httpx.get(f"{http_api['ApiEndpoint']}/v1/plain")
    assert malformed.status_code == 500 and malformed.content == b'{"message":"Internal Server Error"}'


def test_function_error_is_500_internal_server_error(http_api):
    response = httpx.get(f"{http_api['ApiEndpoint']}/x/raise")
    assert response.status_code == 500 and response.content == b'{"message":"Internal Server Error"}'


def test_integration_timeout_is_503_on_http_apis(http_api):
    response = httpx.get(f"{http_api['ApiEndpoint']}/timeout/sleep", timeout=10)
    assert response.status_code == 503 and response.content == b'{"message":"Service Unavailable"}'


def test_quick_create_with_a_lambda_target(v2, function_arn):
    api = v2.create_api(Name=fx.unique("quick"), ProtocolType="HTTP", Target=function_arn)
    event = httpx.get(f"{api['ApiEndpoint']}/any/path").json()
    assert event["routeKey"] == "$default" and event["rawPath"] == "/any/path"


def test_rest_api_lambda_proxy_event(rest_url):
    event = httpx.get(f"{rest_url}/shop/items?size=s&size=m", headers={"X-Custom": "c"}).json()
    assert "version" not in event and event["resource"] == "/{proxy+}" and event["path"] == "/shop/items"
    assert event["pathParameters"] == {"proxy": "shop/items"} and event["requestContext"]["stage"] == "prod"
    assert event["multiValueQueryStringParameters"] == {"size": ["s", "m"]}
    assert event["queryStringParameters"] == {"size": "m"} and event["headers"]["X-Custom"] == "c"


def test_rest_api_errors_are_worded_as_rest_apis_word_them(rest_url):
    failed = httpx.get(f"{rest_url}/x/raise")
    assert failed.status_code == 502 and failed.json() == {"message": "Internal server error"}
    malformed = httpx.get(f"{rest_url}/x/plain")
    assert malformed.status_code == 502 and malformed.json() == {"message": "Internal server error"}
    slow = httpx.get(f"{rest_url}/timeout/sleep", timeout=10)
    assert slow.status_code == 504 and slow.json() == {"message": "Endpoint request timed out"}


def test_rest_api_binary_media_types(rest_url):
    response = httpx.get(f"{rest_url}/x/binary", headers={"Accept": "image/png"})
    assert response.content == bytes(range(256))
