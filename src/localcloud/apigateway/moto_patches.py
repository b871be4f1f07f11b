"""Fixes to moto's API Gateway backends (moto 5.2.5), applied once; each names the moto behaviour it works around.

The data plane attaches itself here so that the fixes that need it (each API's endpoint) can ask it; with no plane
attached for a backend, moto behaves as it always did (apart from the operations it lacks, which are added).
"""
import json
from urllib.parse import unquote

import moto.apigateway.urls as rest_urls
import moto.apigatewayv2.urls as http_urls
from moto.apigateway.models import APIGatewayBackend, RestAPI
from moto.apigateway.responses import APIGatewayResponse
from moto.apigatewayv2.exceptions import APIGatewayV2Error, BadRequestException
from moto.apigatewayv2.models import ApiGatewayV2Backend, Stage
from moto.apigatewayv2.responses import ApiGatewayV2Response

from localcloud.apigateway.deployments import (SNAPSHOT_ATTRIBUTE, HttpApiDeployment, http_api_deployments,
                                               rest_api_snapshot)
from localcloud.attached_planes import AttachedPlanes
from localcloud.moto_patching import applied_once, wrap as _wrap



class DeploymentNotFound(APIGatewayV2Error):
    code = 404

    def __init__(self, deployment_id: str):
        super().__init__("NotFoundException", f"Invalid Deployment identifier specified {deployment_id}")


_attached = AttachedPlanes()
attach, detach, plane_for = _attached.attach, _attached.detach, _attached.plane_for


@applied_once
def apply() -> None:
    fix_api_endpoint_resolves_nowhere()
    fix_rest_api_has_no_local_endpoint()
    fix_create_api_ignores_target()
    fix_http_api_has_no_create_deployment()
    fix_http_api_has_no_update_stage()
    fix_http_api_stage_hides_deployment_id()
    fix_rest_deployment_replaces_stage()
    fix_import_rest_api_gaps()
    fix_create_rest_api_drops_binary_media_types()




def fix_api_endpoint_resolves_nowhere() -> None:
    # moto's ApiEndpoint is https://<id>.execute-api.<region>.amazonaws.com; give each HTTP API a port of its own.
    def make(original):
        def create_api(self, *args, **kwargs):
            api = original(self, *args, **kwargs)
            if (plane := plane_for(self)) and api.protocol_type == "HTTP":
                api.api_endpoint = plane.endpoint(plane.claim_port(api.api_id))
            return api
        return create_api
    _wrap(ApiGatewayV2Backend, "create_api", make)


def fix_rest_api_has_no_local_endpoint() -> None:
    # A REST API is invoked at https://<id>.execute-api.<region>.amazonaws.com/<stage>/…: serve it on a port of its own.
    def make(original):
        def create_rest_api(self, *args, **kwargs):
            rest_api = original(self, *args, **kwargs)
            if plane := plane_for(self):
                plane.claim_port(rest_api.id)
            return rest_api
        return create_rest_api
    _wrap(APIGatewayBackend, "create_rest_api", make)


def fix_create_api_ignores_target() -> None:
    # Quick create (`create_api(Target=…)`) makes only the API in moto: add the integration, route and $default stage.
    def make(original):
        def create_api(self):
            params = json.loads(self.body or "{}")
            status, headers, body = original(self)
            target = params.get("target")
            if target and params.get("protocolType") == "HTTP":
                quick_create(self.apigatewayv2_backend, json.loads(body)["apiId"], target,
                             params.get("routeKey") or "$default")
            return status, headers, body
        return create_api
    _wrap(ApiGatewayV2Response, "create_api", make)


