"""ELBv2 routing, end to end: requests to `http://{DNSName}/…` reach target containers by the listener's rules."""
import collections
import json
import subprocess
import uuid

import httpx
import pytest

import localcloud
from localcloud.config import Config
from localcloud.elbv2 import Elbv2Plane
from tests.localcloud import elbv2_fixtures as fx

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with localcloud.running(Config(port=0, instance=f"t-elbv2-{uuid.uuid4().hex[:8]}"),
                            data_planes=[Elbv2Plane()]) as running_cloud:
        fx.build_image(running_cloud.docker)
        yield running_cloud
    fx.remove_image(running_cloud.docker)


@pytest.fixture(scope="module")
def elbv2(cloud):
    return fx.aws_client(cloud, "elbv2", validate=False)


@pytest.fixture(scope="module")
def network(cloud):
    return fx.subnets(cloud)


@pytest.fixture(scope="module")
def targets(cloud):
    """Four running target containers: (container, ip) each."""
    return [fx.start_target(cloud, f"web{index}") for index in range(4)]


def serving_group(elbv2, vpc, target_ips) -> str:
    """A target group with these targets (they turn healthy once a listener uses the group)."""
    group = fx.create_target_group(elbv2, vpc)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8080} for ip in target_ips])
    return group


def wait_until_healthy(elbv2, *groups) -> None:
    for group in groups:
        fx.wait_for(lambda: set(fx.states(elbv2, group).values()) == {"healthy"}, what="all targets healthy")


def load_balancer(elbv2, subnet_ids, default_actions, port=80):
    balancer = elbv2.create_load_balancer(Name=fx.unique("alb"), Subnets=subnet_ids)["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                     DefaultActions=default_actions)["Listeners"][0]
    return balancer, listener


def forward(group):
    return [{"Type": "forward", "TargetGroupArn": group}]


def hostnames(url: str, count: int) -> list[str]:
    with httpx.Client(timeout=10) as client:
        return [client.get(url).json()["hostname"] for _ in range(count)]


def test_dns_name_reaches_the_targets_round_robin(elbv2, network, targets):
    group = serving_group(elbv2, network[0], [ip for _, ip in targets[:2]])
    balancer, _ = load_balancer(elbv2, network[1], forward(group))
    wait_until_healthy(elbv2, group)
    assert balancer["DNSName"].startswith("elb.localhost:")
    seen = hostnames(f"http://{balancer['DNSName']}/", 6)
    assert len(set(seen)) == 2
    assert seen[:2] * 3 == seen


def test_requests_reach_the_target_with_method_path_query_body_and_forwarded_headers(elbv2, network, targets):
    group = serving_group(elbv2, network[0], [targets[0][1]])
    balancer, _ = load_balancer(elbv2, network[1], forward(group))
    wait_until_healthy(elbv2, group)
    response = httpx.post(f"http://{balancer['DNSName']}/orders/7?expand=items", content=b'{"qty": 2}',
                          headers={"X-Custom": "kept"})
    echoed = response.json()
    assert (echoed["method"], echoed["path"], echoed["body"]) == ("POST", "/orders/7?expand=items", '{"qty": 2}')
    assert echoed["headers"]["X-Custom"] == "kept"
    assert echoed["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert echoed["headers"]["X-Forwarded-Proto"] == "http"
    assert echoed["headers"]["X-Forwarded-Port"] == balancer["DNSName"].split(":")[1]
    assert echoed["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert response.headers["content-type"] == "application/json"


def test_two_path_rules_send_requests_to_two_target_groups(elbv2, network, targets):
    (first, first_ip), (second, second_ip) = targets[0], targets[1]
    orders, users = serving_group(elbv2, network[0], [first_ip]), serving_group(elbv2, network[0], [second_ip])
    balancer, listener = load_balancer(elbv2, network[1], [
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain",
                                                           "MessageBody": "no such route"}}])
    for priority, pattern, group in ((10, "/orders*", orders), (20, "/users/?", users)):
        elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=priority, Actions=forward(group),
                          Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [pattern]}}])
    wait_until_healthy(elbv2, orders, users)
    base = f"http://{balancer['DNSName']}"
    first_host = first.attrs["Config"]["Hostname"]
    second_host = second.attrs["Config"]["Hostname"]
    assert httpx.get(f"{base}/orders/1").json()["hostname"] == first_host
    assert httpx.get(f"{base}/users/1").json()["hostname"] == second_host
    unknown = httpx.get(f"{base}/users/12")  # `?` is exactly one character: the default action answers
    assert (unknown.status_code, unknown.text) == (404, "no such route")


