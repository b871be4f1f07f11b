"""Delete what the workshop created, in dependency order, and only what carries the learner's exact prefix tag.

`finder.find(session)` says what is the learner's (the Tagging API, and per-service listings where it does not
reach). Each step is idempotent: what is already gone is skipped. What AWS makes wait — network interfaces that
Lambda and the load balancer release minutes after, tasks still stopping, Cloud Map's asynchronous deletions — is
waited for within a bound (`patience.Patience`), with progress; what is still refused then is named in the report
with the AWS CLI command that removes it. Module 05's setup uses `remove_ecs_deployment` to start clean;
`teardown(session)` (module 09, `python -m workshop teardown`) removes everything, and `inventory(session)` lists
what is left of the workshop, service by service — empty after a teardown.
"""
import time
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from workshop import finder
from workshop.docker_client import get_client
from workshop.patience import LeftOver, Patience, Pending, error_code, retry_while, wait_until
from workshop.session import local_instance
from workshop.settings import WORKSHOP_LABEL

# ECS drains a deleted service's tasks (the target group's deregistration delay, then the stop) before INACTIVE.
SERVICES_INACTIVE = {"Delay": 2, "MaxAttempts": 300}
LOAD_BALANCERS_DELETED = {"Delay": 2, "MaxAttempts": 300}


def _services_of(ecs, cluster: str) -> list[str]:
    pages = ecs.get_paginator("list_services").paginate(cluster=cluster)
    return [arn for page in pages for arn in page["serviceArns"]]


def remove_services(ecs, cluster: str) -> list[str]:
    """Every service of the cluster, scaled to 0 and deleted; returns once they are INACTIVE."""
    try:
        arns = _services_of(ecs, cluster)
    except ecs.exceptions.ClusterNotFoundException:
        return []
    active = []
    for batch in range(0, len(arns), 10):  # describe_services takes at most 10 services per call
        # deleted services can linger as INACTIVE; there is nothing left to delete in them
        active += [s["serviceArn"] for s in ecs.describe_services(cluster=cluster, services=arns[batch:batch + 10])[
            "services"] if s["status"] != "INACTIVE"]
    for arn in active:
        ecs.delete_service(cluster=cluster, service=arn, force=True)
    for batch in range(0, len(active), 10):
        ecs.get_waiter("services_inactive").wait(cluster=cluster, services=active[batch:batch + 10],
                                                 WaiterConfig=SERVICES_INACTIVE)
    return [arn.rsplit("/", 1)[-1] for arn in active]


def _delete_load_balancer(elbv2, arn: str) -> None:
    for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    elbv2.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[arn], WaiterConfig=LOAD_BALANCERS_DELETED)


def remove_load_balancer(elbv2, name: str) -> bool:
    try:
        balancer = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    except elbv2.exceptions.LoadBalancerNotFoundException:
        return False
    _delete_load_balancer(elbv2, balancer["LoadBalancerArn"])
    return True


def _target_groups(elbv2) -> list[dict]:
    return [g for page in elbv2.get_paginator("describe_target_groups").paginate() for g in page["TargetGroups"]]


def remove_target_groups(elbv2, prefix: str) -> list[str]:
    removed = []
    for group in _target_groups(elbv2):
        if group["TargetGroupName"].startswith(prefix + "-"):
            elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
            removed.append(group["TargetGroupName"])
    return removed


def deregister_task_definitions(ecs, prefix: str) -> int:
    count = 0
    families = ecs.get_paginator("list_task_definition_families").paginate(familyPrefix=prefix + "-", status="ACTIVE")
    for family in [f for page in families for f in page["families"]]:
        pages = ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE")
        for arn in [a for page in pages for a in page["taskDefinitionArns"]]:
            ecs.deregister_task_definition(taskDefinition=arn)
            count += 1
    return count


