"""What a stage serves: a snapshot of an API's routes taken at deployment, or the live API for auto-deploy stages.

Snapshots are plain JSON-shaped data (as the APIs' GET calls return them), so a later change to the API does not
reach a stage until the next deployment — as on AWS.
"""
import json
import string
import time

from moto.moto_api._internal import mock_random as random

from localcloud.apigateway import rollout

SNAPSHOT_ATTRIBUTE = "localcloud_snapshot"  # set on moto's REST API Deployment objects


def http_api_snapshot(api) -> dict:
    """Routes and integrations of an HTTP API (moto's apigatewayv2 Api)."""
    return json.loads(json.dumps({
        "routes": [route.to_json() for route in list(api.routes.values())],
        "integrations": {integration.id: integration.to_json() for integration in list(api.integrations.values())},
    }, default=str))


def rest_api_snapshot(rest_api) -> dict:
    """Resources, methods and integrations of a REST API (moto's apigateway RestAPI)."""
    return json.loads(json.dumps({
        "resources": [resource.to_dict() for resource in list(rest_api.resources.values())],
        "binaryMediaTypes": list(rest_api.binaryMediaTypes or []),
    }, default=str))


class HttpApiDeployment:
    """A deployment of an HTTP API (moto has none): what CreateDeployment made, with its snapshot."""

    def __init__(self, api, description: str = "", auto_deployed: bool = False):
        self.id = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        self.description = description
        self.auto_deployed = auto_deployed
        self.created_date = time.time()
        self.snapshot = http_api_snapshot(api)

    def to_json(self) -> dict:
        return {"autoDeployed": self.auto_deployed, "createdDate": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created_date)), "deploymentId": self.id,
            "deploymentStatus": "DEPLOYED", "description": self.description}


def http_api_deployments(api) -> dict[str, HttpApiDeployment]:
    """The deployments of an HTTP API, kept on moto's Api object (so a reset forgets them with it)."""
    if not hasattr(api, "localcloud_deployments"):
        api.localcloud_deployments = {}
    return api.localcloud_deployments


def served_http_api(api, stage) -> dict | None:
    """What an HTTP API stage serves now: the live API (auto-deploy), its deployment's snapshot, or nothing."""
    if stage.auto_deploy:
        return http_api_snapshot(api)
    deployment = http_api_deployments(api).get(rollout.deployment_served(stage, stage.config.get("deploymentId")) or "")
    return deployment.snapshot if deployment else None


def served_rest_api(rest_api, stage) -> dict | None:
    deployment = rest_api.deployments.get(rollout.deployment_served(stage, stage.deployment_id) or "")
    if deployment is None:
        return None
    snapshot = getattr(deployment, SNAPSHOT_ATTRIBUTE, None)
    return snapshot if snapshot is not None else rest_api_snapshot(rest_api)
