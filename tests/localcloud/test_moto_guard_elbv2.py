"""What the ELBv2 provider relies on in moto, and the moto behaviours it works around; no engine needed.

The first tests run plain `moto.mock_aws()`: when one fails, moto changed and the handler it names may go. The others
serve the provider from a control plane with a stand-in data plane: they fail when moto's response methods, models or
request shapes no longer carry what the handlers read.
"""
import uuid

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID
from localcloud.elbv2 import provider as elbv2_provider
from localcloud.elbv2.provider import Elbv2Provider
from localcloud.elbv2.target_groups import PortKeyedTargetGroup, adopt
from tests.localcloud.fakes import served_by

REGION = "eu-west-3"  # moto's state is per process: a region no other test of this session uses
FIXED = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def network(ec2) -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return vpc, [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
        "Subnet"]["SubnetId"] for i, zone in ((1, "a"), (2, "b"))]


def load_balancer_with_listener(elbv2, subnets: list[str]) -> tuple[str, str]:
    balancer = elbv2.create_load_balancer(Name=unique("lb"), Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80,
                                     DefaultActions=FIXED)["Listeners"][0]["ListenerArn"]
    return balancer, listener


def moto_still_takes(call, message: str):
    try:
        return call()
    except ClientError as error:
        pytest.fail(f"{message} ({error})")


def target_group(elbv2, vpc: str) -> str:
    return elbv2.create_target_group(Name=unique("tg"), Protocol="HTTP", Port=8080, VpcId=vpc,
                                     TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]


# --- moto's behaviours the handlers work around (plain moto) ------------------------------------------------------
@pytest.fixture(scope="module")
def plain():
    with moto.mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        yield boto3.client("elbv2", region_name=REGION), network(ec2), ec2


def test_moto_names_load_balancers_where_nothing_answers(plain):
    elbv2, (_, subnets), _ = plain
    name = unique("lb")
    [balancer] = elbv2.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"]
    assert balancer["DNSName"] == f"{name}-1.{REGION}.elb.amazonaws.com", \
        "moto names load balancers differently now: check Elbv2Provider.create_load_balancer still replaces it"


def test_moto_accepts_a_second_listener_on_a_port_in_use(plain):
    elbv2, (_, subnets), _ = plain
    balancer, _ = load_balancer_with_listener(elbv2, subnets)
    moto_still_takes(lambda: elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80,
                                                   DefaultActions=FIXED),
                     "moto now refuses a duplicate listener port: drop the port check of Elbv2Provider.create_listener")


def test_moto_modify_listener_takes_a_port_in_use_and_a_missing_target_group(plain):
    elbv2, (vpc, subnets), _ = plain
    balancer, _ = load_balancer_with_listener(elbv2, subnets)
    other = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=8080,
                                  DefaultActions=FIXED)["Listeners"][0]["ListenerArn"]
    moto_still_takes(lambda: elbv2.modify_listener(ListenerArn=other, Port=80),
                     "moto now refuses a port in use: drop the port check of Elbv2Provider.modify_listener")
    missing = target_group(elbv2, vpc)
    elbv2.delete_target_group(TargetGroupArn=missing)
    moto_still_takes(lambda: elbv2.modify_listener(ListenerArn=other, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": missing}]),
        "moto now validates actions in modify_listener: drop that check of Elbv2Provider.modify_listener")


def test_moto_reports_every_registered_target_healthy(plain):
    elbv2, (vpc, _), _ = plain
    group = target_group(elbv2, vpc)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.5", "Port": 1}])
    [health] = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    assert health["TargetHealth"]["State"] == "healthy", \
        "moto reports target health itself now: check Elbv2Provider.describe_target_health is still needed"


def test_moto_keys_targets_by_id_alone(plain):
    elbv2, (vpc, _), _ = plain
    group = target_group(elbv2, vpc)
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.5", "Port": 8080},
                                                          {"Id": "10.0.1.5", "Port": 8081}])
    described = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    assert [d["Target"]["Port"] for d in described] == [8081], \
        "moto keys targets by (Id, Port) now: drop localcloud.elbv2.target_groups.PortKeyedTargetGroup"


# --- what the provider relies on ------------------------------------------------------------------------------------
def test_moto_reaches_target_groups_through_their_methods(plain):
    # PortKeyedTargetGroup works only while moto's backend and EC2 call these methods of the group.
    _, (vpc, _), ec2 = plain
    assert set(vars(FakeTargetGroup)) >= {"register", "deregister", "deregister_terminated_instances"}
    backend = get_backend("elbv2")[MOTO_DEFAULT_ACCOUNT_ID][REGION]
    group = backend.create_target_group(unique("tg"), vpc_id=vpc, protocol="HTTP", port=8080, target_type="instance")
    adopt(group)
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    backend.register_targets(group.arn, [{"Id": instance, "Port": 80}, {"Id": instance, "Port": 81}])
    assert set(group.targets) == {(instance, 80), (instance, 81)}
    backend.deregister_targets(group.arn, [{"Id": instance, "Port": 80}])
    assert set(group.targets) == {(instance, 81)}
    ec2.terminate_instances(InstanceIds=[instance])
    assert group.targets == {} and set(group.terminated_targets) == {(instance, 81)}


def test_adopting_a_group_moto_made_keys_its_targets_by_id_and_port(plain):
    _, (vpc, _), _ = plain
    backend = get_backend("elbv2")[MOTO_DEFAULT_ACCOUNT_ID][REGION]
    group = backend.create_target_group(unique("tg"), vpc_id=vpc, protocol="HTTP", port=8080, target_type="ip")
    backend.register_targets(group.arn, [{"Id": "10.0.1.5"}])
    adopt(group)
    assert isinstance(group, PortKeyedTargetGroup)
    assert group.targets == {("10.0.1.5", 8080): {"Id": "10.0.1.5", "Port": 8080}}