def _delete_namespace(discovery, namespace_id: str, patience: Patience, region: str) -> None:
    """Its services first (ECS may still be deregistering an instance), then the namespace: an asynchronous
    operation that is done only when get_operation says SUCCESS."""
    pages = discovery.get_paginator("list_services").paginate(
        Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id]}])
    for service in [s for page in pages for s in page["Services"]]:
        try:
            retry_while(patience, lambda: discovery.delete_service(Id=service["Id"]), {"ResourceInUse"},
                        f"Cloud Map service {service['Name']} ({service['Id']})",
                        f"aws servicediscovery delete-service --id {service['Id']} --region {region}")
        except ClientError as error:
            if error_code(error) != "ServiceNotFound":
                raise
    command = f"aws servicediscovery delete-namespace --id {namespace_id} --region {region}"
    # Asynchronous: DeleteNamespace returns an OperationId to poll with GetOperation, and is refused while the
    # namespace still has services: https://docs.aws.amazon.com/cloud-map/latest/api/API_DeleteNamespace.html
    operation = retry_while(patience, lambda: discovery.delete_namespace(Id=namespace_id), {"ResourceInUse"},
                            f"Cloud Map namespace {namespace_id}", command)["OperationId"]
    status = {}

    def finished() -> bool:
        status.update(discovery.get_operation(OperationId=operation)["Operation"])
        return status["Status"] in ("SUCCESS", "FAIL")

    wait_until(patience, finished, f"Cloud Map to delete namespace {namespace_id} (operation {operation})", command)
    if status["Status"] == "FAIL":
        raise LeftOver(f"Cloud Map namespace {namespace_id}", command,
                       f"{status.get('ErrorCode', 'FAIL')}: {status.get('ErrorMessage', '')}")


def remove_namespace(discovery, name: str, patience: Patience | None = None, region: str = "") -> bool:
    """A Cloud Map namespace and its services."""
    pages = discovery.get_paginator("list_namespaces").paginate()
    namespace = next((n for page in pages for n in page["Namespaces"] if n["Name"] == name), None)
    if namespace is None:
        return False
    _delete_namespace(discovery, namespace["Id"], patience or Patience(), region or discovery.meta.region_name)
    return True


def remove_ecs_deployment(session) -> dict:
    """Module 05's running part: services, load balancer, target groups, Cloud Map namespace, task definitions.
    Kept: the cluster, IAM roles, network and log group (creating them again is idempotent anyway)."""
    ecs, elbv2 = session.client("ecs"), session.client("elbv2")
    started = time.monotonic()
    removed = {"services": remove_services(ecs, session.prefix),
               "load balancer": remove_load_balancer(elbv2, session.name("alb")),
               "target groups": remove_target_groups(elbv2, session.prefix),
               "namespace": remove_namespace(session.client("servicediscovery"), f"{session.prefix}.local",
                                             region=session.region),
               "task definitions": deregister_task_definitions(ecs, session.prefix)}
    removed["seconds"] = round(time.monotonic() - started, 1)
    return removed


# --- everything (module 09) ----------------------------------------------------------------------------------------

@dataclass
class Run:
    """One teardown: what was found, how long to wait, what could not be deleted."""
    session: object
    found: finder.Found
    patience: Patience
    pending: Pending = field(default_factory=Pending)

    def cli(self, command: str) -> str:
        return f"aws {command} --region {self.session.region}"

    def attempt(self, action) -> bool:
        """Run one deletion; a `LeftOver` is noted (with its command) and the teardown carries on."""
        try:
            action()
            return True
        except LeftOver as left:
            self.pending.items.append(left)
            return False


