"""ECS tasks as containers: status follows the containers, ports answer, output lands in CloudWatch Logs."""
import docker
import pytest
from botocore.exceptions import ClientError

from localcloud import engine as docker_engine
from tests.localcloud.ecs_fixtures import (IMAGE, PORT, awsvpc, client, default_subnet, describe_task, ecs_cloud, fast,
                                           get_when_serving, host_port, register_fargate, wait_for, web_container)

pytestmark = pytest.mark.docker

CLUSTER = "tasks"


@pytest.fixture(scope="module")
def cloud():
    with ecs_cloud("ecs-tasks") as cloud:
        client(cloud, "ecs").create_cluster(clusterName=CLUSTER)
        yield cloud


@pytest.fixture(scope="module")
def ecs(cloud):
    return client(cloud, "ecs")


@pytest.fixture(scope="module")
def subnet(cloud):
    return default_subnet(cloud)


def run(ecs, subnet, task_definition: str, **kwargs) -> str:
    return ecs.run_task(cluster=CLUSTER, taskDefinition=task_definition, launchType="FARGATE",
                        networkConfiguration=awsvpc(subnet), **kwargs)["tasks"][0]["taskArn"]


def test_run_task_serves_http_on_its_published_port_and_logs_to_cloudwatch(cloud, ecs, subnet):
    logging = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-create-group": "true",
                                                   "awslogs-region": cloud.config.region,
                                                   "awslogs-stream-prefix": "ecs"}}
    task_definition = register_fargate(ecs, "web", [web_container(logConfiguration=logging,
                                                                  environment=[{"name": "VERSION", "value": "7"}])])
    task_arn = run(ecs, subnet, task_definition)
    assert describe_task(ecs, CLUSTER, task_arn)["lastStatus"] in ("PROVISIONING", "PENDING", "RUNNING")
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task_arn])
    task = describe_task(ecs, CLUSTER, task_arn)

    answer = get_when_serving(host_port(task), "/hello")
    assert answer.status_code == 200 and answer.text.endswith(" 7")
    private_ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert details["privateIPv4Address"] == private_ip
    assert cloud.addresses.resolve(private_ip, PORT) == ("127.0.0.1", host_port(task))
    container = docker_engine.client().containers.get(task["containers"][0]["runtimeId"])
    assert container.attrs["NetworkSettings"]["Networks"][cloud.config.network]["IPAddress"] == private_ip
    assert container.labels["localcloud.ecs.task-arn"] == task_arn

    logs = client(cloud, "logs")
    stream = f"ecs/web/{task_arn.split('/')[-1]}"
    messages = wait_for(lambda: [e["message"] for e in logs.get_log_events(
        logGroupName="/ecs/web", logStreamName=stream)["events"]], message="log events")
    assert messages[0] == f"serving on {PORT}"
    wait_for(lambda: "request /hello" in [e["message"] for e in logs.get_log_events(
        logGroupName="/ecs/web", logStreamName=stream)["events"]], message="the request's log line")


def test_stop_task_stops_the_containers_as_user_initiated(cloud, ecs, subnet):
    task_arn = run(ecs, subnet, register_fargate(ecs, "to-stop", [web_container()]))
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task_arn])
    runtime_id = describe_task(ecs, CLUSTER, task_arn)["containers"][0]["runtimeId"]

    stopping = ecs.stop_task(cluster=CLUSTER, task=task_arn, reason="done with it")["task"]
    assert stopping["desiredStatus"] == "STOPPED"
    fast("tasks_stopped", ecs)(cluster=CLUSTER, tasks=[task_arn])
    task = describe_task(ecs, CLUSTER, task_arn)
    assert (task["stopCode"], task["stoppedReason"]) == ("UserInitiated", "done with it")
    assert task["containers"][0]["lastStatus"] == "STOPPED"
    with pytest.raises(docker.errors.NotFound):
        docker_engine.client().containers.get(runtime_id)
    private_ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    assert cloud.addresses.resolve(private_ip, PORT) == (private_ip, PORT)  # withdrawn


def test_essential_container_exit_stops_the_task_with_its_exit_code(ecs, subnet):
    task_definition = register_fargate(ecs, "exits", [
        web_container("sidecar", essential=False),
        {"name": "job", "image": IMAGE, "essential": True, "command": ["python", "-c", "raise SystemExit(3)"]}])
    task_arn = run(ecs, subnet, task_definition)
    fast("tasks_stopped", ecs)(cluster=CLUSTER, tasks=[task_arn])
    task = describe_task(ecs, CLUSTER, task_arn)
    assert (task["stopCode"], task["stoppedReason"]) == ("EssentialContainerExited",
                                                         "Essential container in task exited")
    containers = {c["name"]: c for c in task["containers"]}
    assert containers["job"]["exitCode"] == 3
    assert all(c["lastStatus"] == "STOPPED" for c in containers.values())


