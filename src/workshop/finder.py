"""Which resources are the learner's: those that carry their EXACT `workshop:prefix` tag.

The Resource Groups Tagging API finds, in one paginated listing, what it covers (Lambda, ECS, ELBv2, CloudWatch
Logs, SQS, SNS, EC2). Everything else is listed service by service, every page, and confirmed by its tag (IAM
roles, ECR repositories, API Gateway, Cloud Map). What AWS creates untagged on the workshop's behalf — the log
groups Lambda makes, a REST API imported from OpenAPI — is matched by name: a prefix has no dash
(`session.PREFIX_RULE`), so `bob-…` never starts a name of learner `bobby` or `bob2`.
"""
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from workshop.session import PREFIX_TAG

# What a resource's ARN says it is (service and resource type) → the inventory's kind.
TAGGED_KINDS = {
    ("lambda", "function"): "Lambda",
    ("ecs", "cluster"): "ECS", ("ecs", "service"): "ECS", ("ecs", "task-definition"): "ECS",
    ("elasticloadbalancing", "loadbalancer"): "ELBv2", ("elasticloadbalancing", "targetgroup"): "ELBv2",
    ("logs", "log-group"): "CloudWatch Logs",
    ("sqs", ""): "SQS", ("sns", ""): "SNS",
    ("ec2", "vpc"): "EC2 network", ("ec2", "subnet"): "EC2 network", ("ec2", "security-group"): "EC2 network",
    ("ec2", "internet-gateway"): "EC2 network", ("ec2", "route-table"): "EC2 network",
}


def arn_type(arn: str) -> tuple[str, str]:
    """("ecs", "service") for arn:aws:ecs:…:service/cluster/name; ("sqs", "") for a queue, whose ARN has no type."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5]
    if service in ("sqs", "sns"):
        return service, ""
    return service, resource.replace(":", "/", 1).split("/", 1)[0]


def arn_name(arn: str) -> str:
    """The resource's own name or id: the last part of its ARN (a log group's whole name)."""
    service, kind = arn_type(arn)
    resource = arn.split(":", 5)[5]
    if service == "logs":
        return resource.split(":", 1)[1].removesuffix(":*")
    if (service, kind) == ("elasticloadbalancing", "loadbalancer") or kind == "targetgroup":
        return resource.split("/")[-2]  # loadbalancer/app/NAME/id, targetgroup/NAME/id
    if kind == "task-definition":
        return resource.split("/", 1)[1]  # family:revision
    return resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


TAGGING_PAGE_SIZE = 100  # GetResources' most resources per page


def tagged_arns(session) -> list[str]:
    """Every resource the Tagging API knows with this learner's exact prefix tag, over all pages."""
    pages = session.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
        TagFilters=[{"Key": PREFIX_TAG, "Values": [session.prefix]}],
        PaginationConfig={"PageSize": TAGGING_PAGE_SIZE})
    return [mapping["ResourceARN"] for page in pages for mapping in page["ResourceTagMappingList"]]


def _has_prefix_tag(tags, prefix: str) -> bool:
    """Tags as a mapping or as a list of Key/Value (or key/value) pairs."""
    if isinstance(tags, dict):
        return tags.get(PREFIX_TAG) == prefix
    return any((t.get("Key", t.get("key")), t.get("Value", t.get("value"))) == (PREFIX_TAG, prefix) for t in tags)


def roles(session) -> list[str]:
    """IAM roles: every page of list_roles; a name under the prefix, confirmed by the role's tag."""
    iam = session.client("iam")
    names = [role["RoleName"] for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"]
             if session.owns(role["RoleName"])]
    return [name for name in names
            if _has_prefix_tag(iam.list_role_tags(RoleName=name)["Tags"], session.prefix)]


