"""Module 07's helpers: a REST API's invoke URL in both modes (the local one from the status route, over HTTP), and
removing what a run of module 07 left (moto in process)."""
import io
import json
import os
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from workshop.api import ApiNotServed, remove_module_apis, rest_api_url, wait_until_answering
from workshop.session import Session

REGION = "us-east-1"
LOCAL = Session(mode="local", region=REGION, account="123456789012", prefix="shop")
STATUS = {"parts": {"apigateway": {"ready": True, "rest_apis": {
    "a1b2c3d4e5": {"v1": "http://127.0.0.1:40123/v1", "prod": "http://127.0.0.1:40123/prod"}}}}}


@pytest.fixture
def status_route(monkeypatch):
    """A loopback server answering GET /_localcloud/status as the local cloud does; AWS_ENDPOINT_URL points at it."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(STATUS if self.path == "/_localcloud/status" else {}).encode()
            self.send_response(200 if self.path == "/_localcloud/status" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}/")
    yield
    server.shutdown()
    thread.join()


def test_aws_mode_gives_the_execute_api_url():
    session = Session(mode="aws", region="eu-west-1", account="210987654321", prefix="shop")
    assert rest_api_url(session, "a1b2c3d4e5", "v1") == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1"


def test_local_mode_reads_the_stage_url_from_the_status_route(status_route):
    assert rest_api_url(LOCAL, "a1b2c3d4e5", "prod") == "http://127.0.0.1:40123/prod"


def test_an_unknown_api_says_to_create_it_first(status_route):
    with pytest.raises(ApiNotServed, match="no REST API zzzzzzzzzz is served: create it"):
        rest_api_url(LOCAL, "zzzzzzzzzz", "v1")


def test_a_stage_not_deployed_says_which_stages_exist(status_route):
    with pytest.raises(ApiNotServed, match=r"has no stage 'beta' \(it has v1, prod\): create_deployment"):
        rest_api_url(LOCAL, "a1b2c3d4e5", "beta")


def test_local_mode_without_an_endpoint_says_to_run_the_setup_cell(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(ApiNotServed, match="run the notebook's setup cell"):
        rest_api_url(LOCAL, "a1b2c3d4e5", "v1")


# --- remove_module_apis ------------------------------------------------------------------------------------------

@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def create_function(name: str) -> str:
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name, Runtime="python3.13", Handler="app.handler", Role=role,
        Code={"ZipFile": package.getvalue()})["FunctionArn"]


def test_removing_deletes_the_module_apis_echo_and_api_gateway_permissions_only(aws):
    v2, rest, lambda_client = (boto3.client(n, region_name=REGION) for n in ("apigatewayv2", "apigateway", "lambda"))
    mine = v2.create_api(Name="shop-api", ProtocolType="HTTP")["ApiId"]
    others = v2.create_api(Name="shop-other", ProtocolType="HTTP")["ApiId"]
    rest.create_rest_api(name="shop-reviews")
    create_function("shop-echo")
    create_function("shop-recommendations")
    lambda_client.add_permission(FunctionName="shop-recommendations", StatementId="apigateway-x",
                                 Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com")
    lambda_client.add_permission(FunctionName="shop-recommendations", StatementId="from-sns",
                                 Action="lambda:InvokeFunction", Principal="sns.amazonaws.com")

    removed = remove_module_apis(LOCAL)

    assert removed == [f"HTTP API shop-api ({mine})", removed[1], "function shop-echo",
                       "permission apigateway-x on shop-recommendations"]
    assert removed[1].startswith("REST API shop-reviews (")
    assert [api["ApiId"] for api in v2.get_apis()["Items"]] == [others]
    assert rest.get_rest_apis()["items"] == []
    assert [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]] == ["shop-recommendations"]
    policy = json.loads(lambda_client.get_policy(FunctionName="shop-recommendations")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["from-sns"]


def test_removing_twice_removes_nothing_the_second_time(aws):
    boto3.client("apigatewayv2", region_name=REGION).create_api(Name="shop-api", ProtocolType="HTTP")
    assert len(remove_module_apis(LOCAL)) == 1
    assert remove_module_apis(LOCAL) == []


def test_an_api_that_never_answers_200_is_refused_with_what_to_check(status_route, monkeypatch):
    monkeypatch.setattr("workshop.api.time.sleep", lambda seconds: None)
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    wait_until_answering(f"{endpoint}/_localcloud/status")  # answers 200: returns at once
    with pytest.raises(ApiNotServed, match=r"/catalog/books answers 404 after 0\.2 s: check the API's routes"):
        wait_until_answering(f"{endpoint}/catalog/books", deadline_seconds=0.2)
