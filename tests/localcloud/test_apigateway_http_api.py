"""HTTP APIs end to end: requests to `ApiEndpoint` reach HTTP targets by route, stage and deployment."""
import ipaddress
import json
import subprocess
import uuid
import warnings

import httpx
import pytest

import localcloud
from localcloud.apigateway import ApiGatewayPlane
from localcloud.apigateway.unenforced import NotEnforcedLocally
from localcloud.config import Config
from localcloud.elbv2 import Elbv2Plane
from tests.localcloud import apigateway_fixtures as fx
from tests.localcloud import elbv2_fixtures as elb_fx
from tests.localcloud.elbv2_fixtures import AWS_CLI, wait_for

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with localcloud.running(Config(port=0, instance=f"t-apigw-http-{uuid.uuid4().hex[:8]}"),
                            data_planes=[Elbv2Plane(), ApiGatewayPlane()]) as running_cloud:
        yield running_cloud
    elb_fx.remove_image(running_cloud.docker)


@pytest.fixture(scope="module")
def target():
    with fx.echo_server() as url:
        yield url


@pytest.fixture(scope="module")
def apigw(cloud):
    return fx.aws_client(cloud, "apigatewayv2")


def test_api_endpoint_answers_as_returned(cloud, apigw, target):
    api = fx.http_api(apigw, {"GET /orders/{id}": fx.http_proxy(f"{target}/orders/{{id}}")})
    assert api["ApiEndpoint"].startswith("http://execute-api.localhost:")
    response = httpx.get(f"{api['ApiEndpoint']}/orders/42?tag=a&tag=b")
    assert response.status_code == 200 and response.headers["apigw-requestid"]
    echoed = response.json()
    assert echoed["path"] == "/orders/42" and echoed["query"] == "tag=a&tag=b"
    ipaddress.ip_address(echoed["headers"]["X-Forwarded-For"])  # the caller's address (this host's, chosen by its routes)


def test_greedy_route_and_method_choice(apigw, target):
    api = fx.http_api(apigw, {"ANY /{proxy+}": fx.http_proxy(f"{target}/any/{{proxy}}"),
                              "POST /orders": fx.http_proxy(f"{target}/create")})
    posted = httpx.post(f"{api['ApiEndpoint']}/orders", content=b'{"n": 1}').json()
    assert posted["path"] == "/create" and posted["method"] == "POST" and posted["body"] == '{"n": 1}'
    other = httpx.delete(f"{api['ApiEndpoint']}/a/b/c").json()
    assert other["path"] == "/any/a/b/c" and other["method"] == "DELETE"


def test_unknown_route_is_404_not_found(apigw, target):
    api = fx.http_api(apigw, {"GET /orders": fx.http_proxy(f"{target}/orders")})
    response = httpx.get(f"{api['ApiEndpoint']}/nothing-here")
    assert response.status_code == 404 and response.content == b'{"message":"Not Found"}'


def test_default_route_passes_the_whole_path_with_curl(apigw, target):
    api = fx.http_api(apigw, {"$default": fx.http_proxy(target)})
    output = subprocess.run(["curl", "-s", f"{api['ApiEndpoint']}/deep/path?q=1"], capture_output=True, text=True,
                            check=True).stdout
    assert '"path": "/deep/path"' in output and '"query": "q=1"' in output


def test_a_disabled_endpoint_is_403_forbidden(apigw, target):
    api = fx.http_api(apigw, {"$default": fx.http_proxy(target)})
    apigw.update_api(ApiId=api["ApiId"], DisableExecuteApiEndpoint=True)
    response = httpx.get(f"{api['ApiEndpoint']}/x")
    assert response.status_code == 403 and response.content == b'{"message":"Forbidden"}'


def test_binary_responses_pass_unchanged(apigw, target):
    api = fx.http_api(apigw, {"GET /binary": fx.http_proxy(f"{target}/binary")})
    response = httpx.get(f"{api['ApiEndpoint']}/binary")
    assert response.content == fx.BINARY and response.headers["content-type"] == "application/octet-stream"