def test_an_image_that_cannot_be_pulled_fails_the_task_to_start(ecs, subnet):
    missing = "127.0.0.1:1/nowhere/missing:never"
    task_arn = run(ecs, subnet, register_fargate(ecs, "missing-image", [{"name": "app", "image": missing}]))
    fast("tasks_stopped", ecs)(cluster=CLUSTER, tasks=[task_arn])
    task = describe_task(ecs, CLUSTER, task_arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError: ")
    assert missing in task["containers"][0]["reason"]


def test_a_missing_log_group_fails_the_task_to_start_as_on_aws(ecs, subnet):
    logging = {"logDriver": "awslogs", "options": {"awslogs-group": "/not/created", "awslogs-region": "us-east-1",
                                                   "awslogs-stream-prefix": "x"}}
    task_arn = run(ecs, subnet, register_fargate(ecs, "no-group", [web_container(logConfiguration=logging)]))
    fast("tasks_stopped", ecs)(cluster=CLUSTER, tasks=[task_arn])
    task = describe_task(ecs, CLUSTER, task_arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert "The specified log group does not exist" in task["stoppedReason"]


def test_container_health_check_reports_health_status(ecs, subnet):
    check = {"command": ["CMD", "python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health')"],
             "interval": 1, "timeout": 2, "retries": 2}
    task_arn = run(ecs, subnet, register_fargate(ecs, "checked", [web_container(healthCheck=check)]))
    task = wait_for(lambda: (t := describe_task(ecs, CLUSTER, task_arn))["healthStatus"] == "HEALTHY" and t,
                    message="a HEALTHY task")
    assert task["containers"][0]["healthStatus"] == "HEALTHY"
    ecs.stop_task(cluster=CLUSTER, task=task_arn)


def test_cpu_and_memory_become_container_limits(ecs, subnet):
    task_arn = run(ecs, subnet, register_fargate(ecs, "limits", [web_container(memoryReservation=64)],
                                                 cpu="512", memory="1024"))
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task_arn])
    host_config = docker_engine.client().containers.get(
        describe_task(ecs, CLUSTER, task_arn)["containers"][0]["runtimeId"]).attrs["HostConfig"]
    assert host_config["Memory"] == 1024 * 2**20
    assert host_config["MemoryReservation"] == 64 * 2**20
    assert host_config["NanoCpus"] == 500_000_000
    ecs.stop_task(cluster=CLUSTER, task=task_arn)


def test_unknown_task_definition_is_a_client_exception(ecs, subnet):
    with pytest.raises(ClientError) as error:
        run(ecs, subnet, "never-registered:1")
    assert error.value.response["Error"]["Code"] == "ClientException"
    assert error.value.response["Error"]["Message"] == "Unable to describe task definition."


def test_unknown_cluster_is_cluster_not_found(ecs):
    with pytest.raises(ClientError) as error:
        ecs.run_task(cluster="no-such-cluster", taskDefinition="web")
    assert error.value.response["Error"]["Code"] == "ClusterNotFoundException"
    assert error.value.response["Error"]["Message"] == "Cluster not found."


def test_stopping_an_unknown_task_is_invalid_parameter(ecs):
    with pytest.raises(ClientError) as error:
        ecs.stop_task(cluster=CLUSTER, task="0123456789abcdef0123456789abcdef")
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert error.value.response["Error"]["Message"] == "The referenced task was not found."


def test_a_task_reaches_the_local_cloud_at_the_aws_endpoint_it_is_given(cloud, ecs, subnet):
    ask = ("import os, urllib.request; "
           "print(urllib.request.urlopen(os.environ['AWS_ENDPOINT_URL'] + '/_localcloud/status').status)")
    definition = register_fargate(ecs, "asks-the-cloud", [web_container(command=["python", "-c", ask])])
    task_arn = run(ecs, subnet, definition)
    fast("tasks_stopped", ecs)(cluster=CLUSTER, tasks=[task_arn])
    assert describe_task(ecs, CLUSTER, task_arn)["containers"][0]["exitCode"] == 0


def test_a_family_long_enough_to_overflow_a_host_name_still_runs(ecs, subnet):
    # The container name (instance, family, container, task id) is its host name; the kernel takes 63 characters.
    family = "a-learner-prefix-long-enough-to-overflow-a-host-name-monolith"
    task_arn = run(ecs, subnet, register_fargate(ecs, family, [web_container("monolith")]))
    fast("tasks_running", ecs)(cluster=CLUSTER, tasks=[task_arn])
    runtime_id = describe_task(ecs, CLUSTER, task_arn)["containers"][0]["runtimeId"]
    container = docker_engine.client().containers.get(runtime_id)
    assert container.attrs["Config"]["Hostname"].endswith(task_arn.rsplit("/", 1)[-1][:12])
    ecs.stop_task(cluster=CLUSTER, task=task_arn)
