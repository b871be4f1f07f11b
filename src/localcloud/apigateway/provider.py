"""The API Gateway operations the data plane owns: every API answers on a local port, and what moto (5.2.5) lacks
or loses for APIs to serve as on AWS (quick create, HTTP API deployments and stage updates, REST stages kept across
deployments, OpenAPI imports, binary media types).

moto's dispatcher sends every API Gateway call, REST (v1) and HTTP (v2), to its "apigateway" app (one host, one URL
table), so both providers sit on that app and claim their calls by path: HTTP API calls are under `/v2/`.
"""
import json

from moto.apigateway.responses import APIGatewayResponse
from moto.apigateway.utils import deserialize_body
from moto.apigatewayv2.responses import ApiGatewayV2Response

from localcloud.apigateway import http_api_control, openapi_import, rollout
from localcloud.apigateway.deployments import SNAPSHOT_ATTRIBUTE, http_api_deployments, rest_api_snapshot
from localcloud.providers import Call, Provider

MOTO_APP = "apigateway"
HTTP_API_PATHS = "/v2/"
JSON = {"Content-Type": "application/json"}


def _is_http_api_call(request) -> bool:
    return request.path.startswith(HTTP_API_PATHS)


class HttpApiProvider(Provider):
    app = MOTO_APP
    response_class = ApiGatewayV2Response

    def claims(self, request) -> bool:
        return _is_http_api_call(request)

    def handlers(self):
        return {"CreateApi": self.create_api, "CreateStage": self.create_stage, "UpdateStage": self.update_stage,
                "CreateDeployment": self.create_deployment, "GetDeployments": self.get_deployments,
                "GetDeployment": self.get_deployment, "DeleteDeployment": self.delete_deployment}

    def _backend(self):
        return self._plane.cloud.backend("apigatewayv2")

    def create_api(self, call: Call):
        # moto's ApiEndpoint (https://<id>.execute-api.<region>.amazonaws.com) resolves nowhere: each HTTP API gets a
        # port of its own; and moto makes only the API of a quick create (`Target`).
        status, headers, body = call.moto_result()
        api = self._backend().get_api(json.loads(body)["apiId"])
        if api.protocol_type == "HTTP":
            api.api_endpoint = self._plane.endpoint(self._plane.claim_port(api.api_id))
            if target := call.params.get("Target"):
                http_api_control.quick_create(self._backend(), api.api_id, target,
                                              call.params.get("RouteKey") or "$default")
        return status, {**headers, **JSON}, json.dumps(api.to_json())

    def create_stage(self, call: Call):
        # A stage made with a DeploymentId shows it (moto's Stage.to_json drops it).
        status, headers, _ = call.moto_result()
        stage = self._backend().get_stage(call.params["ApiId"], call.params["StageName"])
        if stage.config.get("deploymentId"):
            rollout.begin(self._plane.cloud, stage, None)  # at the `aws` pace, live after a few seconds
        return status, {**headers, **JSON}, json.dumps(http_api_control.deployed(stage).to_json())

    def update_stage(self, call: Call):
        # moto has no UpdateStage for HTTP APIs: auto-deploy, deployment, throttling and variables could not change.
        stage = self._backend().get_stage(call.params["ApiId"], call.params["StageName"])
        previous = stage.config.get("deploymentId")
        stage = http_api_control.update_stage(stage, json.loads(call.moto_response.body or "{}"))
        if stage.config.get("deploymentId") != previous:
            rollout.begin(self._plane.cloud, stage, previous)
        return 200, JSON, json.dumps(stage.to_json())

    def create_deployment(self, call: Call):
        # moto has no HTTP API deployments: without them a named stage never serves.
        api = self._backend().get_api(call.params["ApiId"])
        stage = api.stages.get(call.params.get("StageName") or "")
        previous = stage.config.get("deploymentId") if stage is not None else None
        deployment = http_api_control.create_deployment(api, call.params.get("StageName"),
                                                        call.params.get("Description") or "")
        if stage is not None:
            rollout.begin(self._plane.cloud, stage, previous)
        return 201, JSON, json.dumps(deployment.to_json())

    def get_deployments(self, call: Call):
        api = self._backend().get_api(call.params["ApiId"])
        return 200, JSON, json.dumps({"items": [d.to_json() for d in list(http_api_deployments(api).values())]})

    def get_deployment(self, call: Call):
        api = self._backend().get_api(call.params["ApiId"])
        return 200, JSON, json.dumps(http_api_control.deployment_of(api, call.params["DeploymentId"]).to_json())

    def delete_deployment(self, call: Call):
        api = self._backend().get_api(call.params["ApiId"])
        http_api_control.delete_deployment(api, call.params["DeploymentId"])
        return 204, {}, ""


