"""Delete what the workshop created, in dependency order, and only what carries the learner's prefix.

Each function is idempotent: what is already gone is skipped. Module 05's setup uses `remove_ecs_deployment`
to start clean; `teardown(session)` (module 09, `python -m workshop teardown`) removes everything, and
`inventory(session)` lists what is left of the workshop, service by service — empty after a teardown.
"""
import time
from dataclasses import dataclass, field

from workshop.docker_client import get_client
from workshop.session import local_instance
from workshop.settings import WORKSHOP_LABEL

WAIT_S = 120


def _gone(error, *codes) -> bool:
    return error.response["Error"]["Code"] in codes


def remove_services(ecs, cluster: str) -> list[str]:
    """Every service of the cluster, scaled to 0 and deleted; returns once they are INACTIVE."""
    try:
        arns = ecs.list_services(cluster=cluster)["serviceArns"]
    except ecs.exceptions.ClusterNotFoundException:
        return []
    if arns:  # deleted services can linger as INACTIVE; there is nothing left to delete in them
        arns = [s["serviceArn"] for s in ecs.describe_services(cluster=cluster, services=arns)["services"]
                if s["status"] != "INACTIVE"]
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


# --- everything (module 09) ----------------------------------------------------------------------------------------

def remove_apis(session) -> list[str]:
    removed = []
    v2 = session.client("apigatewayv2")
    for api in v2.get_apis()["Items"]:
        if session.owns(api["Name"]):
            v2.delete_api(ApiId=api["ApiId"])
            removed.append(api["Name"])
    v1 = session.client("apigateway")
    for api in v1.get_rest_apis()["items"]:
        if session.owns(api["name"]):
            v1.delete_rest_api(restApiId=api["id"])
            removed.append(api["name"])
    return removed


def remove_functions(session) -> list[str]:
    """Event source mappings first (they hold the queue), then the functions."""
    lambda_ = session.client("lambda")
    removed = []
    for function in lambda_.list_functions()["Functions"]:
        if not session.owns(function["FunctionName"]):
            continue
        for mapping in lambda_.list_event_source_mappings(FunctionName=function["FunctionName"])["EventSourceMappings"]:
            lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
        lambda_.delete_function(FunctionName=function["FunctionName"])
        removed.append(function["FunctionName"])
    return removed


def remove_cluster(ecs, session) -> list[str]:
    services = remove_services(ecs, session.prefix)
    deregister_task_definitions(ecs, session.prefix)
    try:
        ecs.delete_cluster(cluster=session.prefix)
    except (ecs.exceptions.ClusterNotFoundException, ecs.exceptions.ClusterContainsTasksException):
        pass
    return services


def remove_messaging(session) -> list[str]:
    removed = []
    sqs, sns = session.client("sqs"), session.client("sns")
    for url in sqs.list_queues(QueueNamePrefix=session.prefix + "-").get("QueueUrls", []):
        sqs.delete_queue(QueueUrl=url)
        removed.append(url.rsplit("/", 1)[-1])
    for topic in sns.list_topics()["Topics"]:
        name = topic["TopicArn"].rsplit(":", 1)[-1]
        if session.owns(name):
            for subscription in sns.list_subscriptions_by_topic(TopicArn=topic["TopicArn"])["Subscriptions"]:
                if subscription["SubscriptionArn"].startswith("arn:"):
                    sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
            sns.delete_topic(TopicArn=topic["TopicArn"])
            removed.append(name)
    return removed


def remove_repositories(session) -> list[str]:
    ecr = session.client("ecr")
    removed = []
    for repository in ecr.describe_repositories()["repositories"]:
        if session.owns(repository["repositoryName"]):
            ecr.delete_repository(repositoryName=repository["repositoryName"], force=True)
            removed.append(repository["repositoryName"])
    return removed


def _log_group_prefixes(session) -> tuple[str, ...]:
    return (f"/ecs/{session.prefix}", f"/aws/lambda/{session.prefix}-", f"/workshop/{session.prefix}")