def remove_apis(session, run: Run) -> list[str]:
    removed = []
    v2, v1 = session.client("apigatewayv2"), session.client("apigateway")
    for api_id, name in run.found.http_apis:
        try:
            v2.delete_api(ApiId=api_id)
            removed.append(name)
        except v2.exceptions.NotFoundException:
            pass
    for api_id, name in run.found.rest_apis:
        # DeleteRestApi is throttled to one call every 30 s per account:
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
        if run.attempt(lambda: _ignore_missing(lambda: retry_while(
                run.patience, lambda: v1.delete_rest_api(restApiId=api_id), {"TooManyRequestsException"},
                f"REST API {name}", run.cli(f"apigateway delete-rest-api --rest-api-id {api_id}")))):
            removed.append(name)
    return removed


def _ignore_missing(action) -> None:
    try:
        action()
    except ClientError as error:
        if error_code(error) not in finder.NOT_FOUND and error_code(error) != "NotFoundException":
            raise


def remove_functions(session, run: Run) -> list[str]:
    """Event source mappings first (they hold the queue), then the functions."""
    lambda_ = session.client("lambda")
    removed = []
    for arn in run.found.of("lambda", "function"):
        name = finder.arn_name(arn)
        try:
            pages = lambda_.get_paginator("list_event_source_mappings").paginate(FunctionName=name)
            for mapping in [m for page in pages for m in page["EventSourceMappings"]]:
                _ignore_missing(lambda: lambda_.delete_event_source_mapping(UUID=mapping["UUID"]))
            lambda_.delete_function(FunctionName=name)
            removed.append(name)
        except lambda_.exceptions.ResourceNotFoundException:
            pass
    return removed


def remove_cluster(ecs, session, run: Run | None = None) -> list[str]:
    """The services (drained until INACTIVE), the task definitions (deregistered, then deleted), the cluster
    (retried while tasks are still stopping)."""
    run = run or Run(session, finder.find(session), Patience())
    clusters = [finder.arn_name(arn) for arn in run.found.of("ecs", "cluster")]
    services = [name for cluster in clusters for name in remove_services(ecs, cluster)]
    definitions = run.found.of("ecs", "task-definition")
    for arn in definitions:
        _ignore_missing(lambda: ecs.deregister_task_definition(taskDefinition=arn))
    for batch in range(0, len(definitions), 10):  # at most 10 per call; only INACTIVE ones can be deleted
        _ignore_missing(lambda: ecs.delete_task_definitions(taskDefinitions=definitions[batch:batch + 10]))
    for cluster in clusters:
        # A cluster with a task still stopping is refused (ClusterContainsTasksException):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html
        run.attempt(lambda: _ignore_missing(lambda: retry_while(
            run.patience, lambda: ecs.delete_cluster(cluster=cluster),
            {"ClusterContainsTasksException", "ClusterContainsServicesException", "UpdateInProgressException"},
            f"ECS cluster {cluster}", run.cli(f"ecs delete-cluster --cluster {cluster}"))))
    return services + clusters


def remove_load_balancers(session, run: Run) -> list[str]:
    elbv2 = session.client("elbv2")
    removed = []
    for arn in run.found.of("elasticloadbalancing", "loadbalancer"):
        try:
            _delete_load_balancer(elbv2, arn)
            removed.append(finder.arn_name(arn))
        except elbv2.exceptions.LoadBalancerNotFoundException:
            pass
    return removed


def remove_tagged_target_groups(session, run: Run) -> list[str]:
    elbv2 = session.client("elbv2")
    removed = []
    for arn in run.found.of("elasticloadbalancing", "targetgroup"):
        # A target group is "in use" until the load balancer that forwarded to it is fully gone.
        if run.attempt(lambda: _ignore_missing(lambda: retry_while(
                run.patience, lambda: elbv2.delete_target_group(TargetGroupArn=arn), {"ResourceInUse"},
                f"target group {finder.arn_name(arn)}", run.cli(f"elbv2 delete-target-group --target-group-arn {arn}")))):
            removed.append(finder.arn_name(arn))
    return removed


