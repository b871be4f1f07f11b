"""Module 07's checks: GET /recommendations/{book_id} as a Lambda proxy route (moto in process for API Gateway and
Lambda; a loopback server stands in for the API's endpoint, answering as the route would), and that route's
throttling on stage v1."""
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from workshop.checks import ExerciseIncomplete, unanswered
from workshop.checks import api_gateway
from workshop.checks.api_gateway import ROUTE_KEY, check_recommendations_route, check_recommendations_throttle

REGION = "us-east-1"
RECOMMENDATIONS = {"book_id": 3, "recommendations": [{"id": 1, "title": "Pride and Prejudice"}]}


class Endpoint:
    """An HTTP server on loopback that answers every GET with `status` and `body`."""

    def __init__(self):
        self.status, self.body = 200, RECOMMENDATIONS
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                data = json.dumps(endpoint.body).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint():
    served = Endpoint()
    yield served
    served.server.shutdown()


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(api_gateway, "PROPAGATION_S", 0)
    with mock_aws():
        iam, v2, lambda_client = (boto3.client(n, region_name=REGION) for n in ("iam", "apigatewayv2", "lambda"))
        role = iam.create_role(RoleName="lambda", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return event\n")
        function_arn = lambda_client.create_function(
            FunctionName="recommendations", Runtime="python3.13", Handler="app.handler", Role=role["Role"]["Arn"],
            Code={"ZipFile": package.getvalue()})["FunctionArn"]
        api_id = v2.create_api(Name="api", ProtocolType="HTTP")["ApiId"]
        yield v2, lambda_client, api_id, function_arn


def route(v2, api_id, function_arn, route_key="GET /recommendations/{book_id}", kind="AWS_PROXY", version="2.0"):
    integration = v2.create_integration(ApiId=api_id, IntegrationType=kind, IntegrationUri=function_arn,
                                        PayloadFormatVersion=version)["IntegrationId"]
    return v2.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration}")["RouteId"]


