"""Security groups on the paths the local cloud carries, with real tasks: a Cloud Map name between tasks, a load
balancer's health checks and clients, and API Gateway in front of a load balancer. Each path is refused first (a
timeout, as on AWS), then admitted once the rule that was missing is authorized."""
import time
from types import SimpleNamespace

import httpx
import pytest

from localcloud import security_groups
from localcloud.apigateway import ApiGatewayPlane
from localcloud.awslambda import LambdaPlane
from localcloud.elbv2 import Elbv2Plane
from tests.localcloud.lambda_fixtures import zipped
from tests.localcloud.ecs_fixtures import PORT, client, default_subnet, ecs_cloud, fast, register_fargate, wait_for, \
    web_container

pytestmark = pytest.mark.docker

CLUSTER = "guarded"
TIMED_OUT = 3  # the caller task's exit code when its request to catalog timed out
CALL_CATALOG = """
import sys, urllib.request
try:
    urllib.request.urlopen("http://catalog.shop.local:8000/", timeout=4).read()
except TimeoutError:
    sys.exit(3)
except OSError as error:
    sys.exit(3 if isinstance(getattr(error, "reason", None), TimeoutError) else 4)
"""


@pytest.fixture(scope="module")
def cloud():
    with ecs_cloud("security-groups", other_planes=(Elbv2Plane(), ApiGatewayPlane(), LambdaPlane())) as cloud:
        client(cloud, "ecs").create_cluster(clusterName=CLUSTER)
        yield cloud


def tcp(port: int, group: str | None = None, cidr: str | None = None) -> list[dict]:
    permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if group:
        permission["UserIdGroupPairs"] = [{"GroupId": group}]
    if cidr:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    return [permission]


@pytest.fixture(scope="module")
def network(cloud):
    """The workshop's groups: the load balancer's (port 80 from one outside range only, for now) and the tasks'
    (8000 from the load balancer only)."""
    ec2 = client(cloud, "ec2")
    vpc = ec2.describe_subnets(SubnetIds=[default_subnet(cloud)])["Subnets"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    new_group = lambda name: ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]  # noqa
    alb, tasks = new_group("alb"), new_group("tasks")
    ec2.authorize_security_group_ingress(GroupId=alb, IpPermissions=tcp(80, cidr="203.0.113.0/24"))
    ec2.authorize_security_group_ingress(GroupId=tasks, IpPermissions=tcp(PORT, group=alb))
    return SimpleNamespace(ec2=ec2, vpc=vpc, subnets=subnets[:2], alb=alb, tasks=tasks, new_group=new_group)


def awsvpc(network, group: str) -> dict:
    return {"awsvpcConfiguration": {"subnets": network.subnets[:1], "securityGroups": [group]}}


def authorize(network, group: str, permissions: list[dict]) -> None:
    network.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=permissions)


def authorize_once(network, group: str, permissions: list[dict]) -> None:
    """As `authorize`; a rule an earlier test added is fine (the tests may run alone)."""
    try:
        authorize(network, group, permissions)
    except network.ec2.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "InvalidPermission.Duplicate":
            raise


# --- task → task by Cloud Map name ------------------------------------------------------------------------------------
def exit_code_of_a_task(cloud, network, task_definition: str) -> int:
    ecs = client(cloud, "ecs")
    arn = ecs.run_task(cluster=CLUSTER, taskDefinition=task_definition, launchType="FARGATE",
                       networkConfiguration=awsvpc(network, network.tasks))["tasks"][0]["taskArn"]
    fast("tasks_stopped", ecs)(cluster=CLUSTER, tasks=[arn])
    return ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]["containers"][0]["exitCode"]


@pytest.fixture(scope="module")
def catalog(cloud, network):
    """catalog: a service of one task in the tasks' group, registered in Cloud Map as catalog.shop.local."""
    ecs, discovery = client(cloud, "ecs"), client(cloud, "servicediscovery")
    discovery.create_private_dns_namespace(Name="shop.local", Vpc=network.vpc)
    namespace = next(n for n in discovery.list_namespaces()["Namespaces"] if n["Name"] == "shop.local")
    registry = discovery.create_service(Name="catalog", NamespaceId=namespace["Id"],
                                        DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]["Arn"]
    ecs.create_service(cluster=CLUSTER, serviceName="catalog", desiredCount=1, launchType="FARGATE",
                       taskDefinition=register_fargate(ecs, "catalog", [web_container()]),
                       networkConfiguration=awsvpc(network, network.tasks),
                       serviceRegistries=[{"registryArn": registry}])
    fast("services_stable", ecs)(cluster=CLUSTER, services=["catalog"])
    yield "http://catalog.shop.local:8000/"
    ecs.delete_service(cluster=CLUSTER, service="catalog", force=True)


def test_orders_reaches_catalog_by_its_cloud_map_name_only_once_the_tasks_group_admits_itself(cloud, network,
                                                                                              catalog):
    ecs = client(cloud, "ecs")
    orders = register_fargate(ecs, "orders", [web_container(command=["python", "-c", CALL_CATALOG])])
    # Module 05's mistake: orders and catalog share a group that admits only the load balancer on 8000.
    assert exit_code_of_a_task(cloud, network, orders) == TIMED_OUT
    authorize(network, network.tasks, tcp(PORT, group=network.tasks))  # the self-referencing rule
    assert exit_code_of_a_task(cloud, network, orders) == 0


CALLING_FUNCTION = """
import urllib.request
def handler(event, context):
    try:
        return urllib.request.urlopen(event["url"], timeout=2).read().decode()
    except Exception as error:
        return type(error).__name__
"""


