"""Delete what the workshop created, in dependency order, and only what carries the learner's prefix.

Each function is idempotent: what is already gone is skipped. Module 05's setup uses `remove_ecs_deployment`
to start clean; the full teardown (module 09, `python -m workshop teardown`) builds on the same functions.
"""
import time

WAIT_S = 120


def _gone(error, *codes) -> bool:
    return error.response["Error"]["Code"] in codes


def remove_services(ecs, cluster: str) -> list[str]:
    """Every service of the cluster, scaled to 0 and deleted; returns once they are INACTIVE."""
    try:
        arns = ecs.list_services(cluster=cluster)["serviceArns"]
    except ecs.exceptions.ClusterNotFoundException:
        return []
    for arn in arns:
        ecs.delete_service(cluster=cluster, service=arn, force=True)
    if arns:
        ecs.get_waiter("services_inactive").wait(cluster=cluster, services=arns, WaiterConfig={"Delay": 1, "MaxAttempts": WAIT_S})
    return [arn.rsplit("/", 1)[-1] for arn in arns]


def remove_load_balancer(elbv2, name: str) -> bool:
    try:
        balancer = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    except elbv2.exceptions.LoadBalancerNotFoundException:
        return False
    for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
    elbv2.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[balancer["LoadBalancerArn"]],
                                                    WaiterConfig={"Delay": 1, "MaxAttempts": WAIT_S})
    return True


def remove_target_groups(elbv2, prefix: str) -> list[str]:
    removed = []
    for group in elbv2.describe_target_groups()["TargetGroups"]:
        if group["TargetGroupName"].startswith(prefix + "-"):
            elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
            removed.append(group["TargetGroupName"])
    return removed


def deregister_task_definitions(ecs, prefix: str) -> int:
    count = 0
    for family in ecs.list_task_definition_families(familyPrefix=prefix + "-", status="ACTIVE")["families"]:
        for arn in ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]:
            ecs.deregister_task_definition(taskDefinition=arn)
            count += 1
    return count


def remove_namespace(discovery, name: str) -> bool:
    """A Cloud Map namespace and its services."""
    namespace = next((n for n in discovery.list_namespaces()["Namespaces"] if n["Name"] == name), None)
    if namespace is None:
        return False
    services = discovery.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace["Id"]]}])["Services"]
    for service in services:
        discovery.delete_service(Id=service["Id"])
    discovery.delete_namespace(Id=namespace["Id"])
    return True


def remove_ecs_deployment(session) -> dict:
    """Module 05's running part: services, load balancer, target groups, Cloud Map namespace, task definitions.
    Kept: the cluster, IAM roles, network and log group (creating them again is idempotent anyway)."""
    ecs, elbv2 = session.client("ecs"), session.client("elbv2")
    started = time.monotonic()
    removed = {"services": remove_services(ecs, session.prefix),
               "load balancer": remove_load_balancer(elbv2, session.name("alb")),
               "target groups": remove_target_groups(elbv2, session.prefix),
               "namespace": remove_namespace(session.client("servicediscovery"), f"{session.prefix}.local"),
               "task definitions": deregister_task_definitions(ecs, session.prefix)}
    removed["seconds"] = round(time.monotonic() - started, 1)
    return removed
