"""Module 07's helpers: where a REST API's stage answers, removing what a previous run of module 07 left, and
module 07's HTTP API built in one call for the modules after it (`ensure_api`).

An HTTP API's `ApiEndpoint` works as returned in both modes. A REST API has no URL in any API response: on AWS it is
`https://{id}.execute-api.{region}.amazonaws.com/{stage}`; the local cloud (also in a rehearsal of AWS mode) serves each API on a port of its own
that its status route reports (read over HTTP, like any client would: the workshop does not import the local cloud).
"""
import json
import os
import time
from dataclasses import dataclass

import httpx

from workshop.docker_client import WorkshopError

STATUS_PATH = "/_localcloud/status"
# Module 07's resources, each named session.name(<this>).
HTTP_API, REST_API, ECHO_FUNCTION = "api", "reviews", "echo"
API_GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
PROXIED_SERVICES = ("users", "catalog", "orders")
PROBE_PATH = "/catalog/books"  # what ensure_api asks through the API before saying it answers
RECOMMENDATIONS_ROUTE = "GET /recommendations/{book_id}"


@dataclass(frozen=True)
class Api:
    """Module 07's HTTP API `<prefix>-api`: the bookshop's front door.

    api_id     its ApiId
    endpoint   its ApiEndpoint, the `$default` stage (auto-deploy): `/users`, `/catalog`, `/orders` (and everything
               under them) go to the load balancer, `GET /recommendations/{book_id}` to the recommendations function
    """
    api_id: str
    endpoint: str


class ApiNotServed(WorkshopError):
    """The REST API's stage has no invoke URL yet; the message says what to do."""


def rest_api_url(session, api_id: str, stage: str) -> str:
    """The invoke URL of a REST API stage, without a trailing slash: append the resource path to it."""
    if session.mode == "aws" and not session.rehearsal:  # a rehearsal's APIs are served by its local cloud
        return f"https://{api_id}.execute-api.{session.region}.amazonaws.com/{stage}"
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint:
        raise ApiNotServed("AWS_ENDPOINT_URL is not set: run the notebook's setup cell (connect(MODE, PREFIX)) first")
    status = httpx.get(endpoint + STATUS_PATH, timeout=5).json()
    stages = status["parts"].get("apigateway", {}).get("rest_apis", {}).get(api_id)
    if stages is None:
        raise ApiNotServed(f"no REST API {api_id} is served: create it (or import it) first, then ask again")
    if not stages.get(stage):
        raise ApiNotServed(f"REST API {api_id} has no stage {stage!r} (it has {', '.join(stages) or 'none'}): "
                           f"create_deployment(restApiId=…, stageName={stage!r}) first")
    return stages[stage].rstrip("/")


def remove_module_apis(session) -> list[str]:
    """Delete what module 07 creates (its HTTP API, the REST mock, the echo function, API Gateway's permissions on
    the recommendations function); returns what was deleted. The functions of module 06 stay."""
    apigatewayv2, apigateway = session.client("apigatewayv2"), session.client("apigateway")
    lambda_client = session.client("lambda")
    removed = []
    for api in apigatewayv2.get_apis()["Items"]:
        if api["Name"] == session.name(HTTP_API):
            apigatewayv2.delete_api(ApiId=api["ApiId"])
            removed.append(f"HTTP API {api['Name']} ({api['ApiId']})")
    for rest_api in apigateway.get_rest_apis()["items"]:
        if rest_api["name"] == session.name(REST_API):
            apigateway.delete_rest_api(restApiId=rest_api["id"])
            removed.append(f"REST API {rest_api['name']} ({rest_api['id']})")
    try:
        lambda_client.delete_function(FunctionName=session.name(ECHO_FUNCTION))
        removed.append(f"function {session.name(ECHO_FUNCTION)}")
    except lambda_client.exceptions.ResourceNotFoundException:
        pass
    recommendations = session.name("recommendations")
    for statement in api_gateway_statements(lambda_client, recommendations):
        lambda_client.remove_permission(FunctionName=recommendations, StatementId=statement)
        removed.append(f"permission {statement} on {recommendations}")
    return removed


def api_gateway_statements(lambda_client, function_name: str) -> list[str]:
    """The ids of the statements in a function's resource policy that let API Gateway invoke it."""
    try:
        policy = json.loads(lambda_client.get_policy(FunctionName=function_name)["Policy"])
    except lambda_client.exceptions.ResourceNotFoundException:
        return []  # no function, or a function with no policy
    return [statement["Sid"] for statement in policy.get("Statement", [])
            if (statement.get("Principal") or {}).get("Service") == API_GATEWAY_PRINCIPAL]