def test_named_stage_serves_its_deployment_only(apigw, target):
    api = fx.http_api(apigw, {"GET /v": fx.http_proxy(f"{target}/one")}, stage="prod", auto_deploy=False)
    url = f"{api['ApiEndpoint']}/prod/v"
    assert httpx.get(url).status_code == 404  # nothing deployed yet
    apigw.create_deployment(ApiId=api["ApiId"], StageName="prod")
    assert httpx.get(url).json()["path"] == "/one"
    integration = apigw.get_integrations(ApiId=api["ApiId"])["Items"][0]["IntegrationId"]
    apigw.update_integration(ApiId=api["ApiId"], IntegrationId=integration, IntegrationUri=f"{target}/two")
    assert httpx.get(url).json()["path"] == "/one"  # the change is not deployed
    apigw.create_deployment(ApiId=api["ApiId"], StageName="prod")
    assert httpx.get(url).json()["path"] == "/two"


def test_integration_timeout_is_503_service_unavailable(apigw, target):
    slow = {**fx.http_proxy(f"{target}/slow?seconds=2"), "TimeoutInMillis": 300}
    api = fx.http_api(apigw, {"GET /slow": slow})
    response = httpx.get(f"{api['ApiEndpoint']}/slow", timeout=10)
    assert response.status_code == 503 and response.content == b'{"message":"Service Unavailable"}'


def test_unreachable_target_is_500(apigw):
    api = fx.http_api(apigw, {"GET /x": fx.http_proxy("http://127.0.0.1:9/")})
    response = httpx.get(f"{api['ApiEndpoint']}/x")
    assert response.status_code == 500 and response.json() == {"message": "Internal Server Error"}


def test_quick_create_with_the_aws_cli(cloud, target):
    environment = {**cloud.config.client_environment(), "PATH": "/usr/bin:/bin"}
    output = subprocess.run([AWS_CLI, "apigatewayv2", "create-api", "--name", fx.unique("quick"),
                             "--protocol-type", "HTTP", "--target", target, "--query", "ApiEndpoint",
                             "--output", "text"], capture_output=True, text=True, check=True, env=environment)
    endpoint = output.stdout.strip()
    assert httpx.get(f"{endpoint}/anything").json()["path"] == "/anything"


