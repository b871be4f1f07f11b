"""What the ECS provider relies on in moto, and the moto behaviours it works around; no engine needed.

The first tests run plain `moto.mock_aws()`: when one fails, moto changed and the handler or fix it names may go. The
others serve the provider from a control plane with a stand-in data plane: they fail when moto's models, response
methods or request shapes no longer carry what the handlers read, or when the scheduler's launch path and RunTask
stop giving tasks the same shape.
"""
import json
import uuid

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs.models import EC2ContainerServiceBackend
from moto.moto_api import state_manager

from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID
from localcloud.ecs import backend_fixes, tasks
from localcloud.ecs.plane import LaunchingBackend
from localcloud.ecs.provider import EcsProvider
from tests.localcloud.fakes import served_by

REGION = "ap-northeast-3"  # moto's state is per process: a region no other test of this session uses
IMAGE = "any/image:1"
AMI = "ami-12c6146b"  # one of moto's own images


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def register_fargate(ecs, family: str, containers: list[dict] | None = None, **extra) -> str:
    containers = containers or [{"name": "web", "image": IMAGE, "memory": 128,
                                 "portMappings": [{"containerPort": 8000}]}]
    return ecs.register_task_definition(family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                        cpu="256", memory="512", containerDefinitions=containers,
                                        **extra)["taskDefinition"]["taskDefinitionArn"]


def awsvpc(subnet: str, *groups: str) -> dict:
    return {"awsvpcConfiguration": {"subnets": [subnet], **({"securityGroups": list(groups)} if groups else {})}}


def default_network(ec2) -> tuple[str, str]:
    """The default VPC's first subnet (DNS hostnames on) and its default security group."""
    subnet = ec2.describe_subnets()["Subnets"][0]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]},
                                                  {"Name": "group-name", "Values": ["default"]}])
    return subnet["SubnetId"], group["SecurityGroups"][0]["GroupId"]


def subnet_without_dns_hostnames(ec2) -> str:
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]  # DNS hostnames off, as for every new VPC
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]


def assert_client_error(call, code: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == code
    if message is not None:
        assert raised.value.response["Error"]["Message"] == message


# --- moto's behaviours the handlers work around (plain moto) ------------------------------------------------------
@pytest.fixture
def plain():
    with moto.mock_aws():
        ecs, ec2 = boto3.client("ecs", region_name=REGION), boto3.client("ec2", region_name=REGION)
        ecs.create_cluster(clusterName="plain")
        yield ecs, ec2, get_backend("ecs")[MOTO_DEFAULT_ACCOUNT_ID][REGION]


def test_moto_starts_a_task_running_with_its_first_container_and_advances_it_on_describe(plain):
    ecs, ec2, _ = plain
    subnet, group = default_network(ec2)
    task_definition = register_fargate(ecs, "two", [{"name": "a", "image": IMAGE, "memory": 64},
                                                    {"name": "b", "image": IMAGE, "memory": 64}])
    [task] = ecs.run_task(cluster="plain", taskDefinition=task_definition, launchType="FARGATE",
                          networkConfiguration=awsvpc(subnet, group))["tasks"]
    assert (task["lastStatus"], len(task["containers"])) == ("RUNNING", 1), \
        "moto now starts tasks as AWS does: tasks.adopt may set less"
    described = ecs.describe_tasks(cluster="plain", tasks=[task["taskArn"]])["tasks"][0]
    assert described["lastStatus"] != "RUNNING", \
        "moto no longer advances its tasks on describe_tasks: tasks.MODEL_NAME may go"


def test_moto_adds_up_container_memory_and_fails_without_one(plain):
    ecs, ec2, backend = plain
    subnet, group = default_network(ec2)
    task_definition = register_fargate(ecs, "task-memory", [{"name": "web", "image": IMAGE}])
    with pytest.raises(TypeError):
        backend.run_task("plain", task_definition, 1, None, None, None, "FARGATE", awsvpc(subnet, group))
    assert "_calculate_task_resource_requirements" in vars(EC2ContainerServiceBackend), \
        "moto renamed its resource calculation: backend_fixes.prepare no longer reaches it"


def test_moto_requires_security_groups_in_awsvpc_configurations(plain):
    ecs, ec2, backend = plain
    subnet, _ = default_network(ec2)
    task_definition = register_fargate(ecs, "no-groups")
    with pytest.raises(KeyError):
        backend.run_task("plain", task_definition, 1, None, None, None, "FARGATE", awsvpc(subnet))
    with pytest.raises(KeyError):
        backend.create_service("plain", "no-groups", 0, task_definition, launch_type="FARGATE",
                               network_configuration=awsvpc(subnet))


def test_moto_reads_the_private_dns_name_an_eni_lacks_without_dns_hostnames(plain):
    ecs, ec2, backend = plain
    subnet = subnet_without_dns_hostnames(ec2)
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [
        ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]]}])["SecurityGroups"][0]["GroupId"]
    with pytest.raises(AttributeError, match="private_dns_name"):
        backend.run_task("plain", register_fargate(ecs, "no-dns"), 1, None, None, None, "FARGATE",
                         awsvpc(subnet, group))


