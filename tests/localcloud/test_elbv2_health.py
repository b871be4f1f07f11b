"""ELBv2 target health and failures, end to end: real health checks, 503 / 502 / 504 as an ALB gives them, draining."""
import threading
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


def behind_load_balancer(cloud, elbv2, network, count: int, **health_settings):
    """`count` fresh targets in a target group behind a new load balancer, all healthy.

    Returns (base URL, target group ARN, [(container, ip)])."""
    targets = [fx.start_target(cloud) for _ in range(count)]
    group = fx.create_target_group(elbv2, network[0], **health_settings)
    balancer = elbv2.create_load_balancer(Name=fx.unique("alb"), Subnets=network[1])["LoadBalancers"][0]
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8080} for _, ip in targets])
    fx.wait_for(lambda: set(fx.states(elbv2, group).values()) == {"healthy"}, what="all targets healthy")
    return f"http://{balancer['DNSName']}", group, targets


def health_of(elbv2, group, ip) -> dict:
    described = elbv2.describe_target_health(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8080}])
    return described["TargetHealthDescriptions"][0]["TargetHealth"]


def hostname(container) -> str:
    return container.attrs["Config"]["Hostname"]


def test_a_target_failing_its_health_check_turns_unhealthy_gets_no_traffic_and_recovers(cloud, elbv2, network):
    base, group, [(sick, sick_ip), (well, _)] = behind_load_balancer(cloud, elbv2, network, 2)
    httpx.get(f"{fx.target_url(cloud, sick_ip)}/control/sick")
    fx.wait_for(lambda: health_of(elbv2, group, sick_ip)["State"] == "unhealthy", what="unhealthy")
    assert health_of(elbv2, group, sick_ip) == {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                                                "Description": "Health checks failed with these codes: [500]"}
    assert cloud.part("elbv2").target_health(group, sick_ip, 8080) == "unhealthy"
    with httpx.Client() as client:
        assert {client.get(f"{base}/").json()["hostname"] for _ in range(6)} == {hostname(well)}
    httpx.get(f"{fx.target_url(cloud, sick_ip)}/control/well")
    fx.wait_for(lambda: health_of(elbv2, group, sick_ip)["State"] == "healthy", what="healthy again")
    with httpx.Client() as client:
        assert {client.get(f"{base}/").json()["hostname"] for _ in range(6)} == {hostname(sick), hostname(well)}


def test_no_healthy_target_gives_503(cloud, elbv2, network):
    base, group, targets = behind_load_balancer(cloud, elbv2, network, 2)
    for _, ip in targets:
        httpx.get(f"{fx.target_url(cloud, ip)}/control/sick")
    fx.wait_for(lambda: set(fx.states(elbv2, group).values()) == {"unhealthy"}, what="all unhealthy")
    response = httpx.get(f"{base}/")
    assert response.status_code == 503
    assert "503 Service Temporarily Unavailable" in response.text


def test_a_killed_target_gives_502_until_the_health_check_marks_it(cloud, elbv2, network):
    base, group, [(container, ip)] = behind_load_balancer(cloud, elbv2, network, 1)
    assert httpx.get(f"{base}/").status_code == 200
    container.kill()
    assert httpx.get(f"{base}/", timeout=30).status_code == 502
    fx.wait_for(lambda: health_of(elbv2, group, ip)["State"] == "unhealthy", what="unhealthy")
    assert health_of(elbv2, group, ip)["Reason"] in ("Target.FailedHealthChecks", "Target.Timeout")
    assert httpx.get(f"{base}/").status_code == 503


def test_a_target_dying_mid_request_gives_502(cloud, elbv2, network):
    base, _, _ = behind_load_balancer(cloud, elbv2, network, 1)
    assert httpx.get(f"{base}/control/die").status_code == 502