def remove_log_groups(session) -> list[str]:
    logs = session.client("logs")
    removed = []
    for prefix in _log_group_prefixes(session):
        for group in logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]:
            logs.delete_log_group(logGroupName=group["logGroupName"])
            removed.append(group["logGroupName"])
    return removed


def remove_roles(session) -> list[str]:
    iam = session.client("iam")
    removed = []
    for role in iam.list_roles()["Roles"]:
        if not session.owns(role["RoleName"]):
            continue
        for policy in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=policy["PolicyArn"])
        for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            iam.delete_role_policy(RoleName=role["RoleName"], PolicyName=name)
        iam.delete_role(RoleName=role["RoleName"])
        removed.append(role["RoleName"])
    return removed


def _named_vpcs(ec2, session) -> list[str]:
    return [vpc["VpcId"] for vpc in ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [session.name("vpc")]}])["Vpcs"]]


def remove_network(session) -> list[str]:
    """Security groups, subnets, route tables, the internet gateway, then the VPC (what `network.py` made)."""
    ec2 = session.client("ec2")
    removed = []
    for vpc_id in _named_vpcs(ec2, session):
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        groups = [g for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"] if g["GroupName"] != "default"]
        for group in groups:  # rules that name another group go first, or that group cannot be deleted
            if group["IpPermissions"]:
                ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        for group in groups:
            ec2.delete_security_group(GroupId=group["GroupId"])
        for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]:
            if not any(a.get("Main") for a in table.get("Associations", [])):
                for association in table.get("Associations", []):
                    ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
                ec2.delete_route_table(RouteTableId=table["RouteTableId"])
        for gateway in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]:
            ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
            ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
        ec2.delete_vpc(VpcId=vpc_id)
        removed.append(vpc_id)
    return removed


# The names modules 01–03 and their checks give their containers and networks on the Docker engine.
MODULE_CONTAINER_PREFIXES = ("workshop-monolith", "workshop-0", "workshop-exercise")


def remove_local_containers() -> list[str]:
    """The containers and networks modules 01–03 started on the Docker engine (images stay: they are the cache)."""
    client = get_client()
    removed = []
    for container in client.containers.list(all=True, filters={"label": f"{WORKSHOP_LABEL}=true"}):
        if container.name.startswith(MODULE_CONTAINER_PREFIXES):
            container.remove(force=True)
            removed.append(container.name)
    for network in client.networks.list(filters={"label": f"{WORKSHOP_LABEL}=true"}):
        if network.name.startswith(MODULE_CONTAINER_PREFIXES):
            network.remove()
            removed.append(network.name)
    return removed


# What runs a workload of the local cloud (an ECS task, a Lambda function), by the label the local cloud gives it.
WORKLOAD_PARTS = ("ecs-task", "lambda-function")


def workload_containers(session) -> list[str]:
    """In local mode, the containers that still run ECS tasks or Lambda functions (on AWS there are none to see)."""
    if session.mode != "local":
        return []
    containers = get_client().containers.list(all=True, filters={"label": f"localcloud.managed={local_instance()}"})
    return sorted(c.name for c in containers if c.labels.get("localcloud.part") in WORKLOAD_PARTS)


def wait_until_no_workloads(session, timeout: float = 60) -> float:
    """Stopped tasks and deleted functions leave the engine shortly after the API says so; returns seconds taken."""
    started = time.monotonic()
    while workload_containers(session) and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


# In dependency order: what uses a thing goes before the thing.
STEPS = (
    ("API Gateway APIs", remove_apis),
    ("Lambda functions and their event source mappings", remove_functions),
    ("ECS services, task definitions and cluster", lambda session: remove_cluster(session.client("ecs"), session)),
    ("load balancer", lambda session: [session.name("alb")] if remove_load_balancer(session.client("elbv2"), session.name("alb")) else []),
    ("target groups", lambda session: remove_target_groups(session.client("elbv2"), session.prefix)),
    ("Cloud Map namespace", lambda session: [f"{session.prefix}.local"] if remove_namespace(session.client("servicediscovery"), f"{session.prefix}.local") else []),
    ("SQS queues and SNS topics", remove_messaging),
    ("ECR repositories and their images", remove_repositories),
    ("CloudWatch log groups", remove_log_groups),
    ("IAM roles", remove_roles),
    ("VPC, subnets, gateway, security groups", remove_network),
)