def test_moto_raises_a_bare_exception_for_an_ec2_launch_without_instances(plain):
    ecs, _, backend = plain
    ecs.register_task_definition(family="on-ec2", containerDefinitions=[{"name": "a", "image": IMAGE, "memory": 64}])
    with pytest.raises(Exception, match="^No instances found in cluster") as raised:
        backend.run_task("plain", "on-ec2", 1, None, None, None, "EC2")
    assert type(raised.value) is Exception, "moto now raises its own error: tasks.start_tasks may stop translating it"


def test_moto_stops_a_task_at_once_and_fails_on_an_unknown_one(plain):
    ecs, ec2, backend = plain
    subnet, group = default_network(ec2)
    [task] = ecs.run_task(cluster="plain", taskDefinition=register_fargate(ecs, "stopped"), launchType="FARGATE",
                          networkConfiguration=awsvpc(subnet, group))["tasks"]
    stopped = ecs.stop_task(cluster="plain", task=task["taskArn"])["task"]
    assert stopped["lastStatus"] == "STOPPED", "moto now stops tasks asynchronously: EcsProvider.stop_task may go"
    with pytest.raises(Exception, match="^Could not find task"):
        backend.stop_task("plain", "0123456789abcdef", "gone")


def test_moto_list_tasks_ignores_the_service_and_lists_stopped_tasks(plain):
    ecs, ec2, _ = plain
    subnet, group = default_network(ec2)
    [task] = ecs.run_task(cluster="plain", taskDefinition=register_fargate(ecs, "listed"), launchType="FARGATE",
                          networkConfiguration=awsvpc(subnet, group))["tasks"]
    ecs.stop_task(cluster="plain", task=task["taskArn"])
    assert task["taskArn"] in ecs.list_tasks(cluster="plain")["taskArns"], \
        "moto now lists desired RUNNING tasks by default: EcsProvider.list_tasks may go"
    assert task["taskArn"] in ecs.list_tasks(cluster="plain", serviceName="not-a-service")["taskArns"], \
        "moto now filters by serviceName: EcsProvider.list_tasks may go"


def test_moto_lists_every_task_definition_family_whatever_its_status(plain):
    ecs, _, _ = plain
    ecs.deregister_task_definition(taskDefinition=register_fargate(ecs, "retired"))
    assert "retired" in ecs.list_task_definition_families(status="ACTIVE")["families"], \
        "moto now honours status: EcsProvider.list_task_definition_families may go"


def test_moto_accepts_awsvpc_host_ports_that_differ_from_container_ports(plain):
    ecs, _, _ = plain
    register_fargate(ecs, "mismatched", [{"name": "web", "image": IMAGE, "memory": 64,
                                          "portMappings": [{"containerPort": 8000, "hostPort": 80}]}])