def test_a_target_slower_than_the_idle_timeout_gives_504(cloud, elbv2, network):
    base, group, _ = behind_load_balancer(cloud, elbv2, network, 1)
    balancer_arn = elbv2.describe_target_groups(TargetGroupArns=[group])["TargetGroups"][0]["LoadBalancerArns"][0]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=balancer_arn, Attributes=[
        {"Key": "idle_timeout.timeout_seconds", "Value": "1"}])
    assert httpx.get(f"{base}/slow?seconds=3", timeout=10).status_code == 504
    assert httpx.get(f"{base}/").status_code == 200


def test_a_deregistered_target_drains_its_requests_in_flight_then_is_unused(cloud, elbv2, network):
    base, group, [(leaving, leaving_ip), (staying, _)] = behind_load_balancer(cloud, elbv2, network, 2)
    slow = {}
    with httpx.Client() as client:
        # Round robin: of two requests in a row, one reaches the leaving target; make that one slow.
        first = client.get(f"{base}/").json()["hostname"]
        path = "/slow?seconds=3" if first != hostname(leaving) else "/"
        if path == "/":
            client.get(f"{base}/")
            path = "/slow?seconds=3"
    thread = threading.Thread(target=lambda: slow.update(response=httpx.get(f"{base}{path}", timeout=10)))
    thread.start()
    fx.wait_for(lambda: httpx.get(f"{fx.target_url(cloud, leaving_ip)}/control/in-flight").text == "1", what="request in flight")
    elbv2.deregister_targets(TargetGroupArn=group, Targets=[{"Id": leaving_ip, "Port": 8080}])
    assert health_of(elbv2, group, leaving_ip) == {"State": "draining", "Reason": "Target.DeregistrationInProgress",
                                                   "Description": "Target deregistration is in progress"}
    assert cloud.part("elbv2").target_health(group, leaving_ip, 8080) == "draining"
    with httpx.Client() as client:
        assert {client.get(f"{base}/").json()["hostname"] for _ in range(4)} == {hostname(staying)}
    thread.join()
    assert slow["response"].json()["hostname"] == hostname(leaving)
    fx.wait_for(lambda: health_of(elbv2, group, leaving_ip)["State"] == "unused", what="unused")
    assert health_of(elbv2, group, leaving_ip)["Reason"] == "Target.NotRegistered"
    assert leaving_ip not in {key.split(":")[0] for key in fx.states(elbv2, group)}


def test_a_new_target_is_initial_until_its_first_check_passes(cloud, elbv2, network):
    _, group, _ = behind_load_balancer(cloud, elbv2, network, 1, HealthCheckPath="/slow?seconds=2",
                                       HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=4)
    _, newcomer = fx.start_target(cloud)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": newcomer, "Port": 8080}])
    assert health_of(elbv2, group, newcomer)["State"] == "initial"
    assert health_of(elbv2, group, newcomer)["Reason"] in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")
    assert cloud.part("elbv2").target_health(group, newcomer, 8080) in ("initial", "unused")
    fx.wait_for(lambda: health_of(elbv2, group, newcomer)["State"] == "healthy", what="healthy")


def test_the_matcher_decides_which_status_codes_pass(cloud, elbv2, network):
    _, group, [(_, ip)] = behind_load_balancer(cloud, elbv2, network, 1)
    elbv2.modify_target_group(TargetGroupArn=group, Matcher={"HttpCode": "201-299"})
    fx.wait_for(lambda: health_of(elbv2, group, ip)["State"] == "unhealthy", what="unhealthy")
    assert health_of(elbv2, group, ip)["Description"] == "Health checks failed with these codes: [200]"


def test_targets_of_a_group_no_listener_uses_are_unused(cloud, elbv2, network):
    _, ip = fx.start_target(cloud)
    group = fx.create_target_group(elbv2, network[0])
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8080}])
    fx.wait_for(lambda: health_of(elbv2, group, ip)["State"] == "unused", what="unused")
    assert health_of(elbv2, group, ip)["Reason"] == "Target.NotInUse"