def allow(lambda_client, api_id, principal="apigateway.amazonaws.com"):
    lambda_client.add_permission(FunctionName="recommendations", StatementId="api", Action="lambda:InvokeFunction",
                                 Principal=principal,
                                 SourceArn=f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/*/*")


def check(aws, endpoint, route_id):
    v2, lambda_client, api_id, function_arn = aws
    check_recommendations_route(v2, lambda_client, api_id, endpoint.url, function_arn, route_id)


def test_a_lambda_proxy_route_with_its_permission_passes(aws, endpoint, capsys):
    v2, lambda_client, api_id, function_arn = aws
    route_id = route(v2, api_id, function_arn)
    allow(lambda_client, api_id)
    check(aws, endpoint, route_id)
    assert "GET /recommendations/3: 200, Pride and Prejudice" in capsys.readouterr().out


def test_the_placeholder_says_to_replace_it(aws, endpoint):
    with pytest.raises(ExerciseIncomplete) as incomplete:
        check(aws, endpoint, ...)
    assert str(incomplete.value) == unanswered("recommendations_route")


def test_something_other_than_a_route_id_says_what_to_assign(aws, endpoint):
    with pytest.raises(ExerciseIncomplete, match="must be the RouteId that create_route returned"):
        check(aws, endpoint, "not-a-route")


def test_a_path_parameter_with_another_name_says_the_function_reads_book_id(aws, endpoint):
    v2, _, api_id, function_arn = aws
    with pytest.raises(ExerciseIncomplete, match="reads the path parameter book_id"):
        check(aws, endpoint, route(v2, api_id, function_arn, route_key="GET /recommendations/{id}"))


def test_an_http_proxy_integration_is_not_a_lambda_proxy(aws, endpoint):
    v2, _, api_id, _ = aws
    with pytest.raises(ExerciseIncomplete, match="the integration is HTTP_PROXY; a Lambda proxy integration is AWS_PROXY"):
        check(aws, endpoint, route(v2, api_id, "http://example.com/recommendations/{book_id}", kind="HTTP_PROXY",
                                   version="1.0"))


def test_payload_format_1_0_says_the_function_reads_2_0(aws, endpoint):
    v2, _, api_id, function_arn = aws
    with pytest.raises(ExerciseIncomplete, match="PayloadFormatVersion is '1.0'; the function reads 2.0 events"):
        check(aws, endpoint, route(v2, api_id, function_arn, version="1.0"))


def test_a_missing_permission_says_to_add_it(aws, endpoint):
    v2, _, api_id, function_arn = aws
    with pytest.raises(ExerciseIncomplete, match="does not let API Gateway invoke it: lambda_client.add_permission"):
        check(aws, endpoint, route(v2, api_id, function_arn))


def test_a_permission_for_another_principal_is_not_enough(aws, endpoint):
    v2, lambda_client, api_id, function_arn = aws
    allow(lambda_client, api_id, principal="sns.amazonaws.com")
    with pytest.raises(ExerciseIncomplete, match="does not let API Gateway invoke it"):
        check(aws, endpoint, route(v2, api_id, function_arn))


def test_a_route_the_api_does_not_serve_says_404(aws, endpoint):
    v2, lambda_client, api_id, function_arn = aws
    allow(lambda_client, api_id)
    endpoint.status, endpoint.body = 404, {"message": "Not Found"}
    with pytest.raises(ExerciseIncomplete, match="answered 404: is the route on this API, and its stage"):
        check(aws, endpoint, route(v2, api_id, function_arn))


def test_an_empty_answer_says_there_were_no_recommendations(aws, endpoint):
    v2, lambda_client, api_id, function_arn = aws
    allow(lambda_client, api_id)
    endpoint.body = {"book_id": 3, "recommendations": []}
    with pytest.raises(ExerciseIncomplete, match="answered 200 but with no recommendations"):
        check(aws, endpoint, route(v2, api_id, function_arn))


# --- 07.2: the recommendations route's throttling on v1 (moto in process has no update_stage: a fake stage) ----------

class Stages:
    """get_stage as API Gateway answers it, for one stage holding `route_settings`."""

    def __init__(self, route_settings=None, default=None):
        self.stage = {"StageName": "v1", "RouteSettings": route_settings or {}, "DefaultRouteSettings": default or {}}

    def get_stage(self, ApiId, StageName):
        assert StageName == "v1"
        return self.stage


def throttle(rate, burst):
    return {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}


def test_a_throttle_within_the_budget_passes(capsys):
    settings = throttle(5, 5)
    check_recommendations_throttle(Stages({ROUTE_KEY: settings}), "api", settings)
    assert "v1 GET /recommendations/{book_id}: 5 at once, then 5/s" in capsys.readouterr().out


def test_the_throttle_placeholder_says_to_replace_it():
    with pytest.raises(ExerciseIncomplete) as incomplete:
        check_recommendations_throttle(Stages(), "api", ...)
    assert str(incomplete.value) == unanswered("recommendations_throttle")


def test_something_other_than_the_settings_says_what_to_assign():
    with pytest.raises(ExerciseIncomplete, match="must be the route's settings you chose: a dict"):
        check_recommendations_throttle(Stages(), "api", 5)


def test_a_stage_wide_throttle_is_not_the_route_s():
    with pytest.raises(ExerciseIncomplete, match="has no throttling for 'GET /recommendations/{book_id}'.*"
                                                 "DefaultRouteSettings would throttle every route"):
        check_recommendations_throttle(Stages(default=throttle(5, 5)), "api", throttle(5, 5))


def test_settings_the_stage_does_not_hold_say_to_update_it():
    with pytest.raises(ExerciseIncomplete, match="holds rate 50, burst 100 for the route, not what"):
        check_recommendations_throttle(Stages({ROUTE_KEY: throttle(50, 100)}), "api", throttle(5, 5))


@pytest.mark.parametrize("rate, burst, message", [
    (50, 100, "a rate of 50 requests/s is over the budget of 5"),
    (0, 5, "a rate of 0 refills no tokens"),
    (5, 2, "a burst of 2 refuses part of a book page"),
    (5, 50, "a burst of 50 lets 50 requests through at once"),
])
def test_each_setting_outside_the_budget_is_named(rate, burst, message):
    settings = throttle(rate, burst)
    with pytest.raises(ExerciseIncomplete, match=message):
        check_recommendations_throttle(Stages({ROUTE_KEY: settings}), "api", settings)
