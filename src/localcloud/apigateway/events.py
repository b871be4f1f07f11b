"""Lambda proxy events: payload format 2.0 (HTTP APIs) and 1.0 (REST APIs, and HTTP APIs that ask for it)."""
import dataclasses

from localcloud.apigateway.incoming import IncomingRequest


@dataclasses.dataclass
class EventContext:
    """What the gateway knows about a request beyond the request itself."""
    account_id: str
    api_id: str
    stage: str
    route_key: str  # HTTP API route key ("GET /orders/{id}", "$default"); REST: "METHOD resource path"
    resource_path: str  # the matched template, e.g. /orders/{id}
    path_parameters: dict[str, str]
    stage_variables: dict[str, str]
    resource_id: str = ""
    binary: bool | None = None  # REST APIs decide by their binaryMediaTypes


def _or_none(mapping):
    return mapping or None


def format_v2(request: IncomingRequest, context: EventContext) -> dict:
    query = request.query_values()
    headers = {key: ",".join(values) for key, values in request.header_values(lower=True).items() if key != "cookie"}
    body, is_base64 = request.body_for_event(context.binary)
    event = {
        "version": "2.0",
        "routeKey": context.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": context.account_id,
            "apiId": context.api_id,
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "http": {"method": request.method, "path": request.path, "protocol": request.protocol,
                     "sourceIp": request.source_ip, "userAgent": request.header("user-agent", "")},
            "requestId": request.request_id,
            "routeKey": context.route_key,
            "stage": context.stage,
            "time": request.request_time(),
            "timeEpoch": int(request.received_at * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies := request.cookies():
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = {key: ",".join(values) for key, values in query.items()}
    if context.path_parameters:
        event["pathParameters"] = context.path_parameters
    if context.stage_variables:
        event["stageVariables"] = context.stage_variables
    if body is not None:
        event["body"] = body
    return event


def format_v1(request: IncomingRequest, context: EventContext, path: str, version: str | None = None) -> dict:
    """`path` is what the function sees as `path`: without the stage for REST APIs."""
    query = request.query_values()
    headers = request.header_values()
    body, is_base64 = request.body_for_event(context.binary)
    event = {
        "resource": context.resource_path,
        "path": path,
        "httpMethod": request.method,
        "headers": {key: values[-1] for key, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": _or_none({key: values[-1] for key, values in query.items()}),
        "multiValueQueryStringParameters": _or_none(query),
        "requestContext": {
            "accountId": context.account_id,
            "apiId": context.api_id,
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "extendedRequestId": request.request_id,
            "httpMethod": request.method,
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("user-agent", "")},
            "path": request.path,
            "protocol": request.protocol,
            "requestId": request.request_id,
            "requestTime": request.request_time(),
            "requestTimeEpoch": int(request.received_at * 1000),
            "resourceId": context.resource_id,
            "resourcePath": context.resource_path,
            "stage": context.stage,
        },
        "pathParameters": _or_none(context.path_parameters),
        "stageVariables": _or_none(context.stage_variables),
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if version:
        event = {"version": version, **event, "routeKey": context.route_key}
    return event
