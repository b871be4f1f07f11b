"""API Gateway plane logic without a Docker engine: route precedence, stages, throttling, events, outputs, MOCKs.

The handlers run over hand-made APIs shaped as moto keeps them, with a fake Lambda caller and a fake clock.
"""
import asyncio
import base64
import json
import threading
from types import SimpleNamespace

import pytest

from localcloud.apigateway import deployments, events, lambda_output, mock
from localcloud.apigateway.http_api import HttpApiHandler, _throttle_limits, select_route, select_stage
from localcloud.apigateway.incoming import IncomingRequest
from localcloud.apigateway.integrations import (IntegrationFailed, IntegrationTimedOut, LambdaCaller,
                                                with_stage_variables)
from localcloud.apigateway.rest_api import RestApiHandler, select_method
from localcloud.apigateway.routes import match_path
from localcloud.apigateway.throttling import StageLimits
from localcloud.awslambda.invocation import Invocation, Throttled
from tests.localcloud.fakes import FakeClock

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"
LAMBDA_URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"


# --- route and resource matching -----------------------------------------------------------------------------------

def test_specificity_is_decided_segment_by_segment_from_the_left():
    table = [{"routeKey": key} for key in ("GET /{kind}/items/{id}", "GET /shop/{section}/{id}")]
    # /shop/… is literal where the other is a variable, so it wins though it has fewer literals overall
    assert select_route(table, "GET", "/shop/items/7")[0]["routeKey"] == "GET /shop/{section}/{id}"


def test_a_variable_beats_a_greedy_path_of_the_same_length():
    table = [{"routeKey": "ANY /pets/{proxy+}"}, {"routeKey": "ANY /pets/{id}"}]
    assert select_route(table, "GET", "/pets/7") == (table[1], {"id": "7"})
    assert select_route(table, "GET", "/pets/7/toys") == (table[0], {"proxy": "7/toys"})


def test_a_greedy_variable_needs_at_least_one_segment():
    assert match_path("/{proxy+}", "/") is None
    assert match_path("/pets/{proxy+}", "/pets") is None
    assert match_path("/pets/{proxy+}", "/pets/a/b%20c").parameters == {"proxy": "a/b c"}


def test_empty_segments_and_encoded_literals_still_match():
    assert match_path("/orders", "/orders/") is not None and match_path("/orders", "//orders") is not None
    assert match_path("/hello world", "/hello%20world") is not None
    assert match_path("/orders/{id}", "/orders") is None and match_path("/orders", "/orders/7") is None


def test_the_method_is_matched_whatever_its_case():
    table = [{"routeKey": "post /orders"}, {"routeKey": "$default"}]
    assert select_route(table, "POST", "/orders")[0] is table[0]
    assert select_route(table, "post", "/orders")[0] is table[0]
    assert select_route(table, "GET", "/orders")[0] is table[1]  # the $default route catches the rest


def resource(path: str, *methods: str) -> dict:
    return {"id": path.strip("/") or "root", "path": path,
            "resourceMethods": {method: {"httpMethod": method} for method in methods}}


def test_a_rest_proxy_resource_does_not_answer_for_the_root():
    resources = [resource("/", "GET"), resource("/{proxy+}", "ANY")]
    assert select_method(resources, "GET", "/")[0]["path"] == "/"
    assert select_method(resources, "DELETE", "/a/b")[2] == {"proxy": "a/b"}
    assert select_method(resources, "POST", "/") is None  # REST APIs have no $default: 403 on AWS


def test_a_named_stage_is_stripped_from_the_path_and_the_default_stage_takes_the_rest():
    prod, default = SimpleNamespace(name="prod"), SimpleNamespace(name="$default")
    api = SimpleNamespace(stages={"prod": prod, "$default": default})
    assert select_stage(api, "/prod/orders/7") == (prod, "/orders/7")
    assert select_stage(api, "/prod") == (prod, "/")
    assert select_stage(api, "/orders/7") == (default, "/orders/7")
    assert select_stage(SimpleNamespace(stages={"prod": prod}), "/orders") == (None, "/orders")