def test_lower_priority_number_wins_and_host_header_rules_match(elbv2, network, targets):
    group = serving_group(elbv2, network[0], [targets[0][1]])
    balancer, listener = load_balancer(elbv2, network[1], forward(group))
    wait_until_healthy(elbv2, group)
    for priority, condition, body in (
            (5, {"Field": "host-header", "HostHeaderConfig": {"Values": ["api.*.example.com"]}}, "api"),
            (1, {"Field": "path-pattern", "Values": ["/special"]}, "special"),
            (2, {"Field": "path-pattern", "Values": ["/spec*"]}, "spec-anything")):
        elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=priority, Conditions=[condition], Actions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": body}}])
    base = f"http://{balancer['DNSName']}"
    assert httpx.get(f"{base}/special").text == "special"
    assert httpx.get(f"{base}/spectacle").text == "spec-anything"
    assert httpx.get(f"{base}/x", headers={"Host": "api.eu.example.com"}).text == "api"
    assert "hostname" in httpx.get(f"{base}/x").json()


def test_fixed_response_answers_without_targets(elbv2, network):
    balancer, _ = load_balancer(elbv2, network[1], [{"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "503", "ContentType": "application/json", "MessageBody": '{"down": "for maintenance"}'}}])
    response = httpx.get(f"http://{balancer['DNSName']}/anything")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"down": "for maintenance"}


def test_weighted_target_groups_get_requests_in_proportion(elbv2, network, targets):
    (blue, blue_ip), (green, green_ip) = targets[2], targets[3]
    blue_group, green_group = serving_group(elbv2, network[0], [blue_ip]), serving_group(elbv2, network[0], [green_ip])
    balancer, _ = load_balancer(elbv2, network[1], [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": blue_group, "Weight": 3}, {"TargetGroupArn": green_group, "Weight": 1}]}}])
    wait_until_healthy(elbv2, blue_group, green_group)
    counts = collections.Counter(hostnames(f"http://{balancer['DNSName']}/", 40))
    assert counts == {blue.attrs["Config"]["Hostname"]: 30, green.attrs["Config"]["Hostname"]: 10}


def test_redirect_action_points_at_the_same_load_balancer(elbv2, network):
    balancer, _ = load_balancer(elbv2, network[1], [{"Type": "redirect", "RedirectConfig": {
        "Path": "/new/#{path}", "StatusCode": "HTTP_301"}}])
    response = httpx.get(f"http://{balancer['DNSName']}/old?page=2")
    assert response.status_code == 301
    assert response.headers["location"] == f"http://{balancer['DNSName']}/new/old?page=2"


def test_a_listener_on_another_port_has_its_own_url(cloud, elbv2, network):
    balancer, web = load_balancer(elbv2, network[1], [{"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "200", "MessageBody": "port 80"}}])
    admin = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=8443,
                                  DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                      "StatusCode": "200", "MessageBody": "port 8443"}}])["Listeners"][0]
    plane = cloud.part("elbv2")
    assert plane.listener_url(web["ListenerArn"]) == f"http://{balancer['DNSName']}"
    assert httpx.get(plane.listener_url(admin["ListenerArn"])).text == "port 8443"
    assert httpx.get(f"http://{balancer['DNSName']}/").text == "port 80"
    listed = cloud.status()["parts"]["elbv2"]["load_balancers"][balancer["LoadBalancerName"]]["listeners"]
    assert listed == {"HTTP:80": f"http://{balancer['DNSName']}", "HTTP:8443": plane.listener_url(admin["ListenerArn"])}


def test_deleting_the_listener_closes_its_port(elbv2, network):
    balancer, listener = load_balancer(elbv2, network[1], [{"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "200", "MessageBody": "up"}}])
    url = f"http://{balancer['DNSName']}/"
    assert httpx.get(url).text == "up"
    elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])

    def refused():
        try:
            httpx.get(url, timeout=2)
        except httpx.TransportError:
            return True
        return False
    fx.wait_for(refused, what="port closed")


def test_the_aws_cli_sees_the_dns_name_that_answers(cloud, elbv2, network):
    balancer, _ = load_balancer(elbv2, network[1], [{"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "200", "MessageBody": "hello from the cli"}}])
    described = subprocess.run(
        [fx.AWS_CLI, "elbv2", "describe-load-balancers", "--names", balancer["LoadBalancerName"], "--output", "json"],
        env={**cloud.config.client_environment(), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    dns_name = json.loads(described.stdout)["LoadBalancers"][0]["DNSName"]
    assert httpx.get(f"http://{dns_name}/").text == "hello from the cli"