def test_moto_services_drop_their_configuration_and_check_no_load_balancer_port(plain):
    ecs, ec2, _ = plain
    subnet, group = default_network(ec2)
    balancer = {"targetGroupArn": f"arn:aws:elasticloadbalancing:{REGION}:{MOTO_DEFAULT_ACCOUNT_ID}:targetgroup/t/1",
                "containerName": "web", "containerPort": 80}
    service = ecs.create_service(cluster="plain", serviceName="svc", taskDefinition=register_fargate(ecs, "svc"),
                                 desiredCount=2, launchType="FARGATE", networkConfiguration=awsvpc(subnet, group),
                                 loadBalancers=[balancer], healthCheckGracePeriodSeconds=30,
                                 deploymentConfiguration={"maximumPercent": 150, "minimumHealthyPercent": 50})[
        "service"]
    assert "deploymentConfiguration" not in service and "healthCheckGracePeriodSeconds" not in service, \
        "moto now keeps a service's deployment configuration: services.create_service may set less"
    updated = ecs.update_service(cluster="plain", service="svc", desiredCount=3)["service"]
    assert updated["runningCount"] == 3, "moto no longer copies desiredCount into runningCount: check update_service"
    deleted = ecs.delete_service(cluster="plain", service="svc", force=True)["service"]
    assert deleted["status"] == "INACTIVE", "moto now drains deleted services: EcsProvider.delete_service may go"


# --- the provider, served from a control plane with a stand-in data plane ------------------------------------------
class StandInPlane:
    """What the provider asks of the ECS data plane: its backend, and waking its loop (counted)."""

    def __init__(self):
        self.woken = 0

    def backend(self):
        return get_backend("ecs")[MOTO_DEFAULT_ACCOUNT_ID][REGION]

    def wake(self) -> None:
        self.woken += 1


@pytest.fixture(scope="module")
def served():
    plane = StandInPlane()
    with served_by(EcsProvider(plane, MOTO_DEFAULT_ACCOUNT_ID, REGION), region=REGION) as client:
        ecs, ec2 = client("ecs"), client("ec2")
        ecs.create_cluster(clusterName="served")
        yield plane, ecs, ec2


def describe(ecs, task_arn: str) -> dict:
    return ecs.describe_tasks(cluster="served", tasks=[task_arn])["tasks"][0]


def test_run_task_answers_tasks_provisioning_with_every_container_and_their_status_stays(served):
    plane, ecs, ec2 = served
    subnet, _ = default_network(ec2)
    task_definition = register_fargate(ecs, unique("two"), [{"name": "a", "image": IMAGE},
                                                            {"name": "b", "image": IMAGE, "memoryReservation": 64}])
    woken = plane.woken
    [task] = ecs.run_task(cluster="served", taskDefinition=task_definition, launchType="FARGATE",
                          networkConfiguration=awsvpc(subnet))["tasks"]  # no security group, memory at task level
    assert plane.woken == woken + 1
    assert (task["lastStatus"], task["desiredStatus"], task["memory"], task["cpu"]) == (
        "PROVISIONING", "RUNNING", "512", "256")
    assert [c["name"] for c in task["containers"]] == ["a", "b"]
    assert task["containers"][1]["memoryReservation"] == "64" and task["availabilityZone"] == f"{REGION}a"
    assert {describe(ecs, task["taskArn"])["lastStatus"] for _ in range(3)} == {"PROVISIONING"}
    model = next(t for t in plane.backend().tasks["served"].values() if t.task_arn == task["taskArn"])
    model.last_status = "RUNNING"  # as the data plane sets it
    assert describe(ecs, task["taskArn"])["lastStatus"] == "RUNNING"
    assert tasks.is_ours(model) and state_manager.get_transition(tasks.MODEL_NAME) == tasks.NEVER_ADVANCED


def test_run_task_in_a_vpc_without_dns_hostnames_fixes_only_the_clouds_backends(served):
    _, ecs, ec2 = served
    [task] = ecs.run_task(cluster="served", taskDefinition=register_fargate(ecs, unique("no-dns")),
                          launchType="FARGATE", networkConfiguration=awsvpc(subnet_without_dns_hostnames(ec2)))["tasks"]
    assert {d["name"]: d.get("value") for d in task["attachments"][0]["details"]}["privateDnsName"] is None
    assert "private_dns_name" not in vars(NetworkInterface)
    assert vars(EC2ContainerServiceBackend)["_calculate_task_resource_requirements"].__func__.__module__ == \
        "moto.ecs.models"
    assert "create_network_interface" in vars(get_backend("ec2")[MOTO_DEFAULT_ACCOUNT_ID][REGION])
    assert "create_network_interface" not in vars(get_backend("ec2")[MOTO_DEFAULT_ACCOUNT_ID]["us-west-1"])


