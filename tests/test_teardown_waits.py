"""The teardown waits for what AWS makes wait, with progress, within a bound; at the bound it carries on and names
what is left with the AWS CLI command that removes it. AWS's refusals are played here by botocore event hooks on
moto's clients, on a fake clock."""
from dataclasses import dataclass, replace

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from workshop.patience import LeftOver, Patience, retry_while
from workshop.session import Session
from workshop.teardown import inventory, teardown
from tests.aws_fakes import ACCOUNT, REGION, aws_environment, build_workshop  # noqa: F401


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.at = []  # (time, action): what AWS does by itself once that much time has passed

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        for when, action in [item for item in self.at if item[0] <= self.now]:
            action()
            self.at.remove((when, action))


@dataclass(frozen=True)
class PlayedSession(Session):
    """A session whose clients refuse what AWS refuses: `rules` are (botocore event, handler) pairs."""
    rules: tuple = ()

    def client(self, service):
        made = super().client(service)
        for event, handler in self.rules:
            made.meta.events.register(event, handler)
        return made


def refuse(code: str, message: str, operation: str):
    raise ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.fixture
def scene(aws_environment):  # noqa: F811
    with mock_aws():
        clock, lines = FakeClock(), []
        patience = Patience(seconds=120, network_seconds=1500, interval=10, progress_every=60, clock=lambda: clock.now,
                            sleep=clock.sleep, say=lines.append)
        yield clock, lines, patience


def learner_with(rules) -> PlayedSession:
    session = PlayedSession(mode="aws", region=REGION, account=ACCOUNT, prefix="bob", rules=tuple(rules))
    build_workshop(session)
    return session


def lambda_interface_rules(session_ec2):
    """Delete-security-group and delete-subnet fail while a network interface is in them (AWS's rule:
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html)."""
    def in_use(filter_name, value):
        return session_ec2().describe_network_interfaces(
            Filters=[{"Name": filter_name, "Values": [value]}])["NetworkInterfaces"]

    def group(params, **_):
        if in_use("group-id", params["GroupId"]):
            refuse("DependencyViolation", f"resource {params['GroupId']} has a dependent object", "DeleteSecurityGroup")

    def subnet(params, **_):
        if in_use("subnet-id", params["SubnetId"]):
            refuse("DependencyViolation", f"The subnet '{params['SubnetId']}' has dependencies and cannot be deleted.",
                   "DeleteSubnet")
    return [("before-parameter-build.ec2.DeleteSecurityGroup", group),
            ("before-parameter-build.ec2.DeleteSubnet", subnet)]


def add_lambda_interface(session) -> tuple[str, str, str]:
    ec2 = session.client("ec2")
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["bob-tasks"]}])["SecurityGroups"][0]
    subnet = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["bob-public-1"]}])["Subnets"][0]
    interface = ec2.create_network_interface(SubnetId=subnet["SubnetId"], Groups=[group["GroupId"]],
                                             Description="AWS Lambda VPC ENI-bob-recommendations")
    return interface["NetworkInterface"]["NetworkInterfaceId"], group["GroupId"], subnet["SubnetId"]


def test_network_deletion_waits_for_the_lambda_interface_and_the_teardown_ends_clean(scene):
    clock, lines, patience = scene
    session = learner_with(lambda_interface_rules(lambda: plain.client("ec2")))
    plain = Session(mode="aws", region=REGION, account=ACCOUNT, prefix="bob")
    interface, _, _ = add_lambda_interface(session)
    # AWS releases a deleted function's interface minutes later (here: 10).
    clock.at.append((600, lambda: plain.client("ec2").delete_network_interface(NetworkInterfaceId=interface)))
    report = teardown(session, local_containers=False, patience=patience)
    assert report.left == []
    assert {kind: names for kind, names in inventory(session).items() if names} == {}
    assert 600 <= clock.now < 700
    assert any("still waiting" in line and interface in line for line in lines)


def test_what_aws_still_holds_at_the_bound_is_named_with_its_command_and_the_rest_goes(scene):
    clock, lines, patience = scene
    # Any bound will do here; each retry is real work for moto, so a short one keeps the test quick.
    patience = replace(patience, network_seconds=300)
    plain = Session(mode="aws", region=REGION, account=ACCOUNT, prefix="bob")
    session = learner_with(lambda_interface_rules(lambda: plain.client("ec2")))
    _, group, subnet = add_lambda_interface(session)
    report = teardown(session, local_containers=False, patience=patience)
    commands = "\n".join(report.left)
    assert f"aws ec2 delete-security-group --group-id {group} --region {REGION}" in commands
    assert f"aws ec2 delete-subnet --subnet-id {subnet} --region {REGION}" in commands
    assert "aws ec2 delete-vpc --vpc-id vpc-" in commands
    left = {kind for kind, names in inventory(session).items() if names}
    assert left == {"EC2 network"}  # everything else went
    assert clock.now >= patience.network_seconds


def test_the_cluster_is_deleted_once_its_tasks_have_stopped(scene):
    clock, _, patience = scene

    def cluster(params, **_):  # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html
        if clock.now < 45:
            refuse("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.",
                   "DeleteCluster")
    session = learner_with([("before-parameter-build.ecs.DeleteCluster", cluster)])
    report = teardown(session, local_containers=False, patience=patience)
    assert "bob" in report.removed["ECS services, task definitions and cluster"]
    assert report.left == [] and clock.now >= 45


def test_the_namespace_is_gone_only_when_its_operation_succeeds(scene):
    clock, _, patience = scene

    def pending(parsed, **_):  # Cloud Map deletes namespaces asynchronously: the operation is SUBMITTED, then SUCCESS
        if clock.now < 30 and "Operation" in parsed:
            parsed["Operation"]["Status"] = "SUBMITTED"
    session = learner_with([("after-call.servicediscovery.GetOperation", pending)])
    report = teardown(session, local_containers=False, patience=patience)
    assert report.removed["Cloud Map namespace"] == ["bob.local"] and clock.now >= 30


def test_a_failed_namespace_operation_is_named_with_its_command(scene):
    _, _, patience = scene

    def failed(parsed, **_):
        if parsed.get("Operation", {}).get("Type") == "DELETE_NAMESPACE":
            parsed["Operation"].update(Status="FAIL", ErrorCode="RESOURCE_IN_USE", ErrorMessage="a service is in it")
    session = learner_with([("after-call.servicediscovery.GetOperation", failed)])
    report = teardown(session, local_containers=False, patience=patience)
    assert report.removed["Cloud Map namespace"] == []
    assert any("aws servicediscovery delete-namespace --id ns-" in line and "RESOURCE_IN_USE" in line
               for line in report.left)


def test_retry_passes_other_errors_through_at_once(scene):
    clock, _, patience = scene
    with pytest.raises(ClientError, match="AccessDenied"):
        retry_while(patience, lambda: refuse("AccessDenied", "no", "DeleteVpc"), {"DependencyViolation"}, "VPC", "cmd")
    assert clock.now == 0


def test_retry_gives_up_at_the_bound_with_the_command(scene):
    clock, _, patience = scene
    with pytest.raises(LeftOver) as left:
        retry_while(patience, lambda: refuse("DependencyViolation", "in use", "DeleteVpc"), {"DependencyViolation"},
                    "VPC vpc-1", "aws ec2 delete-vpc --vpc-id vpc-1", seconds=100)
    assert left.value.command == "aws ec2 delete-vpc --vpc-id vpc-1" and 100 <= clock.now < 120