def quick_create(backend, api_id: str, target: str, route_key: str) -> None:
    is_url = target.startswith(("http://", "https://"))
    integration = backend.create_integration(
        api_id=api_id, connection_id=None, connection_type="INTERNET", content_handling_strategy=None,
        credentials_arn=None, description=None, integration_method="ANY" if is_url else "POST",
        integration_subtype=None, integration_type="HTTP_PROXY" if is_url else "AWS_PROXY", integration_uri=target,
        passthrough_behavior=None, payload_format_version="1.0" if is_url else "2.0", request_parameters=None,
        request_templates=None, response_parameters=None, template_selection_expression=None,
        timeout_in_millis=None, tls_config=None)
    backend.create_route(api_id=api_id, api_key_required=False, authorization_scopes=None, authorization_type="NONE",
                         authorizer_id=None, model_selection_expression=None, operation_name=None,
                         request_models=None, request_parameters=None, route_key=route_key,
                         route_response_selection_expression=None, target=f"integrations/{integration.id}")
    backend.create_stage(api_id, {"stageName": "$default", "autoDeploy": True})


def _api_id_from_path(path: str) -> str:
    return path.split("/v2/apis/", 1)[1].split("/", 1)[0]


def fix_http_api_has_no_create_deployment() -> None:
    # moto has no CreateDeployment / GetDeployment(s) / DeleteDeployment for apigatewayv2: named stages never serve.
    def create_deployment(self):
        api = self.apigatewayv2_backend.get_api(_api_id_from_path(self.path))
        params = json.loads(self.body or "{}")
        stage_name = params.get("stageName")
        if stage_name and stage_name not in api.stages:
            raise BadRequestException(f"Invalid stage identifier specified: {stage_name}")
        if stage_name and api.stages[stage_name].auto_deploy:
            raise BadRequestException(f"Stage {stage_name} has auto-deploy enabled; deployments are automatic")
        deployment = HttpApiDeployment(api, params.get("description") or "")
        http_api_deployments(api)[deployment.id] = deployment
        if stage_name:
            api.stages[stage_name].config["deploymentId"] = deployment.id
        return 201, {}, json.dumps(deployment.to_json())

    def get_deployments(self):
        api = self.apigatewayv2_backend.get_api(_api_id_from_path(self.path))
        return 200, {}, json.dumps({"items": [d.to_json() for d in http_api_deployments(api).values()]})

    def _deployment(self):
        api = self.apigatewayv2_backend.get_api(_api_id_from_path(self.path))
        deployment_id = self.path.rstrip("/").rsplit("/", 1)[1]
        deployments = http_api_deployments(api)
        if deployment_id not in deployments:
            raise DeploymentNotFound(deployment_id)
        return deployments, deployment_id

    def get_deployment(self):
        deployments, deployment_id = _deployment(self)
        return 200, {}, json.dumps(deployments[deployment_id].to_json())

    def delete_deployment(self):
        deployments, deployment_id = _deployment(self)
        del deployments[deployment_id]
        return 204, {}, ""

    ApiGatewayV2Response.create_deployment = create_deployment
    ApiGatewayV2Response.get_deployments = get_deployments
    ApiGatewayV2Response.get_deployment = get_deployment
    ApiGatewayV2Response.delete_deployment = delete_deployment
    paths = {"{0}/v2/apis/(?P<api_id>[^/]+)/deployments$": ApiGatewayV2Response.dispatch,
             "{0}/v2/apis/(?P<api_id>[^/]+)/deployments/(?P<deployment_id>[^/]+)$": ApiGatewayV2Response.dispatch}
    for module in (http_urls, rest_urls):  # moto serves both versions from the apigateway app's URL table
        module.url_paths.update(paths)


def fix_http_api_has_no_update_stage() -> None:
    # moto has no UpdateStage for apigatewayv2: auto-deploy, deployment, throttling and variables cannot change.
    fields = {"autoDeploy": "auto_deploy", "defaultRouteSettings": "default_route_settings",
              "routeSettings": "route_settings", "stageVariables": "stage_variables", "description": "description",
              "accessLogSettings": "access_log_settings"}

    def update_stage(self):
        parts = self.path.split("/")
        stage = self.apigatewayv2_backend.get_stage(_api_id_from_path(self.path), unquote(parts[-1]))
        params = json.loads(self.body or "{}")
        for key, attribute in fields.items():
            if key in params:
                setattr(stage, attribute, params[key])
                stage.config[key] = params[key]
        if "deploymentId" in params:
            stage.config["deploymentId"] = params["deploymentId"]
        return 200, {}, json.dumps(stage.to_json())

    ApiGatewayV2Response.update_stage = update_stage


