"""ECS services: desiredCount kept running, dead tasks replaced with back-off, rolling deployments, target groups."""
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from localcloud import engine as docker_engine
from tests.localcloud.ecs_fixtures import (IMAGE, PORT, awsvpc, client, default_subnet, describe_task, ecs_cloud, fast,
                                           get_when_serving, host_port, register_fargate, wait_for, web_container)

pytestmark = pytest.mark.docker

CLUSTER = "services"
AWS_CLI = str(Path(sys.executable).with_name("aws"))  # the awscli installed next to this Python


@pytest.fixture(scope="module")
def cloud():
    with ecs_cloud("ecs-services") as cloud:
        client(cloud, "ecs").create_cluster(clusterName=CLUSTER)
        yield cloud


@pytest.fixture(scope="module")
def ecs(cloud):
    return client(cloud, "ecs")


@pytest.fixture(scope="module")
def subnet(cloud):
    return default_subnet(cloud)


def create_service(ecs, subnet, name: str, task_definition: str, desired: int = 2, **kwargs) -> dict:
    return ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition=task_definition,
                              desiredCount=desired, launchType="FARGATE", networkConfiguration=awsvpc(subnet),
                              **kwargs)["service"]


def describe_service(ecs, name: str) -> dict:
    return ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]


def messages(ecs, name: str) -> list[str]:
    return [event["message"] for event in describe_service(ecs, name)["events"]]