def ensure_api(session, stack, functions) -> Api:
    """What modules after 07 use of its API: module 07's calls, each made only if its result is missing, so a
    second call (or one after module 07 ran) changes nothing. Stage v1 and module 07's experiments are not rebuilt."""
    apigatewayv2 = session.client("apigatewayv2")
    name = session.name(HTTP_API)
    api = next((item for item in apigatewayv2.get_apis()["Items"] if item["Name"] == name), None)
    if api is None:
        api = apigatewayv2.create_api(Name=name, ProtocolType="HTTP", Tags=session.tag_map,
                                      Description="the bookshop's front door")
    api_id = api["ApiId"]
    routes = {route["RouteKey"] for route in apigatewayv2.get_routes(ApiId=api_id)["Items"]}
    for service in PROXIED_SERVICES:
        for route_path, target_path in ((f"/{service}", f"/{service}"),
                                        (f"/{service}/{{proxy+}}", f"/{service}/{{proxy}}")):
            if f"ANY {route_path}" not in routes:
                add_route(apigatewayv2, api_id, f"ANY {route_path}", IntegrationType="HTTP_PROXY",
                          IntegrationMethod="ANY", IntegrationUri=stack.base_url + target_path,
                          PayloadFormatVersion="1.0")
    if RECOMMENDATIONS_ROUTE not in routes:
        allow_api_to_invoke(session, api_id, functions.recommendations_name)
        add_route(apigatewayv2, api_id, RECOMMENDATIONS_ROUTE, IntegrationType="AWS_PROXY",
                  IntegrationUri=functions.recommendations_arn, PayloadFormatVersion="2.0")
    if "$default" not in {stage["StageName"] for stage in apigatewayv2.get_stages(ApiId=api_id)["Items"]}:
        apigatewayv2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, Tags=session.tag_map)
    wait_until_answering(api["ApiEndpoint"] + PROBE_PATH)
    return Api(api_id=api_id, endpoint=api["ApiEndpoint"])


def wait_until_answering(url: str, deadline_seconds: float = 30.0) -> None:
    """GET `url` until it answers 200 (on AWS a new stage takes a moment to deploy); ApiNotServed if it never does."""
    started, answer = time.monotonic(), None
    while time.monotonic() - started < deadline_seconds:
        try:
            answer = httpx.get(url, timeout=5)
            if answer.status_code == 200:
                return
        except httpx.HTTPError as error:
            answer = error
        time.sleep(1)
    said = f"answers {answer.status_code}" if isinstance(answer, httpx.Response) else f"fails: {answer}"
    raise ApiNotServed(f"{url} {said} after {deadline_seconds:g} s: check the API's routes and the services behind "
                       "them (get_routes, describe_target_health), then run the cell again")


def add_route(apigatewayv2, api_id: str, route_key: str, **integration) -> str:
    """An integration and the route to it; the route's id."""
    integration_id = apigatewayv2.create_integration(ApiId=api_id, **integration)["IntegrationId"]
    return apigatewayv2.create_route(ApiId=api_id, RouteKey=route_key,
                                     Target=f"integrations/{integration_id}")["RouteId"]


def invoke_statement(api_id: str) -> str:
    """The id of the statement in a function's resource policy that lets this API invoke it."""
    return f"apigateway-{api_id}"


def allow_api_to_invoke(session, api_id: str, function_name: str) -> None:
    """The function's resource policy lets this API (any stage, method and route) invoke it."""
    lambda_client = session.client("lambda")
    statement = invoke_statement(api_id)
    if statement in api_gateway_statements(lambda_client, function_name):
        return
    lambda_client.add_permission(FunctionName=function_name, StatementId=statement, Action="lambda:InvokeFunction",
                                 Principal=API_GATEWAY_PRINCIPAL,
                                 SourceArn=f"arn:aws:execute-api:{session.region}:{session.account}:{api_id}/*/*")


def forbid_api_to_invoke(session, api_id: str, function_name: str) -> bool:
    """Take back `allow_api_to_invoke`; whether the function's policy had that statement."""
    lambda_client = session.client("lambda")
    try:
        lambda_client.remove_permission(FunctionName=function_name, StatementId=invoke_statement(api_id))
    except lambda_client.exceptions.ResourceNotFoundException:
        return False
    return True


def remove_route(session, api_id: str, route_key: str) -> bool:
    """Delete a route and its integration, if the API has that route; whether it had."""
    apigatewayv2 = session.client("apigatewayv2")
    route = next((item for item in apigatewayv2.get_routes(ApiId=api_id)["Items"] if item["RouteKey"] == route_key),
                 None)
    if route is None:
        return False
    apigatewayv2.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    if route.get("Target", "").startswith("integrations/"):
        apigatewayv2.delete_integration(ApiId=api_id, IntegrationId=route["Target"].split("/", 1)[1])
    return True
