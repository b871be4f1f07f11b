"""The state module 05 ends in, built in one call: `ensure_stack(session)` for `catch_up("06")` and later modules.

Users, catalog and orders run as Fargate services behind one load balancer with one path rule each, catalog has
its Cloud Map name, logs go to one log group. The calls are module 05's (read it for the why); each step finds
what exists and creates only what is missing, so a second call changes nothing.
"""
import json
import time
from dataclasses import dataclass

from workshop.deploy import cpu_architecture, repository_name
from workshop.docker_client import WorkshopError
from workshop.network import Network, ensure_network, learner_cidr

SERVICES = ("users", "catalog", "orders")
PRIORITIES = {"catalog": 10, "users": 20, "orders": 30}
# A starting task's failed load balancer checks are not held against it for this long (a slow laptop starts slowly).
HEALTH_CHECK_GRACE_S = 15
SERVICE_PORT = 8000
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}
# bash, not Python: the check runs in the task's quarter vCPU every 5 s, and starting Python takes ~0.1 s of CPU.
HEALTH_COMMAND = ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 "
                  "&& read -r status <&3 && [[ $status == *' 200 '* ]]"]
WAIT = {"Delay": 2, "MaxAttempts": 300}  # Fargate deployments take minutes on AWS
# A target group's health check: AWS refuses a timeout that is not shorter than the interval, and the default
# timeout of an HTTP target group (6 s) is longer than 5 s
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
HEALTH_CHECK_INTERVAL, HEALTH_CHECK_TIMEOUT = 5, 4
# An Application Load Balancer takes minutes to provision on AWS.
BALANCER_DEADLINE_SECONDS, BALANCER_POLL_SECONDS = 600, 10
# The services' fault switches (/<service>/admin/faults) answer only the learner's address: one rule per service
# lets it through to the service, then a rule refuses every admin path to everyone else.
ADMIN_PRIORITIES = {"catalog": 1, "users": 2, "orders": 3}
ADMIN_REFUSED_PRIORITY = 9
ADMIN_PATHS = ["/*/admin/*", "/admin/*"]
ADMIN_REFUSED = {"Type": "fixed-response", "FixedResponseConfig": {
    "StatusCode": "403", "ContentType": "application/json",
    "MessageBody": '{"detail": "admin paths answer only the workshop\'s own address"}'}}


@dataclass(frozen=True)
class Stack:
    cluster: str
    base_url: str                  # http://<load balancer DNSName>
    load_balancer_arn: str
    listener_arn: str
    target_groups: dict[str, str]
    network: Network
    log_group: str
    execution_role: str
    task_role: str
    catalog_url: str               # where tasks reach catalog (Cloud Map)


def ensure_role(iam, session, suffix: str, description: str, trust: dict = TRUST) -> str:
    """The role `<prefix>-<suffix>` that `trust` may assume (ECS tasks unless told otherwise), unless it exists."""
    name = session.name(suffix)
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description=description,
                               **session.role_settings)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def ensure_log_group(logs, session) -> str:
    name = f"/ecs/{session.prefix}"
    try:
        logs.create_log_group(logGroupName=name, tags=session.tag_map)
        logs.put_retention_policy(logGroupName=name, retentionInDays=1)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    return name


def ensure_catalog_registry(discovery, session, vpc_id: str) -> tuple[str, str]:
    """The private DNS namespace `<prefix>.local` and catalog's name in it; returns (registry ARN, catalog URL)."""
    namespace_name = f"{session.prefix}.local"
    namespace = next((n for n in discovery.list_namespaces()["Namespaces"] if n["Name"] == namespace_name), None)
    if namespace is None:
        operation = discovery.create_private_dns_namespace(Name=namespace_name, Vpc=vpc_id,
                                                           Tags=session.tags)["OperationId"]
        while discovery.get_operation(OperationId=operation)["Operation"]["Status"] not in ("SUCCESS", "FAIL"):
            time.sleep(1)
        namespace_id = discovery.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    else:
        namespace_id = namespace["Id"]
    services = discovery.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id]}])["Services"]
    registry = next((s["Arn"] for s in services if s["Name"] == "catalog"), None) or discovery.create_service(
        Name="catalog", NamespaceId=namespace_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]},
        Tags=session.tags)["Service"]["Arn"]
    return registry, f"http://catalog.{namespace_name}:{SERVICE_PORT}"