def service_tasks(ecs, name: str, desired_status: str = "RUNNING") -> list[dict]:
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=name, desiredStatus=desired_status)["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []


def remove_service(ecs, name: str) -> None:
    ecs.delete_service(cluster=CLUSTER, service=name, force=True)
    wait_for(lambda: not service_tasks(ecs, name), message=f"{name}'s tasks to stop")


@pytest.fixture(scope="module")
def stable_service(ecs, subnet):
    """A service of two web tasks that reached a steady state; shared by the tests that disturb it."""
    create_service(ecs, subnet, "web", register_fargate(ecs, "web", [web_container()]))
    fast("services_stable", ecs)(cluster=CLUSTER, services=["web"])
    yield "web"
    remove_service(ecs, "web")


def test_a_service_of_two_tasks_reaches_a_steady_state(cloud, ecs, stable_service):
    service = describe_service(ecs, stable_service)
    assert (service["runningCount"], service["desiredCount"], len(service["deployments"])) == (2, 2, 1)
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    events = messages(ecs, stable_service)
    assert events[0] == "(service web) has reached a steady state."
    assert any(m.startswith("(service web) has started 2 tasks: (task ") for m in events)
    for task in service_tasks(ecs, stable_service):
        assert get_when_serving(host_port(task)).status_code == 200
    cli = subprocess.run([AWS_CLI, "ecs", "wait", "services-stable", "--cluster", CLUSTER, "--services", "web"],
                         env=cloud.config.client_environment(), capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr


def test_a_killed_task_is_replaced(ecs, stable_service):
    victim = service_tasks(ecs, stable_service)[0]
    subprocess.run(["docker", "kill", victim["containers"][0]["runtimeId"]], check=True, capture_output=True)
    stopped = wait_for(lambda: (t := describe_task(ecs, CLUSTER, victim["taskArn"]))["lastStatus"] == "STOPPED"
                       and t, message="the killed task to stop")
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["containers"][0]["exitCode"] == 137
    wait_for(lambda: len([t for t in service_tasks(ecs, stable_service) if t["lastStatus"] == "RUNNING"]) == 2,
             message="two running tasks again")
    assert victim["taskArn"] not in [t["taskArn"] for t in service_tasks(ecs, stable_service)]
    fast("services_stable", ecs)(cluster=CLUSTER, services=[stable_service])


def test_a_rolling_update_replaces_the_tasks_with_the_new_task_definition(ecs, stable_service):
    new_definition = register_fargate(ecs, "web", [web_container(environment=[{"name": "VERSION", "value": "2"}])])
    updated = ecs.update_service(cluster=CLUSTER, service=stable_service, taskDefinition="web",
                                 deploymentConfiguration={"minimumHealthyPercent": 50, "maximumPercent": 100})
    deployments = updated["service"]["deployments"]
    assert [(d["status"], d["rolloutState"]) for d in deployments][0] == ("PRIMARY", "IN_PROGRESS")
    assert deployments[0]["taskDefinition"] == new_definition
    assert deployments[1]["status"] == "ACTIVE"
    seen_total = []

    def rolled_out():
        service = describe_service(ecs, stable_service)
        seen_total.append(service["runningCount"] + service["pendingCount"])
        return len(service["deployments"]) == 1 and service["deployments"][0]["rolloutState"] == "COMPLETED" and service
    service = wait_for(rolled_out, timeout=60, message="the rollout to complete")
    assert max(seen_total) <= 2  # maximumPercent 100 of 2
    assert service["taskDefinition"] == new_definition
    tasks = service_tasks(ecs, stable_service)
    assert {t["taskDefinitionArn"] for t in tasks} == {new_definition} and len(tasks) == 2
    assert get_when_serving(host_port(tasks[0])).text.endswith(" 2")
    assert any(m.endswith("deployment completed.") and deployments[0]["id"] in m
               for m in messages(ecs, stable_service))


def test_a_crash_looping_image_stops_tasks_with_reasons_and_backs_off(ecs, subnet):
    crashing = register_fargate(ecs, "crash", [{"name": "app", "image": IMAGE,
                                                "command": ["python", "-c", "print('boom'); raise SystemExit(2)"]}])
    create_service(ecs, subnet, "crash", crashing, desired=1)
    wait_for(lambda: any("is unable to consistently start tasks successfully" in m for m in messages(ecs, "crash")),
             timeout=30, message="the service to report it cannot start tasks")
    stopped = service_tasks(ecs, "crash", "STOPPED")
    assert 3 <= len(stopped) <= 4  # three failures in a row, then minutes of back-off — no restart storm
    for task in stopped:
        assert (task["stopCode"], task["stoppedReason"]) == ("EssentialContainerExited",
                                                             "Essential container in task exited")
        assert task["containers"][0]["exitCode"] == 2
    assert describe_service(ecs, "crash")["deployments"][0]["failedTasks"] >= 3
    remove_service(ecs, "crash")


def test_service_tasks_are_registered_in_their_target_group(cloud, ecs, subnet):
    elbv2 = client(cloud, "elbv2")
    vpc_id = client(cloud, "ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
    group_arn = elbv2.create_target_group(Name="web-targets", Protocol="HTTP", Port=PORT, VpcId=vpc_id,
                                          TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    create_service(ecs, subnet, "balanced", register_fargate(ecs, "balanced", [web_container()]),
                   loadBalancers=[{"targetGroupArn": group_arn, "containerName": "web", "containerPort": PORT}])
    fast("services_stable", ecs)(cluster=CLUSTER, services=["balanced"])
    addresses = {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
                 for t in service_tasks(ecs, "balanced")}

    def registered():
        return {(d["Target"]["Id"], d["Target"]["Port"])
                for d in elbv2.describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"]}
    wait_for(lambda: registered() == {(ip, PORT) for ip in addresses}, message="both tasks registered")
    assert sum(m.startswith("(service balanced) registered 1 targets") for m in messages(ecs, "balanced")) == 2

    ecs.update_service(cluster=CLUSTER, service="balanced", desiredCount=0)
    wait_for(lambda: not registered(), message="the targets to be deregistered")
    fast("services_stable", ecs)(cluster=CLUSTER, services=["balanced"])
    remove_service(ecs, "balanced")


def test_deleting_a_service_stops_its_tasks(ecs, subnet):
    create_service(ecs, subnet, "short-lived", register_fargate(ecs, "short-lived", [web_container()]), desired=1)
    fast("services_stable", ecs)(cluster=CLUSTER, services=["short-lived"])
    runtime_id = service_tasks(ecs, "short-lived")[0]["containers"][0]["runtimeId"]
    ecs.delete_service(cluster=CLUSTER, service="short-lived", force=True)
    wait_for(lambda: describe_service(ecs, "short-lived")["status"] == "INACTIVE", message="an INACTIVE service")
    with pytest.raises(docker.errors.NotFound):
        docker_engine.client().containers.get(runtime_id)


def test_a_service_registered_in_cloud_map_answers_to_its_dns_name_on_the_network(cloud, ecs, subnet):
    discovery = client(cloud, "servicediscovery")
    vpc = client(cloud, "ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
    discovery.create_private_dns_namespace(Name="shop.local", Vpc=vpc)
    namespace = next(n for n in discovery.list_namespaces()["Namespaces"] if n["Name"] == "shop.local")
    registry = discovery.create_service(Name="web", NamespaceId=namespace["Id"],
                                        DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]["Arn"]
    definition = register_fargate(ecs, "discovered", [web_container()])
    create_service(ecs, subnet, "discovered", definition, desired=1, serviceRegistries=[{"registryArn": registry}])
    fast("services_stable", ecs)(cluster=CLUSTER, services=["discovered"])
    # Another task (the VPC's default group, which admits its own members) reaches it by name.
    call = "import urllib.request; urllib.request.urlopen('http://web.shop.local:8000/', timeout=5).read()"
    caller = register_fargate(ecs, "caller", [web_container(command=["python", "-c", call])])
    arn = ecs.run_task(cluster=CLUSTER, taskDefinition=caller, launchType="FARGATE",
                       networkConfiguration=awsvpc(subnet))["tasks"][0]["taskArn"]
    fast("tasks_stopped", ecs)(cluster=CLUSTER, tasks=[arn])
    assert describe_task(ecs, CLUSTER, arn)["containers"][0]["exitCode"] == 0
    ecs.delete_service(cluster=CLUSTER, service="discovered", force=True)
