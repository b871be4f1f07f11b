"""The AWS-mode preflight: one OK/WARN/FAIL line per limit the workshop meets, each with what to do, against moto
(which answers some of these and not others: those become "cannot check" lines, never a crash)."""
import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from workshop import doctor, quotas
from tests.aws_fakes import REGION, aws_environment  # noqa: F401


@pytest.fixture
def account(aws_environment):  # noqa: F811
    with mock_aws():
        yield


def line(lines, name):
    return next(found for found in lines if found.name == name)


def test_every_line_is_reported_and_what_moto_cannot_answer_says_so(account):
    lines = quotas.preflight()
    assert [found.name for found in lines] == ["AWS account", "VPCs in this region", "Application Load Balancers",
                                               "Fargate On-Demand vCPUs", "Lambda concurrency",
                                               "ECS service-linked role"]
    assert line(lines, "AWS account").status == "OK" and "123456789012" in line(lines, "AWS account").detail
    assert line(lines, "Fargate On-Demand vCPUs").status == "WARN"
    assert line(lines, "Fargate On-Demand vCPUs").detail.startswith("cannot check")
    assert all(found.fix for found in lines if found.status != "OK")


def test_vpcs_fail_when_the_region_has_no_room_for_every_learner(account):
    ec2 = boto3.client("ec2", region_name=REGION)
    used = len(ec2.describe_vpcs()["Vpcs"])  # moto's default VPC
    for number in range(5 - used - 1):
        ec2.create_vpc(CidrBlock=f"10.{number}.0.0/16")
    assert quotas.check_vpcs(ec2, boto3.client("service-quotas", region_name=REGION), learners=1).status == "OK"
    crowded = quotas.check_vpcs(ec2, boto3.client("service-quotas", region_name=REGION), learners=2)
    assert crowded.status == "FAIL" and "4 of 5 in use, 1 free" in crowded.detail
    assert "--quota-code L-F678F1CE --desired-value 6" in crowded.fix


class FakeLambda:
    def __init__(self, unreserved: int, total: int = 10):
        self.limit = {"UnreservedConcurrentExecutions": unreserved, "ConcurrentExecutions": total}

    def get_account_settings(self):
        return {"AccountLimit": self.limit}


def test_a_new_accounts_lambda_concurrency_is_a_warning_with_the_request_to_make():
    warned = quotas.check_lambda_concurrency(FakeLambda(unreserved=10), learners=1)
    assert warned.status == "WARN" and "module 08 needs 12" in warned.detail
    assert "--quota-code L-B99A9384" in warned.fix
    assert quotas.check_lambda_concurrency(FakeLambda(unreserved=990, total=1000), learners=20).status == "OK"


class FakeQuotas:
    def __init__(self, value=None):
        self.value = value

    def get_service_quota(self, ServiceCode, QuotaCode):
        if self.value is None:
            raise ClientError({"Error": {"Code": "NoSuchResourceException", "Message": "no"}}, "GetServiceQuota")
        return {"Quota": {"Value": self.value}}


def test_fargate_vcpus_for_a_room_of_learners():
    assert quotas.check_fargate_vcpu(FakeQuotas(6), learners=2).status == "OK"
    short = quotas.check_fargate_vcpu(FakeQuotas(6), learners=10)
    assert short.status == "FAIL" and "22.5" in short.detail and "L-3032A538" in short.fix


def test_the_ecs_service_linked_role_says_how_to_create_it(account):
    iam = boto3.client("iam", region_name=REGION)
    missing = quotas.check_ecs_service_linked_role(iam)
    assert missing.status == "WARN" and "create-service-linked-role --aws-service-name ecs.amazonaws.com" in missing.fix
    iam.create_role(RoleName="AWSServiceRoleForECS", Path="/aws-service-role/ecs.amazonaws.com/",
                    AssumeRolePolicyDocument="{}")
    assert quotas.check_ecs_service_linked_role(iam).status == "OK"


def test_the_doctor_adds_the_aws_lines_with_aws_and_marks_warnings(account, capsys):
    code = doctor.main(["--aws"], checks=[("Python", lambda: (True, "3.11", ""))])
    out = capsys.readouterr().out
    assert "  ✔  AWS: VPCs in this region" in out
    assert "  !  AWS: Fargate On-Demand vCPUs" in out and "To consider:" in out
    assert code == 0  # warnings alone do not fail the preflight


def test_the_preflight_runs_against_a_local_endpoint_and_names_what_it_cannot_check(aws_environment, monkeypatch):  # noqa: F811
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        lines = quotas.preflight()
    finally:
        server.stop()
    assert len(lines) == 6 and line(lines, "VPCs in this region").status == "OK"
    assert all(found.detail.startswith("cannot check") for found in lines if found.status == "WARN"
               and found.name != "ECS service-linked role")