@dataclass
class TeardownReport:
    removed: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def rows(self) -> list[dict]:
        return [{"step": step, "removed": len(names), "names": ", ".join(names)[:90]} for step, names in self.removed.items()]


def teardown(session, local_containers: bool | None = None) -> TeardownReport:
    """Everything the workshop created under the session's prefix, in dependency order; safe to run again."""
    started = time.monotonic()
    report = TeardownReport()
    for step, remove in STEPS:
        report.removed[step] = list(remove(session))
    if local_containers if local_containers is not None else session.mode == "local":
        report.removed["workshop containers on this machine"] = remove_local_containers()
    report.seconds = round(time.monotonic() - started, 1)
    return report


def inventory(session) -> dict[str, list[str]]:
    """What is left of the workshop, service by service (every list empty after `teardown`)."""
    ecs, elbv2, ec2 = session.client("ecs"), session.client("elbv2"), session.client("ec2")
    logs, discovery = session.client("logs"), session.client("servicediscovery")
    lambda_, sqs, sns = session.client("lambda"), session.client("sqs"), session.client("sns")
    v1, v2, ecr, iam = session.client("apigateway"), session.client("apigatewayv2"), session.client("ecr"), session.client("iam")
    clusters = ecs.describe_clusters(clusters=[session.prefix])["clusters"]
    return {
        "API Gateway": [a["Name"] for a in v2.get_apis()["Items"] if session.owns(a["Name"])]
                       + [a["name"] for a in v1.get_rest_apis()["items"] if session.owns(a["name"])],
        "Lambda": [f["FunctionName"] for f in lambda_.list_functions()["Functions"] if session.owns(f["FunctionName"])],
        "ECS": [c["clusterName"] for c in clusters if c["status"] == "ACTIVE"]
               + ecs.list_task_definition_families(familyPrefix=session.prefix + "-", status="ACTIVE")["families"],
        "ELBv2": [b["LoadBalancerName"] for b in elbv2.describe_load_balancers()["LoadBalancers"] if session.owns(b["LoadBalancerName"])]
                 + [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"] if session.owns(g["TargetGroupName"])],
        "Cloud Map": [n["Name"] for n in discovery.list_namespaces()["Namespaces"] if n["Name"] == f"{session.prefix}.local"],
        "SQS": [u.rsplit("/", 1)[-1] for u in sqs.list_queues(QueueNamePrefix=session.prefix + "-").get("QueueUrls", [])],
        "SNS": [t["TopicArn"].rsplit(":", 1)[-1] for t in sns.list_topics()["Topics"] if session.owns(t["TopicArn"].rsplit(":", 1)[-1])],
        "ECR": [r["repositoryName"] for r in ecr.describe_repositories()["repositories"] if session.owns(r["repositoryName"])],
        "CloudWatch Logs": [g["logGroupName"] for prefix in _log_group_prefixes(session)
                            for g in logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]],
        "IAM": [r["RoleName"] for r in iam.list_roles()["Roles"] if session.owns(r["RoleName"])],
        "EC2 network": _named_vpcs(ec2, session)
                       + [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"] if session.owns(g["GroupName"])],
    }


def main(argv: list[str]) -> int:
    """`python -m workshop teardown [--mode local|aws] [--prefix P]`: delete everything, then list what is left."""
    import argparse

    from workshop.session import connect
    from workshop.tables import Table

    parser = argparse.ArgumentParser(prog="python -m workshop teardown", description=main.__doc__)
    parser.add_argument("--mode", default="local", choices=("local", "aws"))
    parser.add_argument("--prefix", default=None)
    args = parser.parse_args(argv)
    session = connect(args.mode, args.prefix)
    report = teardown(session)
    print(Table(report.rows(), title=f"teardown in {report.seconds} s"))
    left = {kind: names for kind, names in inventory(session).items() if names}
    if left:
        print("✘ still there:", left)
        return 1
    print(f"✔ nothing of the workshop (prefix {session.prefix!r}) is left")
    return 0