def container_definition(session, service: str, image: str, log_group: str, version: str = "1.0",
                         environment: dict | None = None) -> dict:
    variables = {"APP_VERSION": version, **(environment or {})}
    return {"name": service, "image": image, "essential": True,
            "portMappings": [{"containerPort": SERVICE_PORT, "protocol": "tcp"}],
            "environment": [{"name": key, "value": value} for key, value in variables.items()],
            "healthCheck": {"command": HEALTH_COMMAND, "interval": 5, "timeout": 3, "retries": 3, "startPeriod": 5},
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": session.region, "awslogs-stream-prefix": service}}}


def register_task_definition(ecs, session, stack_roles: tuple[str, str], container: dict) -> str:
    execution_role, task_role = stack_roles
    return ecs.register_task_definition(
        family=session.name(container["name"]), requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512", runtimePlatform={"cpuArchitecture": cpu_architecture(), "operatingSystemFamily": "LINUX"},
        executionRoleArn=execution_role, taskRoleArn=task_role, containerDefinitions=[container],
        tags=session.ecs_tags)["taskDefinition"]["taskDefinitionArn"]


def wait_until_active(elbv2, balancer_arn: str, deadline_seconds: float = BALANCER_DEADLINE_SECONDS,
                      poll_seconds: float = BALANCER_POLL_SECONDS, sleep=time.sleep, clock=time.monotonic) -> float:
    """Until the load balancer is active (AWS: a few minutes), saying how long it has taken; the seconds waited."""
    started = clock()
    while True:
        state = elbv2.describe_load_balancers(LoadBalancerArns=[balancer_arn])["LoadBalancers"][0]["State"]
        waited = clock() - started
        if state["Code"] in ("active", "active_impaired"):
            return round(waited, 1)
        if state["Code"] == "failed" or waited >= deadline_seconds:
            raise WorkshopError(f"the load balancer is {state['Code']} after {waited:.0f} s "
                                f"({state.get('Reason', 'no reason given')}): look at it in the EC2 console, "
                                "delete it if it failed, and run the cell again")
        print(f"… the load balancer is {state['Code']} ({waited:.0f} s so far; on AWS this takes a few minutes)")
        sleep(poll_seconds)


def admin_rules(target_groups: dict[str, str], allowed_cidr: str) -> dict[int, dict]:
    """The listener rules that keep the fault switches private, by priority: `allowed_cidr` reaches each
    service's admin paths, everyone else gets 403."""
    # PathPatternConfig, as the legacy `Values` takes one pattern only
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RuleCondition.html).
    def paths(patterns):
        return {"Field": "path-pattern", "PathPatternConfig": {"Values": patterns}}
    rules = {priority: {"Conditions": [paths([f"/{service}/admin/*"]),
                                       {"Field": "source-ip", "SourceIpConfig": {"Values": [allowed_cidr]}}],
                        "Actions": [{"Type": "forward", "TargetGroupArn": target_groups[service]}]}
             for service, priority in ADMIN_PRIORITIES.items() if service in target_groups}
    rules[ADMIN_REFUSED_PRIORITY] = {"Conditions": [paths(ADMIN_PATHS)], "Actions": [ADMIN_REFUSED]}
    return rules


def protect_admin_paths(elbv2, session, listener_arn: str, target_groups: dict[str, str],
                        allowed_cidr: str | None = None) -> str:
    """Create (or point at today's address) the admin rules of `admin_rules`; returns the CIDR let through."""
    allowed_cidr = allowed_cidr or learner_cidr()
    rules_now = elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
    existing = {rule["Priority"]: rule["RuleArn"] for rule in rules_now}
    for priority, rule in admin_rules(target_groups, allowed_cidr).items():
        if str(priority) in existing:
            elbv2.modify_rule(RuleArn=existing[str(priority)], **rule)
        else:
            elbv2.create_rule(ListenerArn=listener_arn, Priority=priority, Tags=session.tags, **rule)
    return allowed_cidr