# --- throttling ----------------------------------------------------------------------------------------------------

def test_stage_buckets_are_per_stage_and_rebuilt_when_the_limits_change():
    clock = FakeClock()
    limits = StageLimits(clock)
    assert [limits.allow("api", "prod", 1, 2) for _ in range(3)] == [True, True, False]
    assert limits.allow("api", "dev", 1, 2)  # another stage has its own bucket
    assert limits.allow("api", "prod", 1, 3)  # new limits: a full bucket
    assert all(limits.allow("api", "prod", None, None) for _ in range(100))  # no limits set: never throttled


def test_a_route_s_own_throttling_overrides_the_stage_default():
    stage = SimpleNamespace(default_route_settings={"throttlingRateLimit": 100, "throttlingBurstLimit": 50},
                            route_settings={"GET /orders": {"throttlingBurstLimit": 1}})
    assert _throttle_limits(stage, "GET /orders") == (100, 1)
    assert _throttle_limits(stage, "POST /orders") == (100, 50)


# --- HTTP APIs end to end, over a fake Lambda --------------------------------------------------------------------

def model(id: str, **fields) -> SimpleNamespace:
    """A moto model object: the snapshot reads its id and its to_json()."""
    return SimpleNamespace(id=id, to_json=lambda: dict(fields))


class FakeLambdas:
    """The Lambda caller: records each event and answers with `payload` (or a function error)."""

    def __init__(self, payload: bytes = b'{"statusCode": 200, "body": "ok"}', function_error: str | None = None):
        self.payload, self.function_error, self.events = payload, function_error, []

    async def invoke(self, function: str, payload: bytes, timeout_s: float) -> Invocation:
        self.events.append((function, json.loads(payload)))
        return Invocation(200, self.payload, self.function_error, "", "$LATEST")


def http_api(route_key: str = "GET /hello/{name}", **stage_settings):
    stage = SimpleNamespace(name="$default", auto_deploy=True, config={}, stage_variables={}, route_settings={},
                            default_route_settings={})
    vars(stage).update(stage_settings)
    return SimpleNamespace(
        api_id="a1b2c3", disable_execute_api_endpoint=False, cors_configuration=None, stages={"$default": stage},
        routes={"r1": model("r1", routeKey=route_key, target="integrations/i1", authorizationType="NONE")},
        integrations={"i1": model("i1", integrationType="AWS_PROXY", integrationUri=LAMBDA_URI,
                                  payloadFormatVersion="2.0", timeoutInMillis=30000)})


def request(method: str = "GET", path: str = "/hello/ada", **overrides) -> IncomingRequest:
    settings = dict(method=method, path=path, query="", headers=[("Host", "a1b2c3.execute-api.localhost:4566"),
                                                                  ("User-Agent", "curl/8")],
                    body=b"", source_ip="172.17.0.1", host="a1b2c3.execute-api.localhost:4566",
                    request_id="req-1", received_at=1583348638.39)
    return IncomingRequest(**{**settings, **overrides})


def serve(handler, api, *requests):
    """Each request through the handler in turn, in one event loop (as the plane's loop thread runs them)."""
    async def all_of_them():
        return [await handler.handle(api, each) for each in requests]
    return asyncio.run(all_of_them())


def handler(kind, lambdas=None, clock=None):
    """An HttpApiHandler or RestApiHandler with no HTTP backends, quiet notices and access logs dropped."""
    quiet = SimpleNamespace(notice=lambda *args: None)
    return kind(ACCOUNT, lambdas or FakeLambdas(), None, StageLimits(clock or FakeClock()), quiet,
                SimpleNamespace(submit=lambda record: None))


def http_handler(lambdas, clock=None):
    return handler(HttpApiHandler, lambdas, clock)


