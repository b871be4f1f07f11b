"""The rollout waits for the ELBv2 plane's target health (`cloud.part("elbv2").target_health`), when that plane runs."""
import pytest

from tests.localcloud.ecs_fixtures import (PORT, awsvpc, client, default_subnet, ecs_cloud, fast, register_fargate,
                                           wait_for, web_container)

pytestmark = pytest.mark.docker


class TargetHealthStandIn:
    """Only the cross-plane call the ECS plane makes; the test decides what each target's health is."""
    name = "elbv2"

    def __init__(self):
        self.health: dict[tuple[str, str, int], str] = {}
        self.asked: set[tuple[str, str, int]] = set()

    def start(self, cloud):
        pass

    def stop(self):
        pass

    def reset(self):
        pass

    def status(self):
        return {"ready": True}

    def target_health(self, target_group_arn: str, ip: str, port: int) -> str:
        self.asked.add((target_group_arn, ip, port))
        return self.health.get((target_group_arn, ip, port), "initial")


@pytest.fixture(scope="module")
def elbv2_plane():
    return TargetHealthStandIn()


@pytest.fixture(scope="module")
def cloud(elbv2_plane):
    with ecs_cloud("ecs-health", other_planes=(elbv2_plane,)) as cloud:
        yield cloud


def test_a_deployment_completes_only_once_its_targets_are_healthy(cloud, elbv2_plane):
    ecs, subnet = client(cloud, "ecs"), default_subnet(cloud)
    ecs.create_cluster(clusterName="lb")
    vpc_id = client(cloud, "ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
    group_arn = client(cloud, "elbv2").create_target_group(
        Name="health", Protocol="HTTP", Port=PORT, VpcId=vpc_id, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_service(cluster="lb", serviceName="web", taskDefinition=register_fargate(ecs, "web", [web_container()]),
                       desiredCount=1, launchType="FARGATE", networkConfiguration=awsvpc(subnet),
                       loadBalancers=[{"targetGroupArn": group_arn, "containerName": "web", "containerPort": PORT}])
    target = wait_for(lambda: next(iter(elbv2_plane.asked), None), message="the scheduler to ask for target health")
    deployment = ecs.describe_services(cluster="lb", services=["web"])["services"][0]["deployments"][0]
    assert (target[0], target[2]) == (group_arn, PORT)
    assert deployment["rolloutState"] == "IN_PROGRESS" and deployment["runningCount"] == 1

    elbv2_plane.health[target] = "healthy"
    fast("services_stable", ecs)(cluster="lb", services=["web"])
    wait_for(lambda: ecs.describe_services(cluster="lb", services=["web"])["services"][0]["deployments"][0][
        "rolloutState"] == "COMPLETED", message="the rollout to complete")

    elbv2_plane.health[target] = "unhealthy"
    replaced = wait_for(lambda: [t for t in ecs.describe_tasks(cluster="lb", tasks=ecs.list_tasks(
        cluster="lb", serviceName="web", desiredStatus="STOPPED")["taskArns"] or ["none"])["tasks"]],
        message="the unhealthy task to be stopped")
    assert replaced[0]["stoppedReason"] == f"Task failed ELB health checks in (target-group {group_arn})"
    assert replaced[0]["stopCode"] == "ServiceSchedulerInitiated"
