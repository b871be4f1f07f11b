"""Module 07's helpers: where a REST API's stage answers, and removing what a previous run of module 07 left.

An HTTP API's `ApiEndpoint` works as returned in both modes. A REST API has no URL in any API response: on AWS it is
`https://{id}.execute-api.{region}.amazonaws.com/{stage}`; the local cloud serves each API on a loopback port that
its status route reports (read over HTTP, like any client would: the workshop does not import the local cloud).
"""
import json
import os

import httpx

from workshop.docker_client import WorkshopError

STATUS_PATH = "/_localcloud/status"
# Module 07's resources, each named session.name(<this>).
HTTP_API, REST_API, ECHO_FUNCTION = "api", "reviews", "echo"
API_GATEWAY_PRINCIPAL = "apigateway.amazonaws.com"


class ApiNotServed(WorkshopError):
    """The REST API's stage has no invoke URL yet; the message says what to do."""


def rest_api_url(session, api_id: str, stage: str) -> str:
    """The invoke URL of a REST API stage, without a trailing slash: append the resource path to it."""
    if session.mode == "aws":
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