def test_the_scheduler_launches_tasks_of_the_same_shape_as_run_task(served):
    plane, ecs, ec2 = served
    subnet, _ = default_network(ec2)
    task_definition = register_fargate(ecs, unique("scheduled"))
    [by_api] = ecs.run_task(cluster="served", taskDefinition=task_definition, launchType="FARGATE",
                            networkConfiguration=awsvpc(subnet))["tasks"]
    woken = plane.woken
    [by_scheduler] = LaunchingBackend(plane.backend(), plane.wake).run_task(
        "served", task_definition, 1, None, "ecs-svc/1", None, "FARGATE", awsvpc(subnet), "service:web", None, None)
    assert plane.woken == woken + 1 and tasks.is_ours(by_scheduler)
    described, described_by_api = describe(ecs, by_scheduler.task_arn), describe(ecs, by_api["taskArn"])
    assert set(described) - {"startedBy"} == set(described_by_api) - {"startedBy"}
    assert (described["lastStatus"], described["group"], described["startedBy"]) == (
        "PROVISIONING", "service:web", "ecs-svc/1")
    assert [set(c) for c in described["containers"]] == [set(c) for c in described_by_api["containers"]]


def test_start_task_on_a_container_instance_and_an_ec2_run_task_give_the_same_tasks(served):
    _, ecs, ec2 = served
    ecs.create_cluster(clusterName="instances")
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]
    document = json.dumps({"instanceId": instance["InstanceId"]})  # what moto reads of the identity document
    container_instance = ecs.register_container_instance(cluster="instances", instanceIdentityDocument=document)[
        "containerInstance"]["containerInstanceArn"]
    family = unique("on-ec2")
    ecs.register_task_definition(family=family, memory="256", containerDefinitions=[{"name": "a", "image": IMAGE},
                                                                                    {"name": "b", "image": IMAGE}])
    [started] = ecs.start_task(cluster="instances", taskDefinition=family,
                               containerInstances=[container_instance])["tasks"]
    [run] = ecs.run_task(cluster="instances", taskDefinition=family, launchType="EC2")["tasks"]
    for task in (started, run):
        assert (task["lastStatus"], len(task["containers"])) == ("PROVISIONING", 2)


def test_stop_task_asks_and_leaves_the_stopping_to_the_data_plane(served):
    plane, ecs, ec2 = served
    subnet, _ = default_network(ec2)
    [task] = ecs.run_task(cluster="served", taskDefinition=register_fargate(ecs, unique("stop")),
                          launchType="FARGATE", networkConfiguration=awsvpc(subnet))["tasks"]
    woken = plane.woken
    stopping = ecs.stop_task(cluster="served", task=task["taskArn"].split("/")[-1], reason="done")["task"]
    assert plane.woken == woken + 1
    assert (stopping["desiredStatus"], stopping["lastStatus"], stopping["stopCode"], stopping["stoppedReason"]) == (
        "STOPPED", "PROVISIONING", "UserInitiated", "done")
    assert_client_error(lambda: ecs.stop_task(cluster="served", task="0123456789abcdef"), "InvalidParameterException",
                        "The referenced task was not found.")
    assert task["taskArn"] not in ecs.list_tasks(cluster="served")["taskArns"]
    assert task["taskArn"] in ecs.list_tasks(cluster="served", desiredStatus="STOPPED")["taskArns"]


