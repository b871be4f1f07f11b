"""HTTP APIs (API Gateway v2): a request → stage → route → integration → response."""
import json
import logging

from localcloud.apigateway import events, lambda_output
from localcloud.apigateway.access_log import AccessRecord
from localcloud.apigateway.answers import HTTP_API, GatewayResponse, gateway_error
from localcloud.apigateway.deployments import served_http_api
from localcloud.apigateway.incoming import IncomingRequest
from localcloud.apigateway.integrations import (IntegrationFailed, fill_path_variables,
                                                lambda_function_of, with_stage_variables)
from localcloud.apigateway.routes import best_match, split_path
from localcloud.apigateway.stage_handler import StageHandler

log = logging.getLogger(__name__)

DEFAULT_STAGE = "$default"
DEFAULT_ROUTE = "$default"
DEFAULT_TIMEOUT_MS = 30000
UNENFORCED_AUTHORIZATION = {"JWT": "JWT authorizers", "CUSTOM": "Lambda authorizers", "AWS_IAM": "IAM authorization"}


def select_stage(api, path: str):
    """(stage, path within the stage): a named stage by the path's first segment, else the $default stage."""
    segments = split_path(path)
    if segments and segments[0] != DEFAULT_STAGE and segments[0] in api.stages:
        return api.stages[segments[0]], path[len(segments[0]) + 1:] or "/"
    return api.stages.get(DEFAULT_STAGE), path


def select_route(routes: list[dict], method: str, path: str):
    """(route, path parameters) for a request, the $default route when nothing else matches, or None."""
    candidates = []
    for route in routes:
        method_part, _, route_path = route["routeKey"].partition(" ")
        if route_path:
            candidates.append((route, method_part.upper(), route_path))
    found = best_match(candidates, method.upper(), path)
    if found:
        return found[0], found[1].parameters
    default = next((route for route in routes if route["routeKey"] == DEFAULT_ROUTE), None)
    return (default, {}) if default else None


def _throttle_limits(stage, route_key: str) -> tuple[float | None, int | None]:
    settings = {**(stage.default_route_settings or {}), **((stage.route_settings or {}).get(route_key) or {})}
    return settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit")


class HttpApiHandler(StageHandler):
    async def handle(self, api, request: IncomingRequest) -> GatewayResponse:
        record = AccessRecord(request, self._account_id, api.api_id)
        return self._answered(record, await self._answer(api, request, record), "apigw-requestid")

    async def _answer(self, api, request: IncomingRequest, record: AccessRecord) -> GatewayResponse:
        def error(kind):
            return gateway_error(kind, HTTP_API, request.request_id)
        if api.disable_execute_api_endpoint:
            return error("forbidden")
        stage, path = select_stage(api, request.path)
        served = served_http_api(api, stage) if stage else None
        if served is None:
            return error("not_found")
        record.stage = stage
        selected = select_route(served["routes"], request.method, path)
        if selected is None:
            return error("not_found")
        route, parameters = selected
        record.route_key = route["routeKey"]
        if not self._limits.allow(api.api_id, stage.name, *_throttle_limits(stage, route["routeKey"])):
            return error("throttled")
        self._notice_unenforced(api, route)
        integration = served["integrations"].get((route.get("target") or "").removeprefix("integrations/"))
        if integration is None:
            return error("integration_failed")
        context = events.EventContext(self._account_id, api.api_id, stage.name, route["routeKey"],
                                      route["routeKey"].partition(" ")[2] or "/", parameters,
                                      dict(stage.stage_variables or {}))
        timeout_s = (integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS) / 1000
        response = await self._integrated(record, integration["integrationType"], {
            "AWS_PROXY": lambda: self._call_lambda(integration, request, context, timeout_s),
            "HTTP_PROXY": lambda: self._call_http(integration, request, context, timeout_s)}, error)
        if response is not None:
            return response
        self._notices.notice(api.api_id, f"{integration['integrationType']} integrations",
                             "such routes answer 500 Internal Server Error")
        return error("integration_failed")

    async def _call_lambda(self, integration, request, context, timeout_s) -> GatewayResponse:
        function = lambda_function_of(with_stage_variables(integration["integrationUri"], context.stage_variables))
        if function is None:
            raise IntegrationFailed(f"not a Lambda function: {integration['integrationUri']}")
        version = integration.get("payloadFormatVersion") or "2.0"
        if version == "1.0":
            event = events.format_v1(request, context, request.path, version="1.0")
        else:
            event = events.format_v2(request, context)
        invocation = await self._lambdas.invoke(function, json.dumps(event).encode(), timeout_s)
        if invocation.function_error:
            log.info("function %s failed: %s", function, invocation.payload[:500])
            return gateway_error("function_error", HTTP_API, request.request_id)
        try:
            parse = lambda_output.from_format_v1 if version == "1.0" else lambda_output.from_format_v2
            return parse(invocation.payload)
        except lambda_output.MalformedOutput as malformed:
            log.info("function %s: malformed proxy response: %s", function, malformed)
            return gateway_error("bad_function_output", HTTP_API, request.request_id)

    async def _call_http(self, integration, request, context, timeout_s) -> GatewayResponse:
        uri = self._http.resolve(with_stage_variables(integration["integrationUri"], context.stage_variables))
        url = fill_path_variables(uri, context.path_parameters)
        if context.route_key == DEFAULT_ROUTE and url.split("://", 1)[-1].count("/") == 0:
            url += request.path  # the $default route passes the whole path on to a bare host
        if request.query:
            url += ("&" if "?" in url else "?") + request.query
        vpc_link = integration.get("connectionId") if integration.get("connectionType") == "VPC_LINK" else None
        response = await self._http.call(url, (integration.get("integrationMethod") or "ANY").replace(
            "ANY", request.method), request.headers, request.body, request.source_ip, timeout_s, vpc_link)
        return GatewayResponse(int(response.start[1]), response.headers_for_proxy(), response.body)

    def _notice_unenforced(self, api, route: dict) -> None:
        kind = route.get("authorizationType") or "NONE"
        if kind in UNENFORCED_AUTHORIZATION:
            self._notices.notice(api.api_id, UNENFORCED_AUTHORIZATION[kind], "requests pass without being checked")
        if api.cors_configuration:
            self._notices.notice(api.api_id, "CORS configuration", "no CORS headers are added or preflights answered")