def test_an_http_api_route_gives_its_function_a_2_0_event():
    lambdas = FakeLambdas()
    serve(http_handler(lambdas), http_api(), request())
    [(function, event)] = lambdas.events
    assert function == FUNCTION_ARN  # unwrapped from the apigateway invocation URI
    assert (event["version"], event["routeKey"], event["rawPath"], event["rawQueryString"]) == (
        "2.0", "GET /hello/{name}", "/hello/ada", "")
    assert event["pathParameters"] == {"name": "ada"} and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert (context["http"]["method"], context["stage"], context["apiId"]) == ("GET", "$default", "a1b2c3")


def test_a_bare_string_from_the_function_is_a_200_json_body():
    [response] = serve(http_handler(FakeLambdas(payload=b'"hello"')), http_api(), request())
    assert response.status == 200 and response.body == b'"hello"'  # the JSON text itself, quotes included
    assert ("Content-Type", "application/json") in response.headers


@pytest.mark.parametrize("lambdas", [
    FakeLambdas(payload=b'{"errorType": "KeyError"}', function_error="Unhandled"),
    FakeLambdas(payload=b'{"statusCode": 999}'),
], ids=["handler raised", "status out of range"])
def test_a_failed_or_malformed_function_answers_500(lambdas):
    [response] = serve(http_handler(lambdas), http_api(), request())
    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})


def test_requests_past_the_burst_get_429_until_the_bucket_refills():
    clock, lambdas = FakeClock(), FakeLambdas()
    api = http_api(default_route_settings={"throttlingRateLimit": 1, "throttlingBurstLimit": 2})
    handler = http_handler(lambdas, clock)
    responses = serve(handler, api, request(), request(), request())
    assert [response.status for response in responses] == [200, 200, 429]
    assert json.loads(responses[2].body) == {"message": "Too Many Requests"}
    assert len(lambdas.events) == 2  # a throttled request never reaches the function
    clock.advance(1)  # one second at one request per second: one token
    assert [response.status for response in serve(handler, api, request(), request())] == [200, 429]


def test_an_unmatched_path_without_a_default_route_is_404_and_invokes_nothing():
    lambdas = FakeLambdas()
    [response] = serve(http_handler(lambdas), http_api(), request(path="/goodbye/ada"))
    assert (response.status, json.loads(response.body)) == (404, {"message": "Not Found"})
    assert lambdas.events == []


# --- REST APIs end to end: MOCK integrations --------------------------------------------------------------------

def rest_api(integration: dict, method_settings: dict | None = None):
    resources = [{"id": "root", "path": "/", "resourceMethods": {
        "GET": {"httpMethod": "GET", "authorizationType": "NONE", "methodIntegration": integration}}}]
    deployment = SimpleNamespace(localcloud_snapshot={"resources": resources, "binaryMediaTypes": []})
    stage = SimpleNamespace(name="test", deployment_id="d1", variables={}, method_settings=method_settings or {},
                            cache_cluster_enabled=False)
    return SimpleNamespace(id="r1", disableExecuteApiEndpoint=False, policy=None, stages={"test": stage},
                           deployments={"d1": deployment})


MOCK = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 404}'},
        "integrationResponses": {
            "200": {"statusCode": "200", "responseTemplates": {"application/json": '{"ok": true}'}},
            "404": {"statusCode": "404", "selectionPattern": "404",
                    "responseTemplates": {"application/json": '{"error": "no such thing"}'},
                    "responseParameters": {"method.response.header.X-Mock": "'yes'",
                                           "method.response.header.X-From": "integration.response.body.x"}}}}


def test_a_mock_answers_with_the_integration_response_its_request_template_selects():
    [response] = serve(handler(RestApiHandler), rest_api(MOCK), request(path="/test/"))
    assert response.status == 404 and json.loads(response.body) == {"error": "no such thing"}
    assert ("X-Mock", "yes") in response.headers  # static values only: X-From needs a backend body
    assert not any(key == "X-From" for key, _ in response.headers)


