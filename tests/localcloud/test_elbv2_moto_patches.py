"""One test per moto ELBv2 behaviour the data plane fixes, and bad input answered the way AWS answers it."""
import socket
import uuid

import pytest
from botocore.exceptions import ClientError

import localcloud
from localcloud.config import Config
from localcloud.elbv2 import Elbv2Plane
from tests.localcloud import elbv2_fixtures as fx

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with localcloud.running(Config(port=0, instance=f"t-elbv2-{uuid.uuid4().hex[:8]}"),
                            data_planes=[Elbv2Plane()]) as running_cloud:
        yield running_cloud


@pytest.fixture(scope="module")
def elbv2(cloud):
    return fx.aws_client(cloud, "elbv2", validate=False)


@pytest.fixture(scope="module")
def network(cloud):
    return fx.subnets(cloud)


@pytest.fixture
def balancer(elbv2, network):
    return elbv2.create_load_balancer(Name=fx.unique("alb"), Subnets=network[1])["LoadBalancers"][0]


def fixed(body: str = "ok"):
    return [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": body}}]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_client_error(call, code: str, message: str) -> None:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["Error"]["Message"] == message


def test_create_load_balancer_dns_name_resolves_nowhere(elbv2, balancer):
    host, port = balancer["DNSName"].split(":")
    assert host == "elb.localhost"  # 127.0.0.1 on this host, the edge in containers
    described = elbv2.describe_load_balancers(Names=[balancer["LoadBalancerName"]])["LoadBalancers"][0]
    assert described["DNSName"] == balancer["DNSName"]
    with socket.create_connection((host, int(port)), timeout=2):
        pass


def test_create_listener_duplicate_port_not_detected(elbv2, balancer):
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=fixed())
    assert_client_error(lambda: elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP",
                                                      Port=80, DefaultActions=fixed()),
                        "DuplicateListener", "A listener with the specified port already exists.")


def test_modify_listener_skips_validation(elbv2, network, balancer):
    arn = balancer["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=fixed())
    other = elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=8080,
                                  DefaultActions=fixed())["Listeners"][0]["ListenerArn"]
    assert_client_error(lambda: elbv2.modify_listener(ListenerArn=other, Port=80),
                        "DuplicateListener", "A listener with the specified port already exists.")
    missing = fx.create_target_group(elbv2, network[0])
    elbv2.delete_target_group(TargetGroupArn=missing)
    assert_client_error(lambda: elbv2.modify_listener(ListenerArn=other, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": missing}]), "TargetGroupNotFound", f"Target group '{missing}' not found")


def test_describe_target_health_always_healthy(elbv2, network, balancer):
    group = fx.create_target_group(elbv2, network[0])
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    port = closed_port()
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": port}])
    fx.wait_for(lambda: fx.states(elbv2, group) == {f"127.0.0.1:{port}": "unhealthy"}, what="unhealthy")
    health = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"][0]
    assert health["TargetHealth"] == {"State": "unhealthy", "Reason": "Target.FailedHealthChecks",
                                      "Description": "Health checks failed"}
    assert health["HealthCheckPort"] == str(port)


def test_targets_keyed_by_id_only(elbv2, network):
    group = fx.create_target_group(elbv2, network[0])
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.5", "Port": 8080},
                                                          {"Id": "10.0.1.5", "Port": 8081}])
    assert set(fx.states(elbv2, group)) == {"10.0.1.5:8080", "10.0.1.5:8081"}
    elbv2.deregister_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.5", "Port": 8080}])
    assert set(fx.states(elbv2, group)) == {"10.0.1.5:8081"}


def test_a_rule_forwarding_to_a_missing_target_group_is_refused(elbv2, network, balancer):
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=fixed())["Listeners"][0]["ListenerArn"]
    missing = fx.create_target_group(elbv2, network[0])
    elbv2.delete_target_group(TargetGroupArn=missing)
    assert_client_error(lambda: elbv2.create_rule(
        ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": missing}]),
        "TargetGroupNotFound", f"Target group '{missing}' not found")


def test_a_listener_on_a_missing_load_balancer_is_refused(elbv2, balancer):
    missing = balancer["LoadBalancerArn"]
    elbv2.delete_load_balancer(LoadBalancerArn=missing)
    assert_client_error(lambda: elbv2.create_listener(LoadBalancerArn=missing, Protocol="HTTP", Port=80,
                                                      DefaultActions=fixed()),
                        "LoadBalancerNotFound", "The specified load balancer does not exist.")


def test_a_rule_priority_in_use_is_refused(elbv2, balancer):
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                     DefaultActions=fixed())["Listeners"][0]["ListenerArn"]
    rule = {"ListenerArn": listener, "Priority": 7, "Actions": fixed(),
            "Conditions": [{"Field": "path-pattern", "Values": ["/a"]}]}
    elbv2.create_rule(**rule)
    assert_client_error(lambda: elbv2.create_rule(**rule), "PriorityInUse", "The specified priority is in use.")
