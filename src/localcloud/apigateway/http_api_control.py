"""What the HTTP API (apigatewayv2) control plane does that moto (5.2.5) does not: quick create, deployments, stage
updates, and stages that show the deployment they serve."""
from datetime import datetime

from moto.apigatewayv2.exceptions import APIGatewayV2Error, BadRequestException
from moto.apigatewayv2.models import Stage

from localcloud.apigateway.deployments import HttpApiDeployment, http_api_deployments


class DeploymentNotFound(APIGatewayV2Error):
    code = 404

    def __init__(self, deployment_id: str):
        super().__init__("NotFoundException", f"Invalid Deployment identifier specified {deployment_id}")


class DeployedStage(Stage):
    """An HTTP API stage that shows its `deploymentId` (moto's Stage.to_json drops it)."""

    def to_json(self) -> dict:
        answer = super().to_json()
        if self.config.get("deploymentId"):
            answer["deploymentId"] = self.config["deploymentId"]
        return answer


def deployed(stage: Stage) -> DeployedStage:
    """The stage, answering with its deployment from now on."""
    if not isinstance(stage, DeployedStage):
        stage.__class__ = DeployedStage
    return stage


def quick_create(backend, api_id: str, target: str, route_key: str) -> None:
    """The integration, route and auto-deployed $default stage that quick create makes with an API
    (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html#apis-prop-createapiinput-target)."""
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
    deployed(backend.create_stage(api_id, {"stageName": "$default", "autoDeploy": True}))


def create_deployment(api, stage_name: str | None, description: str) -> HttpApiDeployment:
    """A snapshot of the API's routes, served by `stage_name` if given (an auto-deploy stage deploys itself)."""
    if stage_name and stage_name not in api.stages:
        raise BadRequestException(f"Invalid stage identifier specified: {stage_name}")
    if stage_name and api.stages[stage_name].auto_deploy:
        raise BadRequestException(f"Stage {stage_name} has auto-deploy enabled; deployments are automatic")
    deployment = HttpApiDeployment(api, description)
    http_api_deployments(api)[deployment.id] = deployment
    if stage_name:
        deployed(api.stages[stage_name]).config["deploymentId"] = deployment.id
    return deployment


def deployment_of(api, deployment_id: str) -> HttpApiDeployment:
    deployment = http_api_deployments(api).get(deployment_id)
    if deployment is None:
        raise DeploymentNotFound(deployment_id)
    return deployment


def delete_deployment(api, deployment_id: str) -> None:
    deployment_of(api, deployment_id)
    del http_api_deployments(api)[deployment_id]


# UpdateStage's fields (as the request's JSON names them) and the moto Stage attribute each sets.
STAGE_FIELDS = {"autoDeploy": "auto_deploy", "defaultRouteSettings": "default_route_settings",
                "routeSettings": "route_settings", "stageVariables": "stage_variables", "description": "description",
                "accessLogSettings": "access_log_settings"}


def update_stage(stage: Stage, changes: dict) -> DeployedStage:
    """Apply an UpdateStage request's JSON body (kept in the request's own field names, as moto's CreateStage keeps
    a stage's settings, which the data plane reads)."""
    stage = deployed(stage)
    for key, attribute in STAGE_FIELDS.items():
        if key in changes:
            setattr(stage, attribute, changes[key])
            stage.config[key] = changes[key]
    if "deploymentId" in changes:
        stage.config["deploymentId"] = changes["deploymentId"]
    stage.updated = datetime.now()
    return stage