def test_a_rest_stage_throttles_past_its_burst_and_an_unknown_path_is_403():
    settings = {"*/*": {"throttlingRateLimit": 1, "throttlingBurstLimit": 1}}  # the stage-wide method settings
    responses = serve(handler(RestApiHandler), rest_api(MOCK, settings),
                      request(path="/test/"), request(path="/test/"), request(path="/test/nowhere"))
    # the MOCK's own 404, then throttled; an unknown path is refused before throttling would count it
    assert [response.status for response in responses] == [404, 429, 403]
    assert json.loads(responses[2].body) == {"message": "Missing Authentication Token"}


def test_mock_template_choice_and_unusable_templates():
    templates = {"application/json": "json", "application/xml": "xml"}
    assert mock.pick_template(templates, "application/xml; charset=utf-8") == "xml"
    assert mock.pick_template(templates, "text/plain") == "json"  # API Gateway falls back to application/json
    assert mock.status_from_request_template(None, b'{"statusCode": 201}') == 201  # passed through: the body says
    assert mock.status_from_request_template("", b"") == 200
    assert mock.status_from_request_template("not json", b"") is None
    assert mock.pick_integration_response({"500": {"statusCode": "500", "selectionPattern": "5\\d\\d"}}, 200) is None


# --- events and function outputs -----------------------------------------------------------------------------------

def context(**overrides) -> events.EventContext:
    settings = dict(account_id=ACCOUNT, api_id="a1b2c3", stage="$default", route_key="GET /hello/{name}",
                    resource_path="/hello/{name}", path_parameters={"name": "ada"}, stage_variables={})
    return events.EventContext(**{**settings, **overrides})


