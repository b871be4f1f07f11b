"""The `aws` pace for API Gateway: a new deployment reaches its stage only after a few seconds (compressed); until
then the stage serves the deployment it had, or nothing (no engine; a fake clock)."""
import types

import pytest
from moto.backends import get_backend

from localcloud import pace as pacing
from localcloud.apigateway.deployments import served_http_api, served_rest_api
from localcloud.apigateway.provider import HttpApiProvider, RestApiProvider
from tests.localcloud.fakes import FakeClock, served_by

ACCOUNT, REGION = "123456789012", "us-east-1"
AWS = pacing.Pace("aws", 20)


class PacedPlane:
    """The API Gateway plane as its providers see it, in a cloud at a given pace."""

    def __init__(self, pace):
        self.clock = FakeClock()
        self.cloud = types.SimpleNamespace(config=types.SimpleNamespace(pace=pace), clock=self.clock,
                                           backend=lambda service: get_backend(service)[ACCOUNT][REGION])

    def claim_port(self, key: str) -> int:
        return 4700

    def endpoint(self, port: int) -> str:
        return f"http://execute-api.localhost:{port}"


@pytest.fixture
def paced(request):
    plane = PacedPlane(getattr(request, "param", AWS))
    try:
        with served_by(HttpApiProvider(plane, ACCOUNT, REGION), RestApiProvider(plane, ACCOUNT, REGION),
                       region=REGION) as client:
            yield plane, client
    finally:
        for service in ("apigateway", "apigatewayv2"):
            get_backend(service)[ACCOUNT][REGION].reset()


def rest_api_with_mock(apigw, path: str) -> str:
    api_id = apigw.create_rest_api(name="paced")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=path)["id"]
    apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET", type="MOCK")
    return api_id


def rest_paths(plane, api_id: str) -> list[str] | None:
    rest_api = plane.cloud.backend("apigateway").get_rest_api(api_id)
    served = served_rest_api(rest_api, rest_api.stages["prod"])
    return None if served is None else sorted(resource["path"] for resource in served["resources"])


def test_a_rest_stage_serves_nothing_then_its_first_deployment_then_the_next_after_a_few_seconds(paced):
    plane, client = paced
    apigw = client("apigateway")
    api_id = rest_api_with_mock(apigw, "orders")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert rest_paths(plane, api_id) is None  # the stage is not there yet: API Gateway answers as for no stage
    plane.clock.advance(AWS.lasts(pacing.API_DEPLOYMENT_S))
    assert rest_paths(plane, api_id) == ["/", "/orders"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.create_resource(restApiId=api_id, parentId=root, pathPart="carts")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert rest_paths(plane, api_id) == ["/", "/orders"]  # the previous deployment, meanwhile
    plane.clock.advance(AWS.lasts(pacing.API_DEPLOYMENT_S))
    assert rest_paths(plane, api_id) == ["/", "/carts", "/orders"]


@pytest.mark.parametrize("paced", [pacing.Pace()], indirect=True)
def test_at_the_local_pace_a_rest_deployment_serves_at_once(paced):
    plane, client = paced
    apigw = client("apigateway")
    api_id = rest_api_with_mock(apigw, "orders")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert rest_paths(plane, api_id) == ["/", "/orders"]


def test_an_http_api_stage_serves_its_deployment_after_a_few_seconds(paced):
    plane, client = paced
    v2 = client("apigatewayv2")
    api_id = v2.create_api(Name="paced", ProtocolType="HTTP")["ApiId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /orders")
    v2.create_stage(ApiId=api_id, StageName="prod")
    v2.create_deployment(ApiId=api_id, StageName="prod")
    api = plane.cloud.backend("apigatewayv2").get_api(api_id)
    assert served_http_api(api, api.stages["prod"]) is None
    plane.clock.advance(AWS.lasts(pacing.API_DEPLOYMENT_S))
    assert [route["routeKey"] for route in served_http_api(api, api.stages["prod"])["routes"]] == ["GET /orders"]
