"""AWS's RegisterTaskDefinition rules for Fargate and awslogs, which moto does not apply, through the ECS provider
(no engine)."""
import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend

from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID
from localcloud.ecs.provider import EcsProvider
from localcloud.ecs.validation import units
from tests.localcloud.fakes import served_by

REGION = "ap-southeast-4"  # moto's state is per process: a region no other test of this session uses
EXECUTION_ROLE = f"arn:aws:iam::{MOTO_DEFAULT_ACCOUNT_ID}:role/task-execution"
LOGS = {"awslogs-group": "/ecs/shop", "awslogs-region": REGION, "awslogs-stream-prefix": "web"}


class StandInPlane:
    def backend(self):
        return get_backend("ecs")[MOTO_DEFAULT_ACCOUNT_ID][REGION]


@pytest.fixture(scope="module")
def ecs():
    with served_by(EcsProvider(StandInPlane(), MOTO_DEFAULT_ACCOUNT_ID, REGION), region=REGION) as client:
        yield client("ecs")


def fargate(ecs, cpu="256", memory="512", options=LOGS, execution_role=EXECUTION_ROLE, **extra):
    container = {"name": "web", "image": "web:1", "essential": True,
                 "logConfiguration": {"logDriver": "awslogs", "options": options}}
    role = {"executionRoleArn": execution_role} if execution_role else {}
    sizes = {key: value for key, value in (("cpu", cpu), ("memory", memory)) if value is not None}
    return ecs.register_task_definition(family="web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                        containerDefinitions=[container], **sizes, **role, **extra)["taskDefinition"]


def refused(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_a_valid_fargate_task_definition_registers(ecs):
    registered = fargate(ecs)
    assert (registered["cpu"], registered["memory"], registered["status"]) == ("256", "512", "ACTIVE")


@pytest.mark.parametrize("cpu, memory", [("256", "2048"), ("512", "4096"), ("1024", "3072"), ("4096", "30720"),
                                         ("8192", "20480"), ("16384", "122880"), ("1 vCPU", "2 GB")])
def test_every_documented_fargate_size_registers(ecs, cpu, memory):
    assert fargate(ecs, cpu=cpu, memory=memory)["status"] == "ACTIVE"


@pytest.mark.parametrize("cpu, memory", [("256", "256"), ("512", "512"), ("256", "4096"), ("1024", "1024"),
                                         ("8192", "17408"), ("300", "1024")])
def test_a_size_fargate_does_not_offer_is_refused(ecs, cpu, memory):
    assert refused(lambda: fargate(ecs, cpu=cpu, memory=memory)) == (
        "ClientException", f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
                           f"See the Amazon ECS documentation for the valid values.")


def test_fargate_needs_cpu_and_memory_at_task_level(ecs):
    assert refused(lambda: fargate(ecs, cpu=None)) == (
        "ClientException", "Fargate requires that 'cpu' be defined at the task level.")
    assert refused(lambda: fargate(ecs, memory=None)) == (
        "ClientException", "Fargate requires that 'memory' be defined at the task level.")


def test_fargate_awslogs_needs_a_stream_prefix(ecs):
    options = {key: value for key, value in LOGS.items() if key != "awslogs-stream-prefix"}
    assert refused(lambda: fargate(ecs, options=options)) == (
        "ClientException", "Fargate requires log configuration options to include awslogs-stream-prefix to support "
                           "log driver awslogs.")


def test_fargate_awslogs_needs_an_execution_role(ecs):
    assert refused(lambda: fargate(ecs, execution_role=None)) == (
        "ClientException", "Fargate requires task definition to have execution role ARN to support log driver "
                           "awslogs.")


@pytest.mark.parametrize("option", ["awslogs-group", "awslogs-region"])
def test_awslogs_needs_a_group_and_a_region(ecs, option):
    missing = {key: value for key, value in LOGS.items() if key != option}
    empty = {**LOGS, option: ""}
    for options in (missing, empty):
        assert refused(lambda: fargate(ecs, options=options)) == (
            "ClientException", f"Log driver awslogs option '{option}' should not be null or empty.")


def test_ec2_task_definitions_keep_their_own_rules(ecs):
    # No task-level size and no stream prefix: both are Fargate's requirements only.
    registered = ecs.register_task_definition(family="on-ec2", requiresCompatibilities=["EC2"], containerDefinitions=[
        {"name": "web", "image": "web:1", "memory": 128, "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/shop", "awslogs-region": REGION}}}])
    assert registered["taskDefinition"]["status"] == "ACTIVE"


def test_sizes_are_read_in_units_and_vcpus():
    assert (units("1 vCPU"), units("0.25 vcpu"), units("2 GB"), units("512"), units("lots")) == (
        1024, 256, 2048, 512, None)