class StandInPlane:
    """What the provider asks of the ELBv2 data plane, recorded."""

    def __init__(self):
        self.claimed: list[str] = []
        self.settled = 0

    def backend(self):
        return get_backend("elbv2")[MOTO_DEFAULT_ACCOUNT_ID][REGION]

    def claim_port(self, key: str) -> int:
        self.claimed.append(key)
        return 4000 + len(self.claimed)

    def dns_name_for(self, load_balancer_arn: str) -> str:
        return f"elb.localhost:{self.claim_port(load_balancer_arn)}"

    def settle(self) -> None:
        self.settled += 1

    def describe_target_health(self, group, targets: list[dict]) -> list[FakeHealthStatus]:
        wanted = targets or list(group.targets.values())
        return [FakeHealthStatus(t["Id"], str(t["Port"]), str(t["Port"]), "unhealthy", "Target.FailedHealthChecks",
                                 "Health checks failed") for t in wanted]


@pytest.fixture(scope="module")
def served():
    plane = StandInPlane()
    with served_by(Elbv2Provider(plane, MOTO_DEFAULT_ACCOUNT_ID, REGION), region=REGION) as client:
        yield plane, client("elbv2"), network(client("ec2"))


def assert_client_error(call, code: str) -> None:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == code


def test_create_load_balancer_answers_the_model_it_made(served):
    plane, elbv2, (_, subnets) = served
    [balancer] = elbv2.create_load_balancer(Name=unique("lb"), Subnets=subnets)["LoadBalancers"]
    assert plane.claimed[-1] == balancer["LoadBalancerArn"]
    assert balancer["DNSName"].startswith("elb.localhost:")
    [described] = elbv2.describe_load_balancers(LoadBalancerArns=[balancer["LoadBalancerArn"]])["LoadBalancers"]
    assert described["DNSName"] == balancer["DNSName"]


def test_create_listener_claims_its_port_and_refuses_a_port_in_use(served):
    plane, elbv2, (_, subnets) = served
    balancer, listener = load_balancer_with_listener(elbv2, subnets)
    assert plane.claimed[-1] == listener
    assert_client_error(lambda: elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80,
                                                      DefaultActions=FIXED), "DuplicateListener")


def test_modify_listener_reads_port_and_default_actions(served):
    _, elbv2, (vpc, subnets) = served
    balancer, _ = load_balancer_with_listener(elbv2, subnets)
    other = elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=8080,
                                  DefaultActions=FIXED)["Listeners"][0]["ListenerArn"]
    assert_client_error(lambda: elbv2.modify_listener(ListenerArn=other, Port=80), "DuplicateListener")
    missing = target_group(elbv2, vpc)
    elbv2.delete_target_group(TargetGroupArn=missing)
    assert_client_error(lambda: elbv2.modify_listener(ListenerArn=other, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": missing}]), "TargetGroupNotFound")
    [modified] = elbv2.modify_listener(ListenerArn=other, Port=8081)["Listeners"]
    assert modified["Port"] == 8081


def test_target_groups_key_targets_by_id_and_port_and_report_the_planes_health(served):
    plane, elbv2, (vpc, _) = served
    group = target_group(elbv2, vpc)
    settled = plane.settled
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.5", "Port": 8080},
                                                          {"Id": "10.0.1.5", "Port": 8081}])
    elbv2.deregister_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.5", "Port": 8080}])
    assert plane.settled == settled + 2
    [health] = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    assert health == {"Target": {"Id": "10.0.1.5", "Port": 8081}, "HealthCheckPort": "8081",
                      "TargetHealth": {"State": "unhealthy", "Reason": "Target.FailedHealthChecks",
                                       "Description": "Health checks failed"}}
    assert_client_error(lambda: elbv2.describe_target_health(TargetGroupArn=group + "0"), "TargetGroupNotFound")


def test_every_change_is_followed_before_it_answers(served):
    plane, elbv2, (vpc, subnets) = served
    _, listener = load_balancer_with_listener(elbv2, subnets)
    group = target_group(elbv2, vpc)
    settled = plane.settled
    rule = elbv2.create_rule(ListenerArn=listener, Priority=5, Actions=FIXED,
                             Conditions=[{"Field": "path-pattern", "Values": ["/a"]}])["Rules"][0]["RuleArn"]
    elbv2.modify_target_group(TargetGroupArn=group, HealthCheckPath="/health")
    elbv2.delete_rule(RuleArn=rule)
    elbv2.delete_target_group(TargetGroupArn=group)
    assert plane.settled == settled + 4


def test_classic_elb_calls_are_not_claimed(served):
    _, elbv2, _ = served
    classic = boto3.client("elb", endpoint_url=elbv2.meta.endpoint_url, region_name=REGION,
                           aws_access_key_id="any", aws_secret_access_key="any")
    assert "LoadBalancerDescriptions" in classic.describe_load_balancers()


def test_planes_registering_targets_themselves_get_the_same_keying(served):
    plane, elbv2, (vpc, _) = served
    group = target_group(elbv2, vpc)
    cloud = type("Cloud", (), {"backend": lambda self, service: plane.backend(),
                               "part": lambda self, name: plane})()
    settled = plane.settled
    elbv2_provider.register_targets(cloud, group, [{"Id": "10.0.1.9", "Port": 80}, {"Id": "10.0.1.9", "Port": 81}])
    elbv2_provider.deregister_targets(cloud, group, [{"Id": "10.0.1.9", "Port": 80}])
    assert set(plane.backend().target_groups[group].targets) == {("10.0.1.9", 81)}
    assert plane.settled == settled + 2