def test_stage_throttling_answers_429(apigw, target):
    api = fx.http_api(apigw, {"GET /t": fx.http_proxy(f"{target}/t")})
    apigw.update_stage(ApiId=api["ApiId"], StageName="$default",
                       DefaultRouteSettings={"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.5})
    with httpx.Client() as client:
        statuses = [client.get(f"{api['ApiEndpoint']}/t").status_code for _ in range(4)]
        throttled = client.get(f"{api['ApiEndpoint']}/t")
    assert statuses[:2] == [200, 200] and 429 in statuses
    assert throttled.content == b'{"message":"Too Many Requests"}'


def test_jwt_authorizer_is_said_to_be_not_enforced_once(cloud, apigw, target):
    api = fx.http_api(apigw, {"GET /private": fx.http_proxy(f"{target}/private")})
    authorizer = apigw.create_authorizer(ApiId=api["ApiId"], AuthorizerType="JWT", Name="jwt",
                                         IdentitySource=["$request.header.Authorization"],
                                         JwtConfiguration={"Audience": ["a"], "Issuer": "https://issuer"})
    route = apigw.get_routes(ApiId=api["ApiId"])["Items"][0]["RouteId"]
    apigw.update_route(ApiId=api["ApiId"], RouteId=route, AuthorizationType="JWT",
                       AuthorizerId=authorizer["AuthorizerId"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert httpx.get(f"{api['ApiEndpoint']}/private").status_code == 200
        assert httpx.get(f"{api['ApiEndpoint']}/private").status_code == 200
    said = [w for w in caught if issubclass(w.category, NotEnforcedLocally) and api["ApiId"] in str(w.message)]
    assert len(said) == 1 and "JWT authorizers" in str(said[0].message)
    assert (api["ApiId"], "JWT authorizers") in cloud.part("apigateway").notices.said()


def test_deleted_api_stops_answering(apigw, target):
    api = fx.http_api(apigw, {"$default": fx.http_proxy(target)})
    apigw.delete_api(ApiId=api["ApiId"])

    def refused():
        try:
            httpx.get(api["ApiEndpoint"], timeout=1)
        except httpx.HTTPError:
            return True
        return False
    wait_for(refused, deadline_s=5, what="the deleted API's port closed")


def load_balancer_with_a_target(cloud, name: str):
    """(elbv2 client, load balancer, listener, target group) with one healthy echoing target."""
    elb_fx.build_image(cloud.docker)
    _, ip = elb_fx.start_target(cloud, name)
    elbv2 = elb_fx.aws_client(cloud, "elbv2", validate=False)
    vpc, subnet_ids = elb_fx.subnets(cloud)
    group = elb_fx.create_target_group(elbv2, vpc)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8080}])
    balancer = elbv2.create_load_balancer(Name=elb_fx.unique("alb"), Subnets=subnet_ids)["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])["Listeners"][0]
    wait_for(lambda: set(elb_fx.states(elbv2, group).values()) == {"healthy"}, what="target healthy")
    return elbv2, balancer, listener, group


def test_http_proxy_through_a_load_balancer(cloud, apigw):
    elbv2, balancer, listener, group = load_balancer_with_a_target(cloud, "api-target")
    _, subnet_ids = elb_fx.subnets(cloud)
    link = apigw.create_vpc_link(Name=fx.unique("link"), SubnetIds=subnet_ids)["VpcLinkId"]
    private = {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY", "PayloadFormatVersion": "1.0",
               "ConnectionType": "VPC_LINK", "ConnectionId": link, "IntegrationUri": listener["ListenerArn"]}
    api = fx.http_api(apigw, {"ANY /public/{proxy+}": fx.http_proxy(f"http://{balancer['DNSName']}/{{proxy}}"),
                              "$default": private})
    public = httpx.get(f"{api['ApiEndpoint']}/public/books/1").json()
    assert public["path"] == "/books/1" and public["hostname"].startswith("api-target")
    assert httpx.get(f"{api['ApiEndpoint']}/orders/5").json()["path"] == "/orders/5"


def test_a_source_ip_rule_for_this_machine_keeps_a_public_integration_out(cloud, apigw):
    # On AWS a public integration comes from AWS's addresses: the rule that lets the learner reach a service's admin
    # paths does not let the public API reach them.
    elbv2, balancer, listener, group = load_balancer_with_a_target(cloud, "api-admin")
    admin = {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/admin/*"]}}
    elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=1, Actions=[{"Type": "forward", "TargetGroupArn": group}],
                      Conditions=[admin, {"Field": "source-ip", "SourceIpConfig": {"Values": ["127.0.0.1/32"]}}])
    elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=2, Conditions=[admin], Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403", "MessageBody": "admin only"}}])
    api = fx.http_api(apigw, {"ANY /{proxy+}": fx.http_proxy(f"http://{balancer['DNSName']}/{{proxy}}")})

    direct = httpx.get(f"http://{balancer['DNSName']}/admin/faults")
    assert direct.status_code == 200 and direct.json()["path"] == "/admin/faults"
    through_the_api = httpx.get(f"{api['ApiEndpoint']}/admin/faults")
    assert (through_the_api.status_code, through_the_api.text) == (403, "admin only")
    books = httpx.get(f"{api['ApiEndpoint']}/books/1").json()
    assert books["path"] == "/books/1"
    assert not any(name.lower() == "x-localcloud-public-source" for name in books["headers"])  # the mark stays inside


def test_a_container_on_the_cloud_network_calls_the_api_as_returned(cloud, apigw, target):
    # What lets an ECS task call an API (orders' synchronous confirmation): the same URL as on this host.
    api = fx.http_api(apigw, {"GET /from-a-task": fx.http_proxy(f"{target}/from-a-task")})
    script = f"import urllib.request; print(urllib.request.urlopen('{api['ApiEndpoint']}/from-a-task', timeout=5).read().decode())"
    output = cloud.docker.containers.run(elb_fx.build_image(cloud.docker), ["python", "-c", script], remove=True,
                                         network=cloud.network.name, labels=cloud.labels("test"))
    assert '"path": "/from-a-task"' in output.decode()


# --- access logs --------------------------------------------------------------------------------------------------
ACCESS_FORMAT = ('{"requestId":"$context.requestId","routeKey":"$context.routeKey","status":"$context.status",'
                 '"stage":"$context.stage","method":"$context.httpMethod","path":"$context.path",'
                 '"ip":"$context.identity.sourceIp","length":"$context.responseLength",'
                 '"integrationStatus":"$context.integration.status","error":"$context.error.message",'
                 '"unknown":"$context.noSuchVariable"}')


def log_group(cloud, logs) -> tuple[str, str]:
    """A new log group: (name, ARN)."""
    name = fx.unique("/apigateway/access")
    logs.create_log_group(logGroupName=name)
    return name, f"arn:aws:logs:{cloud.config.region}:{cloud.config.account_id}:log-group:{name}"


def test_access_log_writes_a_line_per_request_with_the_response_request_id(cloud, apigw, target):
    logs = fx.aws_client(cloud, "logs")
    group, group_arn = log_group(cloud, logs)
    api = fx.http_api(apigw, {"GET /orders/{id}": fx.http_proxy(f"{target}/orders/{{id}}")})
    apigw.update_stage(ApiId=api["ApiId"], StageName="$default",
                       AccessLogSettings={"DestinationArn": group_arn, "Format": ACCESS_FORMAT})
    response = httpx.get(f"{api['ApiEndpoint']}/orders/42")
    events = wait_for(lambda: logs.filter_log_events(logGroupName=group)["events"], what="an access log line")
    line = json.loads(events[0]["message"])
    ipaddress.ip_address(line.pop("ip"))
    assert len(events) == 1 and line == {
        "requestId": response.headers["apigw-requestid"], "routeKey": "GET /orders/{id}", "status": "200",
        "stage": "$default", "method": "GET", "path": "/orders/42", "length": str(len(response.content)),
        "integrationStatus": "200", "error": "-", "unknown": "-"}


def test_no_access_log_line_without_settings_nor_into_a_missing_log_group(cloud, apigw, target):
    logs = fx.aws_client(cloud, "logs")
    group, group_arn = log_group(cloud, logs)
    missing_arn = group_arn.replace(group, f"{group}-missing")
    api = fx.http_api(apigw, {"$default": fx.http_proxy(target)})  # its $default stage logs nothing
    for stage, arn in (("missing", missing_arn), ("logged", group_arn)):
        apigw.create_stage(ApiId=api["ApiId"], StageName=stage, AutoDeploy=True,
                           AccessLogSettings={"DestinationArn": arn, "Format": "$context.requestId"})
    answers = [httpx.get(f"{api['ApiEndpoint']}{prefix}/x") for prefix in ("", "/missing", "/logged")]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    # Lines are written in request order: once the last one is in, the earlier two were written or dropped.
    events = wait_for(lambda: logs.filter_log_events(logGroupName=group)["events"], what="an access log line")
    assert [event["message"] for event in events] == [answers[2].headers["apigw-requestid"]]
    assert logs.describe_log_groups(logGroupNamePrefix=f"{group}-missing")["logGroups"] == []
