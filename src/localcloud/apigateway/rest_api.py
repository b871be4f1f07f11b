"""REST APIs (API Gateway v1): a request → stage → resource and method → integration → response."""
import fnmatch
import json
import logging

from localcloud.apigateway import events, lambda_output, mock
from localcloud.apigateway.access_log import AccessRecord, extended_request_id
from localcloud.apigateway.answers import REST_API, GatewayResponse, gateway_error
from localcloud.apigateway.deployments import served_rest_api
from localcloud.apigateway.incoming import IncomingRequest
from localcloud.apigateway.integrations import (IntegrationFailed, fill_path_variables,
                                                lambda_function_of, with_stage_variables)
from localcloud.apigateway.routes import best_match, split_path
from localcloud.apigateway.stage_handler import StageHandler, ready

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_MS = 29000
UNENFORCED_AUTHORIZATION = {"CUSTOM": "Lambda authorizers", "COGNITO_USER_POOLS": "Cognito authorizers",
                            "AWS_IAM": "IAM authorization"}


def select_method(resources: list[dict], method: str, path: str):
    """(resource, method settings, path parameters) for a request, or None."""
    candidates = [((resource, settings), verb, resource["path"])
                  for resource in resources for verb, settings in (resource.get("resourceMethods") or {}).items()]
    found = best_match(candidates, method.upper(), path)
    if not found:
        return None
    (resource, settings), match = found
    return resource, settings, match.parameters


def matches_media_type(patterns: list[str], content_type: str | None) -> bool:
    wanted = (content_type or "").split(";")[0].strip().lower()
    return bool(wanted) and any(fnmatch.fnmatch(wanted, pattern.lower().replace("~1", "/")) for pattern in patterns)


def _stage_limits(stage) -> tuple[float | None, int | None]:
    settings = (stage.method_settings or {}).get("*/*") or {}
    return settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit")