def ensure_load_balancer(elbv2, session, network: Network) -> tuple[str, str, str, dict[str, str]]:
    """The load balancer, a target group per service, the port-80 listener (404 by default) and one rule per path."""
    name = session.name("alb")
    try:
        balancer = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    except elbv2.exceptions.LoadBalancerNotFoundException:
        balancer = elbv2.create_load_balancer(Name=name, Subnets=network.subnet_ids, Type="application",
                                              SecurityGroups=[network.load_balancer_security_group],
                                              Tags=session.tags)["LoadBalancers"][0]
    existing_groups = {g["TargetGroupName"]: g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    groups = {}
    for service in SERVICES:
        groups[service] = existing_groups.get(session.name(service)) or elbv2.create_target_group(
            Name=session.name(service), Protocol="HTTP", Port=SERVICE_PORT, VpcId=network.vpc_id, TargetType="ip",
            HealthCheckPath="/health", HealthCheckIntervalSeconds=HEALTH_CHECK_INTERVAL,
            HealthCheckTimeoutSeconds=HEALTH_CHECK_TIMEOUT, HealthyThresholdCount=2,
            Tags=session.tags)["TargetGroups"][0]["TargetGroupArn"]
        elbv2.modify_target_group_attributes(TargetGroupArn=groups[service], Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    listener = next((l for l in listeners if l["Port"] == 80), None) or elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "application/json",
                                                               "MessageBody": '{"detail": "no service owns this path"}'}}],
        Tags=session.tags)["Listeners"][0]
    taken = {rule["Priority"] for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]}
    for service, priority in PRIORITIES.items():
        if str(priority) not in taken:
            elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=priority,
                              Conditions=[{"Field": "path-pattern", "Values": [f"/{service}*"]}],
                              Actions=[{"Type": "forward", "TargetGroupArn": groups[service]}], Tags=session.tags)
    protect_admin_paths(elbv2, session, listener["ListenerArn"], groups)
    wait_until_active(elbv2, balancer["LoadBalancerArn"])
    return balancer["LoadBalancerArn"], f"http://{balancer['DNSName']}", listener["ListenerArn"], groups


def ensure_service(ecs, session, service: str, task_definition: str, target_group: str, network: Network,
                   **options) -> bool:
    """Create the service unless an ACTIVE one exists; True if created."""
    found = ecs.describe_services(cluster=session.prefix, services=[service])["services"]
    if found and found[0]["status"] == "ACTIVE":
        return False
    ecs.create_service(
        cluster=session.prefix, serviceName=service, taskDefinition=task_definition, desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": network.subnet_ids, "assignPublicIp": "ENABLED",
                                                      "securityGroups": [network.tasks_security_group]}},
        loadBalancers=[{"targetGroupArn": target_group, "containerName": service, "containerPort": SERVICE_PORT}],
        deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200},
        healthCheckGracePeriodSeconds=HEALTH_CHECK_GRACE_S,
        tags=session.ecs_tags, propagateTags="SERVICE", **options)
    return True


def ensure_stack(session, orders_environment: dict | None = None) -> Stack:
    """Module 05's end state; the images must be in ECR (catch_up pushes them first)."""
    ecs, elbv2, ec2 = session.client("ecs"), session.client("elbv2"), session.client("ec2")
    iam, logs, ecr = session.client("iam"), session.client("logs"), session.client("ecr")
    ecs.create_cluster(clusterName=session.prefix, tags=session.ecs_tags)
    execution_role = ensure_role(iam, session, "task-execution", "ECS pulls images and writes logs")
    iam.attach_role_policy(RoleName=session.name("task-execution"), PolicyArn=EXECUTION_POLICY)
    task_role = ensure_role(iam, session, "task", "what the bookshop's code may call")
    network = ensure_network(ec2, session)
    log_group = ensure_log_group(logs, session)
    registry, catalog_url = ensure_catalog_registry(session.client("servicediscovery"), session, network.vpc_id)
    balancer_arn, base_url, listener_arn, groups = ensure_load_balancer(elbv2, session, network)
    environments = {"orders": {"CATALOG_URL": catalog_url, **(orders_environment or {})}}
    created = []
    for service in SERVICES:
        uri = ecr.describe_repositories(repositoryNames=[repository_name(session, service)])["repositories"][0]["repositoryUri"]
        found = ecs.describe_services(cluster=session.prefix, services=[service])["services"]
        if found and found[0]["status"] == "ACTIVE":
            if found[0]["desiredCount"] != 1:  # scaled in module 05 or from the dashboard: one task each to start
                ecs.update_service(cluster=session.prefix, service=service, desiredCount=1)
                created.append(service)
            continue
        container = container_definition(session, service, f"{uri}:1.0", log_group, environment=environments.get(service))
        definition = register_task_definition(ecs, session, (execution_role, task_role), container)
        extra = {"serviceRegistries": [{"registryArn": registry}]} if service == "catalog" else {}
        if ensure_service(ecs, session, service, definition, groups[service], network, **extra):
            created.append(service)
    # Every service, not only those just made: what was there may be replacing a task. A waiter whose condition
    # already holds returns after one call.
    ecs.get_waiter("services_stable").wait(cluster=session.prefix, services=list(SERVICES), WaiterConfig=WAIT)
    for service in SERVICES:
        elbv2.get_waiter("target_in_service").wait(TargetGroupArn=groups[service], WaiterConfig=WAIT)
    return Stack(cluster=session.prefix, base_url=base_url, load_balancer_arn=balancer_arn, listener_arn=listener_arn,
                 target_groups=groups, network=network, log_group=log_group, execution_role=execution_role,
                 task_role=task_role, catalog_url=catalog_url)