def test_services_keep_their_configuration_roll_deployments_and_drain(served):
    plane, ecs, ec2 = served
    subnet, group = default_network(ec2)
    family = unique("svc")
    task_definition = register_fargate(ecs, family)
    name = unique("svc")
    woken = plane.woken
    service = ecs.create_service(cluster="served", serviceName=name, taskDefinition=family, desiredCount=2,
                                 launchType="FARGATE", networkConfiguration=awsvpc(subnet),
                                 healthCheckGracePeriodSeconds=30,
                                 deploymentConfiguration={"maximumPercent": 150, "minimumHealthyPercent": 50})[
        "service"]
    assert plane.woken == woken + 1
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [group]
    assert (service["deploymentConfiguration"]["maximumPercent"], service["healthCheckGracePeriodSeconds"]) == (150, 30)
    assert (service["runningCount"], service["pendingCount"], len(service["deployments"])) == (0, 0, 1)
    first = service["deployments"][0]
    assert (first["taskDefinition"], first["rolloutState"]) == (task_definition, "IN_PROGRESS")

    in_service = ecs.list_tasks(cluster="served", serviceName=name)["taskArns"]
    assert in_service == []
    assert_client_error(lambda: ecs.list_tasks(cluster="served", serviceName="no-such"), "ServiceNotFoundException")

    second = register_fargate(ecs, family)
    updated = ecs.update_service(cluster="served", service=name, taskDefinition=family, desiredCount=3)["service"]
    assert [d["status"] for d in updated["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert (updated["deployments"][0]["taskDefinition"], updated["taskDefinition"]) == (second, second)
    assert (updated["runningCount"], updated["deployments"][0]["desiredCount"]) == (0, 3)
    forced = ecs.update_service(cluster="served", service=name, forceNewDeployment=True)["service"]
    assert len(forced["deployments"]) == 3

    assert_client_error(lambda: ecs.update_service(
        cluster="served", service=name, deploymentConfiguration={"maximumPercent": 50, "minimumHealthyPercent": 100}),
        "InvalidParameterException")
    assert ecs.delete_service(cluster="served", service=name, force=True)["service"]["status"] == "DRAINING"


def test_create_service_checks_its_load_balancers_against_the_task_definition(served):
    _, ecs, ec2 = served
    subnet, _ = default_network(ec2)
    family = unique("lb")
    register_fargate(ecs, family)
    group = f"arn:aws:elasticloadbalancing:{REGION}:{MOTO_DEFAULT_ACCOUNT_ID}:targetgroup/t/0123456789abcdef"
    for container, port, message in (("web", 80, "The container web did not have a container port 80 defined."),
                                     ("other", 8000, "The container other does not exist in the task definition.")):
        assert_client_error(lambda: ecs.create_service(
            cluster="served", serviceName=unique("lb"), taskDefinition=family, desiredCount=1, launchType="FARGATE",
            networkConfiguration=awsvpc(subnet),
            loadBalancers=[{"targetGroupArn": group, "containerName": container, "containerPort": port}]),
            "InvalidParameterException", message)


def test_task_definition_rules(served):
    _, ecs, _ = served
    assert_client_error(lambda: register_fargate(ecs, unique("ports"), [{
        "name": "web", "image": IMAGE, "portMappings": [{"containerPort": 8000, "hostPort": 80}]}]),
        "ClientException", "When networkMode=awsvpc, the host ports and container ports in port mappings must match.")
    retired, kept = unique("retired"), unique("kept")
    ecs.deregister_task_definition(taskDefinition=register_fargate(ecs, retired))
    register_fargate(ecs, kept)
    assert retired not in ecs.list_task_definition_families(status="ACTIVE")["families"]
    assert kept in ecs.list_task_definition_families()["families"]
    assert retired in ecs.list_task_definition_families(status="INACTIVE")["families"]
    assert {retired, kept} <= set(ecs.list_task_definition_families(status="ALL")["families"])


def test_prepare_fixes_each_new_backend_it_is_given():
    fresh = EC2ContainerServiceBackend(REGION, MOTO_DEFAULT_ACCOUNT_ID)  # as after a reset of moto
    assert "_calculate_task_resource_requirements" not in vars(fresh)
    backend_fixes.prepare(fresh)
    assert vars(fresh)["_calculate_task_resource_requirements"] is backend_fixes.task_resource_requirements