class RestApiProvider(Provider):
    app = MOTO_APP
    response_class = APIGatewayResponse

    def claims(self, request) -> bool:
        return not _is_http_api_call(request)

    def handlers(self):
        return {"CreateRestApi": self.create_rest_api, "ImportRestApi": self.import_rest_api,
                "PutRestApi": self.put_rest_api, "CreateDeployment": self.create_deployment}

    def _backend(self):
        return self._plane.cloud.backend("apigateway")

    def create_rest_api(self, call: Call):
        # A REST API is invoked at https://<id>.execute-api.<region>.amazonaws.com/<stage>/…: here, on a port of its
        # own. moto never reads binaryMediaTypes: binary bodies would reach Lambda as mangled text.
        status, headers, body = call.moto_result()
        if status != 200:
            return status, headers, body
        rest_api = self._backend().get_rest_api(json.loads(body)["id"])
        if wanted := call.params.get("binaryMediaTypes"):
            rest_api.binaryMediaTypes = list(wanted)
        self._plane.claim_port(rest_api.id)
        return status, {**headers, **JSON}, json.dumps(rest_api.to_dict())

    def import_rest_api(self, call: Call):
        # moto's importer reads a subset of OpenAPI 3 only (see openapi_import).
        document = deserialize_body(call.moto_response.body)
        if not document:  # neither OpenAPI nor Swagger: moto answers as it does
            return self.create_rest_api(call)
        rest_api = self._backend().import_rest_api(openapi_import.normalised_openapi(document),
                                                   bool(call.params.get("failOnWarnings")))
        openapi_import.add_binary_media_types(rest_api, document)
        self._plane.claim_port(rest_api.id)
        return 200, JSON, json.dumps(rest_api.to_dict())

    def put_rest_api(self, call: Call):
        backend = self._backend()
        rest_api = backend.get_rest_api(call.params["restApiId"])  # moto's put answers 500 for an unknown API
        document = deserialize_body(call.moto_response.body)
        backend.put_rest_api(rest_api.id, openapi_import.normalised_openapi(document),
                             bool(call.params.get("failOnWarnings")), call.params.get("mode") or "merge")
        openapi_import.add_binary_media_types(rest_api, document)
        return 200, JSON, json.dumps(rest_api.to_dict())

    def create_deployment(self, call: Call):
        # moto replaces an existing stage (losing its settings) and snapshots nothing: a stage must keep its
        # settings and serve what was deployed until the next deployment.
        rest_api = self._backend().get_rest_api(call.params["restApiId"])
        stage_name = call.params.get("stageName")
        existing = rest_api.stages.get(stage_name) if stage_name else None
        snapshot = rest_api_snapshot(rest_api)
        status, headers, body = call.moto_result()
        deployment = rest_api.deployments[json.loads(body)["id"]]
        setattr(deployment, SNAPSHOT_ATTRIBUTE, snapshot)
        previous = existing.deployment_id if existing is not None else None
        if existing is not None:
            existing.deployment_id = deployment.id
            existing.variables.update(call.params.get("variables") or {})
            rest_api.stages[stage_name] = existing
        if stage_name:
            rollout.begin(self._plane.cloud, rest_api.stages[stage_name], previous)
        return status, headers, body