def fix_http_api_stage_hides_deployment_id() -> None:
    # moto's Stage.to_json drops the deploymentId a stage was created or deployed with.
    def make(original):
        def to_json(self):
            answer = original(self)
            if self.config.get("deploymentId"):
                answer["deploymentId"] = self.config["deploymentId"]
            return answer
        return to_json
    _wrap(Stage, "to_json", make)


def fix_rest_deployment_replaces_stage() -> None:
    # moto's create_deployment replaces an existing stage (losing its settings) and snapshots nothing.
    def make(original):
        def create_deployment(self, name, description, stage_variables=None):
            existing = self.stages.get(name) if name else None
            snapshot = rest_api_snapshot(self)
            deployment = original(self, name, description, stage_variables)
            setattr(deployment, SNAPSHOT_ATTRIBUTE, snapshot)
            if existing is not None:
                existing.deployment_id = deployment.id
                if stage_variables:
                    existing.variables.update(stage_variables)
                self.stages[name] = existing
            return deployment
        return create_deployment
    _wrap(RestAPI, "create_deployment", make)


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "any"}


def _normalised_openapi(document: dict) -> dict:
    """What moto's importer can read: OpenAPI 3 header, ANY methods, nothing but methods under a path."""
    document = dict(document)
    if str(document.get("swagger", "")).startswith("2"):
        document.pop("swagger")
        document["openapi"] = "3.0.1"  # the path and integration parts moto reads are the same in Swagger 2.0
    document["info"] = {"description": "", **(document.get("info") or {})}
    paths = {}
    for path, item in (document.get("paths") or {}).items():
        methods = {}
        for key, operation in (item or {}).items():
            key = "any" if key == "x-amazon-apigateway-any-method" else key.lower()
            if key in HTTP_METHODS:
                methods[key] = _normalised_operation(operation or {})
        paths[path] = methods
    document["paths"] = paths
    return document


def _normalised_operation(operation: dict) -> dict:
    integration = operation.get("x-amazon-apigateway-integration")
    if not integration:
        return operation
    integration = {"uri": "", "httpMethod": "POST", **integration}  # moto needs both, even for MOCK
    integration["type"] = str(integration.get("type", "")).upper()
    return {**operation, "x-amazon-apigateway-integration": integration}


def fix_import_rest_api_gaps() -> None:
    # moto's import rejects Swagger 2.0, needs info.description (else KeyError → 500), reads
    # x-amazon-apigateway-any-method and path-level keys (`parameters`) as methods, needs a uri and httpMethod
    # even for MOCK integrations (else TypeError → 500), keeps lower-case integration types, ignores binary types.
    def make_import(original):
        def import_rest_api(self, api_doc, fail_on_warnings):
            return original(self, _normalised_openapi(api_doc), fail_on_warnings)
        return import_rest_api

    def make_put(original):
        def put_rest_api(self, function_id, api_doc, fail_on_warnings, mode="merge"):
            rest_api = original(self, function_id, _normalised_openapi(api_doc), fail_on_warnings, mode)
            binary = api_doc.get("x-amazon-apigateway-binary-media-types") or []
            rest_api.binaryMediaTypes = list(dict.fromkeys([*rest_api.binaryMediaTypes, *binary]))
            return rest_api
        return put_rest_api
    _wrap(APIGatewayBackend, "import_rest_api", make_import)
    _wrap(APIGatewayBackend, "put_rest_api", make_put)


def fix_create_rest_api_drops_binary_media_types() -> None:
    # moto's create_rest_api never reads binaryMediaTypes: binary bodies would reach Lambda as mangled text.
    def make(original):
        def create_rest_api(self):
            status, headers, body = original(self)
            try:
                wanted = json.loads(self.body or "{}").get("binaryMediaTypes")
            except ValueError:  # an OpenAPI document in YAML (import_rest_api)
                wanted = None
            if wanted and status == 200:
                rest_api = self.backend.get_rest_api(json.loads(body)["id"])
                rest_api.binaryMediaTypes = list(wanted)
                body = json.dumps(rest_api.to_dict())
            return status, headers, body
        return create_rest_api
    _wrap(APIGatewayResponse, "create_rest_api", make)