def test_a_function_in_the_vpc_calls_catalog_from_its_group_and_one_outside_cannot(cloud, network, catalog):
    authorize_once(network, network.tasks, tcp(PORT, group=network.tasks))  # as the workshop's network has it
    iam, functions = client(cloud, "iam"), client(cloud, "lambda")
    role = iam.create_role(RoleName="caller", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.attach_role_policy(RoleName="caller",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
    answers = {}
    for name, extra in {"inside": {"VpcConfig": {"SubnetIds": network.subnets[:1],
                                                 "SecurityGroupIds": [network.tasks]}},
                        "outside": {}}.items():
        functions.create_function(FunctionName=name, Runtime="python3.13", Role=role, Handler="app.handler",
                                  Code={"ZipFile": zipped({"app.py": CALLING_FUNCTION})}, Timeout=15, **extra)
        functions.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
        payload = functions.invoke(FunctionName=name, Payload=f'{{"url": "{catalog}"}}'.encode())["Payload"]
        answers[name] = payload.read().decode()
    assert answers["outside"] == '"TimeoutError"'  # a function outside the VPC reaches no private name
    assert answers["inside"].startswith('"ecs-') and answers["inside"].endswith(' 1"')  # catalog's hostname


# --- clients → load balancer → targets --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def balanced(cloud, network):
    """An ALB in the `alb` group, forwarding to a service whose tasks are in a group with no rule yet."""
    ecs, elbv2 = client(cloud, "ecs"), client(cloud, "elbv2")
    closed = network.new_group("closed")
    group = elbv2.create_target_group(
        Name="guarded", Protocol="HTTP", Port=PORT, VpcId=network.vpc, TargetType="ip", HealthCheckPath="/health",
        HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
        UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    balancer = elbv2.create_load_balancer(Name="guarded", Subnets=network.subnets,
                                          SecurityGroups=[network.alb])["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])["Listeners"][0]
    ecs.create_service(cluster=CLUSTER, serviceName="web", desiredCount=1, launchType="FARGATE",
                       taskDefinition=register_fargate(ecs, "web", [web_container()]),
                       networkConfiguration=awsvpc(network, closed), healthCheckGracePeriodSeconds=600,
                       loadBalancers=[{"targetGroupArn": group, "containerName": "web", "containerPort": PORT}])
    yield SimpleNamespace(elbv2=elbv2, group=group, closed=closed, url=f"http://{balancer['DNSName']}/",
                          listener=listener["ListenerArn"])
    ecs.delete_service(cluster=CLUSTER, service="web", force=True)


def target_health(balanced) -> tuple:
    found = balanced.elbv2.describe_target_health(TargetGroupArn=balanced.group)["TargetHealthDescriptions"]
    return tuple((d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"), d["TargetHealth"].get("Description"))
                 for d in found)


def answer_or_timeout(url: str, timeout: float = 1.5):
    try:
        return httpx.get(url, timeout=timeout)
    except httpx.TimeoutException:
        return "timeout"


def test_health_checks_time_out_until_the_targets_group_admits_the_load_balancer(balanced, network):
    wait_for(lambda: ("unhealthy", "Target.Timeout", "Request timed out") in target_health(balanced),
             timeout=90, message="the target unhealthy with Target.Timeout")
    assert ("healthy", None, None) not in target_health(balanced)
    authorize(network, balanced.closed, tcp(PORT, group=network.alb))
    wait_for(lambda: ("healthy", None, None) in target_health(balanced), timeout=90,
             message="the target healthy once its group admits the load balancer")


def test_a_client_the_load_balancers_group_does_not_admit_gets_no_answer(balanced, network):
    assert answer_or_timeout(balanced.url) == "timeout"
    authorize(network, network.alb, tcp(80, cidr=f"{security_groups.client_address()}/32"))  # "my IP" only
    response = wait_for(lambda: (lambda got: got if got != "timeout" else None)(answer_or_timeout(balanced.url)),
                        timeout=10, message="an answer once the client's address is admitted")
    assert response.status_code in (200, 503)  # 503 while the target is not healthy yet


# --- API Gateway → load balancer ----------------------------------------------------------------------------------
def test_api_gateway_reaches_the_load_balancer_only_as_its_group_admits_it(cloud, balanced, network):
    apigw = client(cloud, "apigatewayv2")
    link_group = network.new_group("vpc-link")
    link = apigw.create_vpc_link(Name="link", SubnetIds=network.subnets, SecurityGroupIds=[link_group])["VpcLinkId"]
    api = apigw.create_api(Name="guarded", ProtocolType="HTTP")
    for route, integration in {
            "GET /public": {"IntegrationUri": balanced.url},
            "GET /private": {"IntegrationUri": balanced.listener, "ConnectionType": "VPC_LINK",
                             "ConnectionId": link}}.items():
        made = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                        PayloadFormatVersion="1.0", TimeoutInMillis=1000, **integration)
        apigw.create_route(ApiId=api["ApiId"], RouteKey=route, Target=f"integrations/{made['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    public, private = f"{api['ApiEndpoint']}/public", f"{api['ApiEndpoint']}/private"
    refused = (503, '{"message":"Service Unavailable"}')  # an HTTP API's answer when its integration times out

    def answer(url):
        response = httpx.get(url, timeout=10)
        return response.status_code, response.text
    assert answer(public) == refused and answer(private) == refused
    authorize(network, network.alb, tcp(80, group=link_group))  # the VPC link's group, for the private route
    time.sleep(security_groups.CACHE_S)
    assert answer(private) != refused and answer(public) == refused
    authorize(network, network.alb, tcp(80, cidr="0.0.0.0/0"))  # the internet, for the public route
    time.sleep(security_groups.CACHE_S)
    assert answer(public) != refused