def repositories(session) -> list[str]:
    ecr = session.client("ecr")
    found = [r for page in ecr.get_paginator("describe_repositories").paginate() for r in page["repositories"]
             if session.owns(r["repositoryName"])]
    return [r["repositoryName"] for r in found
            if _has_prefix_tag(ecr.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"], session.prefix)]


def http_apis(session) -> list[tuple[str, str]]:
    """API Gateway v2 APIs as (id, name): their tags come with the listing."""
    v2 = session.client("apigatewayv2")
    apis, token = [], None
    while True:  # get_apis has no paginator in every botocore: follow NextToken by hand
        page = v2.get_apis(**({"NextToken": token} if token else {}))
        apis += [(a["ApiId"], a["Name"]) for a in page["Items"] if _has_prefix_tag(a.get("Tags", {}), session.prefix)]
        token = page.get("NextToken")
        if not token:
            return apis


def rest_apis(session) -> list[tuple[str, str]]:
    """REST APIs as (id, name): tagged with the prefix, or untagged under the prefix's name (imported ones)."""
    v1 = session.client("apigateway")
    return [(a["id"], a["name"]) for page in v1.get_paginator("get_rest_apis").paginate() for a in page["items"]
            if _has_prefix_tag(a.get("tags", {}), session.prefix)
            or (not a.get("tags") and session.owns(a["name"]))]


def namespaces(session) -> list[tuple[str, str]]:
    """Cloud Map namespaces as (id, name): exactly `<prefix>.local`."""
    discovery = session.client("servicediscovery")
    wanted = f"{session.prefix}.local"
    return [(n["Id"], n["Name"]) for page in discovery.get_paginator("list_namespaces").paginate()
            for n in page["Namespaces"] if n["Name"] == wanted]


def lambda_log_groups(session) -> list[str]:
    """The log groups Lambda creates, untagged, for the learner's functions: `/aws/lambda/<prefix>-…`."""
    pages = session.client("logs").get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=f"/aws/lambda/{session.prefix}-")
    return [group["logGroupName"] for page in pages for group in page["logGroups"]]


# --- is a tagged resource still there? (the Tagging API may list a deleted one for a while) --------------------

NOT_FOUND = {"ResourceNotFoundException", "ClusterNotFoundException", "LoadBalancerNotFound", "TargetGroupNotFound",
             "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound", "InvalidVpcID.NotFound",
             "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidInternetGatewayID.NotFound",
             "InvalidRouteTableID.NotFound", "ClientException"}


def _exists(session, arn: str) -> bool:
    service, kind = arn_type(arn)
    name = arn_name(arn)
    try:
        if service == "lambda":
            session.client("lambda").get_function(FunctionName=name)
        elif (service, kind) == ("ecs", "cluster"):
            return any(c["status"] == "ACTIVE" for c in session.client("ecs").describe_clusters(clusters=[arn])["clusters"])
        elif (service, kind) == ("ecs", "service"):
            cluster = arn.split(":", 5)[5].split("/")[1]
            found = session.client("ecs").describe_services(cluster=cluster, services=[arn])["services"]
            return any(s["status"] != "INACTIVE" for s in found)
        elif (service, kind) == ("ecs", "task-definition"):
            return session.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == "ACTIVE"
        elif kind == "loadbalancer":
            session.client("elbv2").describe_load_balancers(LoadBalancerArns=[arn])
        elif kind == "targetgroup":
            session.client("elbv2").describe_target_groups(TargetGroupArns=[arn])
        elif service == "logs":
            groups = session.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            return any(g["logGroupName"] == name for g in groups)
        elif service == "sqs":
            session.client("sqs").get_queue_url(QueueName=name)
        elif service == "sns":
            session.client("sns").get_topic_attributes(TopicArn=arn)
        elif service == "ec2":
            return bool(session.client("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [name]}])["Tags"])
    except ClientError as error:
        if error.response["Error"]["Code"] in NOT_FOUND:
            return False
        raise
    return True


@dataclass
class Found:
    """The learner's resources, by what deletes them."""
    arns: list[str] = field(default_factory=list)            # from the Tagging API
    roles: list[str] = field(default_factory=list)
    repositories: list[str] = field(default_factory=list)
    http_apis: list[tuple[str, str]] = field(default_factory=list)
    rest_apis: list[tuple[str, str]] = field(default_factory=list)
    namespaces: list[tuple[str, str]] = field(default_factory=list)
    lambda_log_groups: list[str] = field(default_factory=list)

    def of(self, service: str, *kinds: str) -> list[str]:
        """The tagged ARNs of a service's resource kinds: of("ecs", "service")."""
        return [arn for arn in self.arns if arn_type(arn)[0] == service and (not kinds or arn_type(arn)[1] in kinds)]


def find(session, only_existing: bool = True) -> Found:
    """Everything of the learner's; `only_existing` drops what the Tagging API still lists after its deletion."""
    arns = [arn for arn in tagged_arns(session) if arn_type(arn) in TAGGED_KINDS]
    if only_existing:
        arns = [arn for arn in arns if _exists(session, arn)]
    return Found(arns=arns, roles=roles(session), repositories=repositories(session), http_apis=http_apis(session),
                 rest_apis=rest_apis(session), namespaces=namespaces(session),
                 lambda_log_groups=lambda_log_groups(session))


def by_kind(found: Found) -> dict[str, list[str]]:
    """The inventory: names by service, in the order the teardown removes them."""
    kinds = {kind: [] for kind in ("API Gateway", "Lambda", "ECS", "ELBv2", "Cloud Map", "SQS", "SNS", "ECR",
                                   "CloudWatch Logs", "IAM", "EC2 network")}
    kinds["API Gateway"] += [name for _, name in found.http_apis + found.rest_apis]
    for arn in found.arns:
        kinds[TAGGED_KINDS[arn_type(arn)]].append(arn_name(arn))
    kinds["Cloud Map"] += [name for _, name in found.namespaces]
    kinds["ECR"] += found.repositories
    kinds["CloudWatch Logs"] += [g for g in found.lambda_log_groups if g not in kinds["CloudWatch Logs"]]
    kinds["IAM"] += found.roles
    return kinds