class RestApiHandler(StageHandler):
    async def handle(self, rest_api, request: IncomingRequest) -> GatewayResponse:
        record = AccessRecord(request, self._account_id, rest_api.id, extended_request_id=extended_request_id())
        response = await self._answer(rest_api, request, record)
        response.headers.append(("x-amz-apigw-id", record.extended_request_id))
        return self._answered(record, response, "x-amzn-RequestId")

    async def _answer(self, rest_api, request: IncomingRequest, record: AccessRecord) -> GatewayResponse:
        def error(kind):
            return gateway_error(kind, REST_API, request.request_id)
        if rest_api.disableExecuteApiEndpoint:
            return error("forbidden")
        segments = split_path(request.path)
        stage = rest_api.stages.get(segments[0]) if segments else None
        served = served_rest_api(rest_api, stage) if stage else None
        if served is None:
            return error("not_found")
        record.stage = stage
        path = request.path[len(segments[0]) + 1:] or "/"
        selected = select_method(served["resources"], request.method, path)
        if selected is None:
            return error("not_found")
        resource, method, parameters = selected
        record.resource_path = resource["path"]
        if not self._limits.allow(rest_api.id, stage.name, *_stage_limits(stage)):
            return error("throttled")
        self._notice_unenforced(rest_api, stage, method)
        integration = method.get("methodIntegration")
        if not integration:
            return error("integration_failed")
        context = events.EventContext(
            self._account_id, rest_api.id, stage.name, f"{method['httpMethod']} {resource['path']}",
            resource["path"], parameters, dict(stage.variables or {}), resource_id=resource["id"],
            binary=matches_media_type(served["binaryMediaTypes"], request.header("content-type")))
        timeout_s = (integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS) / 1000
        kind = integration.get("type")
        response = await self._integrated(record, kind, {
            "AWS_PROXY": lambda: self._call_lambda(integration, request, context, path, served, timeout_s),
            "HTTP_PROXY": lambda: self._call_http(integration, request, context, timeout_s),
            "MOCK": lambda: ready(self._mock(rest_api, integration, request))}, error)
        if response is not None:
            return response
        self._notices.notice(rest_api.id, f"{kind} (non-proxy) integrations",
                             "such methods answer 500 Internal server error")
        return error("integration_failed")

    async def _call_lambda(self, integration, request, context, path, served, timeout_s) -> GatewayResponse:
        function = lambda_function_of(with_stage_variables(integration.get("uri"), context.stage_variables))
        if function is None:
            raise IntegrationFailed(f"not a Lambda function: {integration.get('uri')}")
        event = events.format_v1(request, context, path)
        invocation = await self._lambdas.invoke(function, json.dumps(event).encode(), timeout_s)
        if invocation.function_error:
            log.info("function %s failed: %s", function, invocation.payload[:500])
            return gateway_error("function_error", REST_API, request.request_id)
        try:
            response = lambda_output.from_format_v1(invocation.payload, decode_base64=False)
            content_type = next((v for k, v in response.headers if k.lower() == "content-type"), None)
            if matches_media_type(served["binaryMediaTypes"], request.header("accept")) or matches_media_type(
                    served["binaryMediaTypes"], content_type):
                response = lambda_output.from_format_v1(invocation.payload)
            return response
        except lambda_output.MalformedOutput as malformed:
            log.info("function %s: malformed Lambda proxy response: %s", function, malformed)
            return gateway_error("bad_function_output", REST_API, request.request_id)

    async def _call_http(self, integration, request, context, timeout_s) -> GatewayResponse:
        uri = self._http.resolve(with_stage_variables(integration.get("uri"), context.stage_variables))
        # integration.request.path.X = method.request.path.Y maps names; without a mapping a name maps to itself
        parameters = dict(context.path_parameters)
        for target, source in (integration.get("requestParameters") or {}).items():
            if target.startswith("integration.request.path.") and source.startswith("method.request.path."):
                value = context.path_parameters.get(source.removeprefix("method.request.path."))
                if value is not None:
                    parameters[target.removeprefix("integration.request.path.")] = value
        url = fill_path_variables(uri, parameters)
        if request.query:
            url += ("&" if "?" in url else "?") + request.query
        verb = integration.get("httpMethod") or "ANY"
        vpc_link = integration.get("connectionId") if integration.get("connectionType") == "VPC_LINK" else None
        response = await self._http.call(url, request.method if verb == "ANY" else verb, request.headers,
                                         request.body, request.source_ip, timeout_s, vpc_link)
        return GatewayResponse(int(response.start[1]), response.headers_for_proxy(), response.body)

    def _mock(self, rest_api, integration, request: IncomingRequest) -> GatewayResponse:
        template = mock.pick_template(integration.get("requestTemplates"), request.header("content-type"))
        responses = integration.get("integrationResponses") or {}
        templates = [template] + [text for response in responses.values()
                                  for text in (response.get("responseTemplates") or {}).values()]
        if any(mock.has_vtl(text) for text in templates):
            self._notices.notice(rest_api.id, "VTL in mapping templates",
                                 "templates are used as written, their expressions are not evaluated")
        status = mock.status_from_request_template(template, request.body)
        chosen = mock.pick_integration_response(responses, status) if status is not None else None
        if chosen is None:
            return gateway_error("integration_failed", REST_API, request.request_id)
        return mock.answer(chosen)

    def _notice_unenforced(self, rest_api, stage, method: dict) -> None:
        kind = method.get("authorizationType") or "NONE"
        if kind in UNENFORCED_AUTHORIZATION:
            self._notices.notice(rest_api.id, UNENFORCED_AUTHORIZATION[kind], "requests pass without being checked")
        if method.get("requestValidatorId"):
            self._notices.notice(rest_api.id, "request validators", "requests reach the integration unvalidated")
        if rest_api.policy:
            self._notices.notice(rest_api.id, "resource policies", "requests pass whatever the policy says")
        if method.get("apiKeyRequired"):
            self._notices.notice(rest_api.id, "API keys and usage plans", "requests pass without an API key")
        if stage.cache_cluster_enabled or any((settings or {}).get("cachingEnabled")
                                              for settings in (stage.method_settings or {}).values()):
            self._notices.notice(rest_api.id, "stage caching", "every request reaches the integration")
