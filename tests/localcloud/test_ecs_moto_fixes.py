"""Each test names a moto ECS behaviour that the ECS provider (`localcloud.ecs.provider`) works around."""
import pytest
from botocore.exceptions import ClientError

from tests.localcloud.ecs_fixtures import (IMAGE, awsvpc, client, default_subnet, describe_task, ecs_cloud, fast,
                                           register_fargate, web_container)

pytestmark = pytest.mark.docker

CLUSTER = "fixes"


@pytest.fixture(scope="module")
def cloud():
    with ecs_cloud("ecs-fixes") as cloud:
        client(cloud, "ecs").create_cluster(clusterName=CLUSTER)
        yield cloud


@pytest.fixture(scope="module")
def ecs(cloud):
    return client(cloud, "ecs")


@pytest.fixture(scope="module")
def subnet(cloud):
    return default_subnet(cloud)


def test_fargate_task_definition_with_memory_only_at_task_level_is_no_type_error(ecs, subnet):
    task_definition = register_fargate(ecs, "task-memory", [web_container()], memory="512")
    task = ecs.run_task(cluster=CLUSTER, taskDefinition=task_definition, launchType="FARGATE",
                        networkConfiguration=awsvpc(subnet))["tasks"][0]
    assert task["memory"] == "512"
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task["taskArn"]])


def test_awsvpc_configuration_without_security_groups_is_no_key_error(cloud, ecs, subnet):
    task_definition = register_fargate(ecs, "no-groups", [web_container()])
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}
    task = ecs.run_task(cluster=CLUSTER, taskDefinition=task_definition, launchType="FARGATE",
                        networkConfiguration=network)["tasks"][0]
    service = ecs.create_service(cluster=CLUSTER, serviceName="no-groups", taskDefinition=task_definition,
                                 desiredCount=0, launchType="FARGATE", networkConfiguration=network)["service"]
    vpc_id = client(cloud, "ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
    default_group = client(cloud, "ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [
        default_group["SecurityGroups"][0]["GroupId"]]
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task["taskArn"]])


def test_list_tasks_with_service_name_filters_by_service(ecs, subnet):
    task_definition = register_fargate(ecs, "listed", [web_container()])
    for name in ("listed-a", "listed-b"):
        ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=task_definition, desiredCount=1,
                           launchType="FARGATE", networkConfiguration=awsvpc(subnet))
    fast("services_stable", ecs)(cluster=CLUSTER, services=["listed-a", "listed-b"])
    listed = ecs.list_tasks(cluster=CLUSTER, serviceName="listed-a")["taskArns"]
    assert len(listed) == 1
    assert describe_task(ecs, CLUSTER, listed[0])["group"] == "service:listed-a"
    for name in ("listed-a", "listed-b"):
        ecs.delete_service(cluster=CLUSTER, service=name, force=True)


def test_describe_tasks_does_not_advance_task_status(ecs, subnet):
    task_arn = ecs.run_task(cluster=CLUSTER, taskDefinition=register_fargate(ecs, "steady", [web_container()]),
                            launchType="FARGATE", networkConfiguration=awsvpc(subnet))["tasks"][0]["taskArn"]
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task_arn])
    statuses = {describe_task(ecs, CLUSTER, task_arn)["lastStatus"] for _ in range(5)}
    assert statuses == {"RUNNING"}


def test_list_tasks_lists_only_desired_running_tasks_by_default(ecs, subnet):
    task_arn = ecs.run_task(cluster=CLUSTER, taskDefinition=register_fargate(ecs, "stopped", [web_container()]),
                            launchType="FARGATE", networkConfiguration=awsvpc(subnet))["tasks"][0]["taskArn"]
    ecs.stop_task(cluster=CLUSTER, task=task_arn)
    assert task_arn not in ecs.list_tasks(cluster=CLUSTER)["taskArns"]
    assert task_arn in ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]


def test_run_task_without_container_instances_is_invalid_parameter_not_500(ecs):
    ecs.register_task_definition(family="on-ec2", containerDefinitions=[{"name": "app", "image": IMAGE,
                                                                        "memory": 128}])
    with pytest.raises(ClientError) as error:
        ecs.run_task(cluster=CLUSTER, taskDefinition="on-ec2", launchType="EC2")
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert error.value.response["Error"]["Message"] == "No Container Instances were found in your cluster."


def test_cluster_less_calls_use_the_default_cluster(ecs, subnet):
    task_definition = register_fargate(ecs, "default-cluster", [web_container()])
    with pytest.raises(ClientError) as error:
        ecs.run_task(taskDefinition=task_definition, launchType="FARGATE", networkConfiguration=awsvpc(subnet))
    assert error.value.response["Error"]["Code"] == "ClusterNotFoundException"
    ecs.create_cluster()
    task_arn = ecs.run_task(taskDefinition=task_definition, launchType="FARGATE",
                            networkConfiguration=awsvpc(subnet))["tasks"][0]["taskArn"]
    assert ":cluster/default" in describe_task(ecs, "default", task_arn)["clusterArn"]
    fast("tasks_running", ecs)(tasks=[task_arn])
    ecs.stop_task(task=task_arn)
    fast("tasks_stopped", ecs)(tasks=[task_arn])


def test_awsvpc_port_mappings_must_match_as_on_aws(ecs):
    container = web_container(portMappings=[{"containerPort": 8000, "hostPort": 80}])
    with pytest.raises(ClientError) as raised:
        register_fargate(ecs, "mismatched-ports", [container])
    assert raised.value.response["Error"]["Code"] == "ClientException"
    assert raised.value.response["Error"]["Message"] == (
        "When networkMode=awsvpc, the host ports and container ports in port mappings must match.")


def test_service_load_balancer_port_must_exist_in_the_task_definition(cloud, ecs, subnet):
    task_definition = register_fargate(ecs, "lb-port", [web_container()])
    group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/any/0123456789abcdef"
    with pytest.raises(ClientError) as raised:
        ecs.create_service(cluster=CLUSTER, serviceName="wrong-port", taskDefinition=task_definition,
                           desiredCount=1, launchType="FARGATE", networkConfiguration=awsvpc(subnet),
                           loadBalancers=[{"targetGroupArn": group, "containerName": "web", "containerPort": 80}])
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert raised.value.response["Error"]["Message"] == "The container web did not have a container port 80 defined."


def test_awsvpc_task_in_a_vpc_without_dns_hostnames_runs(cloud, ecs):
    ec2 = client(cloud, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]  # DNS hostnames off, as for every new VPC
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24")["Subnet"]["SubnetId"]
    task_definition = register_fargate(ecs, "no-dns-hostnames", [web_container()])
    task_arn = ecs.run_task(cluster=CLUSTER, taskDefinition=task_definition, launchType="FARGATE",
                            networkConfiguration=awsvpc(subnet))["tasks"][0]["taskArn"]
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task_arn])
    ecs.stop_task(cluster=CLUSTER, task=task_arn)


def test_list_task_definition_families_honours_status(ecs):
    arn = register_fargate(ecs, "retired-family", [web_container()])
    register_fargate(ecs, "kept-family", [web_container()])
    ecs.deregister_task_definition(taskDefinition=arn)
    assert "retired-family" not in ecs.list_task_definition_families(status="ACTIVE")["families"]
    assert "kept-family" in ecs.list_task_definition_families()["families"]
    assert "retired-family" in ecs.list_task_definition_families(status="INACTIVE")["families"]