def remove_namespaces(session, run: Run) -> list[str]:
    discovery = session.client("servicediscovery")
    removed = []
    for namespace_id, name in run.found.namespaces:
        if run.attempt(lambda: _delete_namespace(discovery, namespace_id, run.patience, session.region)):
            removed.append(name)
    return removed


def remove_messaging(session, run: Run) -> list[str]:
    """Queues and topics. A queue's name can be used again only 60 s after its deletion (QueueDeletedRecently,
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html): that matters to
    a module run right after a teardown, not to the teardown."""
    removed = []
    sqs, sns = session.client("sqs"), session.client("sns")
    for arn in run.found.of("sqs"):
        name = finder.arn_name(arn)
        try:
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
            removed.append(name)
        except sqs.exceptions.QueueDoesNotExist:
            pass
    for arn in run.found.of("sns"):
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
        for subscription in [s for page in pages for s in page["Subscriptions"]]:
            if subscription["SubscriptionArn"].startswith("arn:"):
                sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        sns.delete_topic(TopicArn=arn)
        removed.append(finder.arn_name(arn))
    return removed


def remove_repositories(session, run: Run) -> list[str]:
    ecr = session.client("ecr")
    removed = []
    for name in run.found.repositories:
        try:
            ecr.delete_repository(repositoryName=name, force=True)
            removed.append(name)
        except ecr.exceptions.RepositoryNotFoundException:
            pass
    return removed


def remove_log_groups(session, run: Run) -> list[str]:
    logs = session.client("logs")
    removed = []
    names = [finder.arn_name(arn) for arn in run.found.of("logs")]
    for name in names + [g for g in run.found.lambda_log_groups if g not in names]:
        try:
            logs.delete_log_group(logGroupName=name)
            removed.append(name)
        except logs.exceptions.ResourceNotFoundException:
            pass
    return removed


def remove_roles(session, run: Run) -> list[str]:
    iam = session.client("iam")
    removed = []
    for name in run.found.roles:
        try:
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
                for policy in page["AttachedPolicies"]:
                    iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
                for policy_name in page["PolicyNames"]:
                    iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
            iam.delete_role(RoleName=name)
            removed.append(name)
        except iam.exceptions.NoSuchEntityException:
            pass
    return removed


def _interfaces_holding(ec2, name: str, value: str) -> str:
    """The network interfaces that keep a group or subnet in use, for the progress line."""
    found = ec2.describe_network_interfaces(Filters=[{"Name": name, "Values": [value]}])["NetworkInterfaces"]
    return ", ".join(f"{i['NetworkInterfaceId']} ({i.get('Description') or i.get('InterfaceType', '')})"
                     for i in found) or "none listed"


