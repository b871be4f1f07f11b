"""API Gateway plane logic without a cloud: route choice, proxy events, Lambda output, MOCK selection, throttling."""
import base64
import json

import pytest

from localcloud.apigateway import events, lambda_output, mock
from localcloud.apigateway.http_api import select_route
from localcloud.apigateway.incoming import IncomingRequest
from localcloud.apigateway.integrations import fill_path_variables, lambda_function_of
from localcloud.apigateway.rest_api import matches_media_type
from localcloud.apigateway.throttling import TokenBucket

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"


def routes(*keys):
    return [{"routeKey": key, "target": f"integrations/{index}"} for index, key in enumerate(keys)]


def test_the_most_specific_route_wins():
    table = routes("ANY /{proxy+}", "GET /orders/{id}", "GET /orders/latest", "ANY /orders/{id}", "$default")
    assert select_route(table, "GET", "/orders/latest")[0]["routeKey"] == "GET /orders/latest"
    assert select_route(table, "GET", "/orders/7") == (table[1], {"id": "7"})
    assert select_route(table, "DELETE", "/orders/7")[0]["routeKey"] == "ANY /orders/{id}"
    assert select_route(table, "GET", "/a/b/c") == (table[0], {"proxy": "a/b/c"})
    assert select_route(table, "GET", "/")[0]["routeKey"] == "$default"


def test_no_route_and_no_default_route_is_none():
    assert select_route(routes("GET /orders"), "POST", "/orders") is None
    assert select_route(routes("GET /orders/{id}"), "GET", "/orders") is None


def test_path_parameters_are_decoded():
    assert select_route(routes("GET /files/{name}"), "GET", "/files/a%20b")[1] == {"name": "a b"}


def request(**overrides) -> IncomingRequest:
    settings = dict(method="POST", path="/prod/orders/7", query="tag=a&tag=b&x=1",
                    headers=[("Host", "127.0.0.1:9"), ("Content-Type", "application/json"), ("X-Multi", "1"),
                             ("X-Multi", "2"), ("Cookie", "a=1; b=2"), ("User-Agent", "test")],
                    body=b'{"n": 1}', source_ip="127.0.0.1", host="127.0.0.1:9")
    return IncomingRequest(**{**settings, **overrides})


def context(**overrides) -> events.EventContext:
    settings = dict(account_id="123456789012", api_id="abc", stage="prod", route_key="POST /orders/{id}",
                    resource_path="/orders/{id}", path_parameters={"id": "7"}, stage_variables={"v": "1"})
    return events.EventContext(**{**settings, **overrides})


def test_payload_2_0_event():
    event = events.format_v2(request(), context())
    assert event["version"] == "2.0" and event["routeKey"] == "POST /orders/{id}"
    assert event["rawPath"] == "/prod/orders/7" and event["rawQueryString"] == "tag=a&tag=b&x=1"
    assert event["queryStringParameters"] == {"tag": "a,b", "x": "1"}
    assert event["headers"]["x-multi"] == "1,2" and "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["pathParameters"] == {"id": "7"} and event["stageVariables"] == {"v": "1"}
    assert event["body"] == '{"n": 1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST" and event["requestContext"]["stage"] == "prod"


def test_payload_1_0_event():
    event = events.format_v1(request(), context(), "/orders/7")
    assert event["resource"] == "/orders/{id}" and event["path"] == "/orders/7" and event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"tag": "b", "x": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "x": ["1"]}
    assert event["headers"]["X-Multi"] == "2" and event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["requestContext"]["resourcePath"] == "/orders/{id}"
    assert event["requestContext"]["path"] == "/prod/orders/7"


def test_binary_bodies_are_base64_encoded():
    body = bytes(range(256))
    event = events.format_v2(request(headers=[("Content-Type", "image/png")], body=body), context())
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == body
    rest = events.format_v1(request(body=b"plain"), context(binary=True), "/")
    assert rest["isBase64Encoded"] is True and base64.b64decode(rest["body"]) == b"plain"


def test_empty_query_and_body_are_absent_or_null():
    event_v2 = events.format_v2(request(query="", body=b""), context(path_parameters={}, stage_variables={}))
    assert "queryStringParameters" not in event_v2 and "body" not in event_v2 and "pathParameters" not in event_v2
    event_v1 = events.format_v1(request(query="", body=b""), context(path_parameters={}), "/")
    assert event_v1["queryStringParameters"] is None and event_v1["body"] is None


def test_format_2_0_output_without_status_code_is_a_json_body():
    response = lambda_output.from_format_v2(b'{"hello": "world"}')
    assert response.status == 200 and response.body == b'{"hello": "world"}'
    assert ("Content-Type", "application/json") in response.headers


def test_format_2_0_output_with_cookies_headers_and_base64():
    payload = json.dumps({"statusCode": 201, "headers": {"X-A": "1"}, "cookies": ["s=1", "t=2"],
                          "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}).encode()
    response = lambda_output.from_format_v2(payload)
    assert response.status == 201 and response.body == b"\x00\x01"
    assert response.headers == [("X-A", "1"), ("Set-Cookie", "s=1"), ("Set-Cookie", "t=2")]


def test_format_1_0_output_needs_a_status_code():
    with pytest.raises(lambda_output.MalformedOutput):
        lambda_output.from_format_v1(b'{"hello": "world"}')
    with pytest.raises(lambda_output.MalformedOutput):
        lambda_output.from_format_v1(b"not json")


def test_format_1_0_multi_value_headers_win_over_single_ones():
    payload = json.dumps({"statusCode": 200, "headers": {"Set-Cookie": "x", "X-One": "1"},
                          "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "ok"}).encode()
    response = lambda_output.from_format_v1(payload)
    assert response.headers == [("X-One", "1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]


def test_lambda_function_of_an_integration_uri():
    wrapped = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"
    assert lambda_function_of(wrapped) == FUNCTION_ARN
    assert lambda_function_of(FUNCTION_ARN) == FUNCTION_ARN
    assert lambda_function_of("http://example.com") is None


def test_path_variables_fill_the_integration_uri():
    assert fill_path_variables("http://h/pets/{proxy}", {"proxy": "a/b c"}) == "http://h/pets/a/b%20c"
    assert fill_path_variables("http://h/{id}/x", {"id": "7"}) == "http://h/7/x"


def test_mock_picks_the_integration_response_by_status():
    responses = {"200": {"statusCode": "200", "responseTemplates": {"application/json": '{"ok": true}'}},
                 "404": {"statusCode": "404", "selectionPattern": "4\\d\\d"}}
    assert mock.status_from_request_template('{"statusCode": 404}', b"") == 404
    assert mock.pick_integration_response(responses, 404)["statusCode"] == "404"
    assert mock.pick_integration_response(responses, 200)["statusCode"] == "200"
    assert mock.static_header_values({"method.response.header.X-A": "'v'"}) == [("X-A", "v")]
    assert mock.has_vtl("$input.json('$')") and not mock.has_vtl('{"statusCode": 200}')


def test_binary_media_types_match_wildcards():
    assert matches_media_type(["image/*"], "image/png") and matches_media_type(["*~1*"], "application/x")
    assert not matches_media_type(["image/png"], "text/plain")


def test_token_bucket_allows_burst_then_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5
    assert bucket.take() and not bucket.take()