def test_the_2_0_request_context_has_the_fields_aws_documents():
    event = events.format_v2(request(), context())
    assert event["requestContext"] == {
        "accountId": ACCOUNT, "apiId": "a1b2c3", "domainName": "a1b2c3.execute-api.localhost:4566",
        "domainPrefix": "a1b2c3",
        "http": {"method": "GET", "path": "/hello/ada", "protocol": "HTTP/1.1", "sourceIp": "172.17.0.1",
                 "userAgent": "curl/8"},
        "requestId": "req-1", "routeKey": "GET /hello/{name}", "stage": "$default",
        "time": "04/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390}
    assert event["headers"] == {"host": "a1b2c3.execute-api.localhost:4566", "user-agent": "curl/8"}
    assert "cookies" not in event and "stageVariables" not in event  # absent, not empty, when there are none


def test_an_http_api_asking_for_1_0_gets_its_version_and_route_key_too():
    event = events.format_v1(request(), context(), "/hello/ada", version="1.0")
    assert (event["version"], event["routeKey"], event["resource"]) == ("1.0", "GET /hello/{name}", "/hello/{name}")
    assert event["requestContext"]["requestTimeEpoch"] == 1583348638390


def test_a_json_suffixed_body_is_text_but_invalid_utf8_text_is_base64():
    json_ld = request(headers=[("Content-Type", "application/problem+json")], body=b'{"a": 1}')
    assert events.format_v2(json_ld, context())["body"] == '{"a": 1}'
    broken = request(headers=[("Content-Type", "text/plain")], body=b"\xff\xfe")
    event = events.format_v2(broken, context())
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"


@pytest.mark.parametrize("output", [
    {"statusCode": "abc"}, {"statusCode": 99}, {"statusCode": 600}, {"statusCode": 200, "body": {"a": 1}},
    {"statusCode": 200, "headers": ["X-A: 1"]}, {"statusCode": 200, "cookies": "a=1"},
    {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
])
def test_a_2_0_output_with_a_status_code_must_be_well_formed(output):
    with pytest.raises(lambda_output.MalformedOutput):
        lambda_output.from_format_v2(json.dumps(output).encode())


def test_a_2_0_output_that_is_not_json_is_malformed_but_any_json_value_is_a_body():
    with pytest.raises(lambda_output.MalformedOutput):
        lambda_output.from_format_v2(b"hello")
    assert lambda_output.from_format_v2(b"[1, 2]").body == b"[1, 2]"
    assert lambda_output.from_format_v2(b'{"statusCode": 204}').body == b""  # no body: an empty one


def test_a_rest_api_without_binary_media_types_returns_the_base64_text_as_is():
    payload = json.dumps({"statusCode": 200, "body": base64.b64encode(b"\x89PNG").decode(),
                          "isBase64Encoded": True}).encode()
    assert lambda_output.from_format_v1(payload, decode_base64=False).body == base64.b64encode(b"\x89PNG")
    assert lambda_output.from_format_v1(payload).body == b"\x89PNG"


# --- stages and deployments ----------------------------------------------------------------------------------------

def test_an_http_api_stage_serves_its_deployment_until_the_next_one_or_the_live_api_when_auto_deployed():
    api = http_api("GET /v1")
    deployment = deployments.HttpApiDeployment(api)
    deployments.http_api_deployments(api)[deployment.id] = deployment
    api.routes["r2"] = model("r2", routeKey="GET /v2", target="integrations/i1")  # changed after the deployment
    deployed = SimpleNamespace(auto_deploy=False, config={"deploymentId": deployment.id})
    auto = SimpleNamespace(auto_deploy=True, config={})
    assert [r["routeKey"] for r in deployments.served_http_api(api, deployed)["routes"]] == ["GET /v1"]
    assert [r["routeKey"] for r in deployments.served_http_api(api, auto)["routes"]] == ["GET /v1", "GET /v2"]
    assert deployments.served_http_api(api, SimpleNamespace(auto_deploy=False, config={})) is None


def test_a_rest_stage_serves_its_deployment_s_snapshot_or_nothing_without_one():
    live = SimpleNamespace(resources={"root": SimpleNamespace(to_dict=lambda: {"path": "/"})}, binaryMediaTypes=None,
                           deployments={"old": SimpleNamespace(), "new": SimpleNamespace(localcloud_snapshot="frozen")})
    assert deployments.served_rest_api(live, SimpleNamespace(deployment_id="new")) == "frozen"
    # a deployment made before snapshots were kept serves the live API
    assert deployments.served_rest_api(live, SimpleNamespace(deployment_id="old")) == {
        "resources": [{"path": "/"}], "binaryMediaTypes": []}
    assert deployments.served_rest_api(live, SimpleNamespace(deployment_id="gone")) is None


# --- integrations --------------------------------------------------------------------------------------------------

def test_stage_variables_fill_an_integration_uri_and_missing_ones_are_empty():
    uri = "arn:aws:lambda:us-east-1:1:function:${stageVariables.fn}:${stageVariables.alias}"
    assert with_stage_variables(uri, {"fn": "orders"}) == "arn:aws:lambda:us-east-1:1:function:orders:"


def test_the_lambda_caller_turns_lambda_refusals_and_slowness_into_integration_errors():
    released = threading.Event()

    def slow(function, payload):
        released.wait()
        return None

    def throttled(function, payload):
        raise Throttled("Rate Exceeded.")

    def no_plane(name):
        return None  # the cloud runs no such part

    async def outcome(part, timeout_s=30.0):
        released.clear()
        caller = LambdaCaller(SimpleNamespace(part=part), max_workers=1)
        try:
            # the outer bound only keeps a broken timeout from hanging the run; it is not what is tested
            await asyncio.wait_for(caller.invoke("hello", b"{}", timeout_s), 60)
        except (IntegrationFailed, IntegrationTimedOut) as error:
            return type(error)
        finally:
            released.set()
            caller.close()

    assert asyncio.run(outcome(no_plane)) is IntegrationFailed
    assert asyncio.run(outcome(lambda name: SimpleNamespace(invoke=throttled))) is IntegrationFailed
    # a zero timeout: the function is still running when the gateway gives up (504/503 on AWS)
    assert asyncio.run(outcome(lambda name: SimpleNamespace(invoke=slow), timeout_s=0)) is IntegrationTimedOut