def remove_network(session, run: Run) -> list[str]:
    """Security groups, subnets, route tables, the internet gateway, then the VPC (what `network.py` made).
    Each waits while AWS still holds network interfaces in it: a deleted Lambda function's interfaces stay for up
    to 20 minutes (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html), DependencyViolation
    until then (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html)."""
    ec2 = session.client("ec2")
    removed = []
    busy = {"DependencyViolation", "InvalidGroup.InUse"}

    def patiently(action, what: str, command: str) -> bool:
        return run.attempt(lambda: _ignore_missing(lambda: retry_while(
            run.patience, action, busy, what, run.cli(command), seconds=run.patience.network_seconds)))

    for vpc_arn in run.found.of("ec2", "vpc"):
        vpc_id = finder.arn_name(vpc_arn)
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        groups = [g for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"] if g["GroupName"] != "default"]
        for group in groups:  # rules that name another group go first, or that group cannot be deleted
            if group["IpPermissions"]:
                ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        for group in groups:
            held = _interfaces_holding(ec2, "group-id", group["GroupId"])
            patiently(lambda: ec2.delete_security_group(GroupId=group["GroupId"]),
                      f"security group {group['GroupName']} ({group['GroupId']}; network interfaces: {held})",
                      f"ec2 delete-security-group --group-id {group['GroupId']}")
        for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
            held = _interfaces_holding(ec2, "subnet-id", subnet["SubnetId"])
            patiently(lambda: ec2.delete_subnet(SubnetId=subnet["SubnetId"]),
                      f"subnet {subnet['SubnetId']} (network interfaces: {held})",
                      f"ec2 delete-subnet --subnet-id {subnet['SubnetId']}")
        for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]:
            if not any(a.get("Main") for a in table.get("Associations", [])):
                for association in table.get("Associations", []):
                    _ignore_missing(lambda: ec2.disassociate_route_table(
                        AssociationId=association["RouteTableAssociationId"]))
                _ignore_missing(lambda: ec2.delete_route_table(RouteTableId=table["RouteTableId"]))
        gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
        for gateway in gateways["InternetGateways"]:
            gateway_id = gateway["InternetGatewayId"]
            # Refused while a public address is still mapped in the VPC (a task's, the load balancer's).
            if patiently(lambda: ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id),
                         f"internet gateway {gateway_id}",
                         f"ec2 detach-internet-gateway --internet-gateway-id {gateway_id} --vpc-id {vpc_id}"):
                _ignore_missing(lambda: ec2.delete_internet_gateway(InternetGatewayId=gateway_id))
        if patiently(lambda: ec2.delete_vpc(VpcId=vpc_id), f"VPC {vpc_id}", f"ec2 delete-vpc --vpc-id {vpc_id}"):
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
    ("ECS services, task definitions and cluster", lambda session, run: remove_cluster(session.client("ecs"), session, run)),
    ("load balancer", remove_load_balancers),
    ("target groups", remove_tagged_target_groups),
    ("Cloud Map namespace", remove_namespaces),
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
    pending: Pending = field(default_factory=Pending)  # what AWS still refused when the wait ran out

    def rows(self) -> list[dict]:
        return [{"step": step, "removed": len(names), "names": ", ".join(names)[:90]} for step, names in self.removed.items()]

    @property
    def left(self) -> list[str]:
        """What is left, each with the AWS CLI command that removes it."""
        return self.pending.lines()


def teardown(session, local_containers: bool | None = None, patience: Patience | None = None) -> TeardownReport:
    """Everything the workshop created under the session's prefix, in dependency order; safe to run again."""
    started = time.monotonic()
    run = Run(session, finder.find(session), patience or Patience())
    report = TeardownReport(pending=run.pending)
    for step, remove in STEPS:
        report.removed[step] = list(remove(session, run))
    if local_containers if local_containers is not None else session.mode == "local":
        report.removed["workshop containers on this machine"] = remove_local_containers()
    report.seconds = round(time.monotonic() - started, 1)
    for line in report.left:
        print(f"✘ still there: {line}")
    return report


def inventory(session) -> dict[str, list[str]]:
    """What is left of the workshop, service by service (every list empty after `teardown`)."""
    return finder.by_kind(finder.find(session))


def main(argv: list[str]) -> int:
    """`python -m workshop teardown [--mode local|aws] [--prefix P]`: delete everything, then list what is left."""
    import argparse

    from workshop.session import connect
    from workshop.tables import Table

    parser = argparse.ArgumentParser(prog="python -m workshop teardown", description=main.__doc__)
    parser.add_argument("--mode", default="local", choices=("local", "aws"))
    parser.add_argument("--prefix", default=None)
    args = parser.parse_args(argv)
    session = connect(args.mode, args.prefix, module="09")
    report = teardown(session)
    print(Table(report.rows(), title=f"teardown in {report.seconds} s"))
    if report.left:
        print("Run these once AWS lets go (or run the teardown again later):\n  " + "\n  ".join(report.left))
    left = {kind: names for kind, names in inventory(session).items() if names}
    if left:
        print("✘ still there:", left)
        return 1
    print(f"✔ nothing of the workshop (prefix {session.prefix!r}) is left")
    return 0
