"""An AWS account in moto (`mock_aws`) holding the workshop's resources of several learners, built with the
workshop's own `ensure_*` calls, beside many resources that belong to nobody in the workshop."""
import json

import boto3
import pytest

from workshop.session import Session

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def aws_environment(monkeypatch):
    """Fake credentials and no endpoint: boto3 talks to moto's in-process mock."""
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    boto3.DEFAULT_SESSION = None


def learner(prefix: str) -> Session:
    return Session(mode="aws", region=REGION, account=ACCOUNT, prefix=prefix)


SERVICES = ("users", "catalog", "orders")
ECS_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "lambda.amazonaws.com"}}]}
ZIP = bytes.fromhex("504b0506" + "00" * 18)  # an empty zip archive: moto stores the code, nothing runs it


def tag_spec(session: Session, kind: str, name: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, *session.tags]}]


def build_network(session: Session) -> tuple[str, list[str], str, str]:
    """The VPC module 05 makes: two public subnets, an internet gateway and its route, two security groups."""
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=tag_spec(session, "vpc", session.name("vpc")))["Vpc"]["VpcId"]
    gateway = ec2.create_internet_gateway(TagSpecifications=tag_spec(session, "internet-gateway", session.name("public")))[
        "InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=tag_spec(session, "route-table", session.name("public")))[
        "RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    subnets = []
    for number, zone in enumerate(("us-east-1a", "us-east-1b"), start=1):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{number}.0/24", AvailabilityZone=zone,
                                   TagSpecifications=tag_spec(session, "subnet", session.name("public", str(number))))
        subnets.append(subnet["Subnet"]["SubnetId"])
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnets[-1])
    alb = ec2.create_security_group(GroupName=session.name("alb"), Description="alb", VpcId=vpc,
                                    TagSpecifications=tag_spec(session, "security-group", session.name("alb")))["GroupId"]
    tasks = ec2.create_security_group(GroupName=session.name("tasks"), Description="tasks", VpcId=vpc,
                                      TagSpecifications=tag_spec(session, "security-group", session.name("tasks")))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=tasks, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "UserIdGroupPairs": [{"GroupId": alb}]}])
    return vpc, subnets, alb, tasks


def role(session: Session, suffix: str, trust: dict) -> str:
    return session.client("iam").create_role(RoleName=session.name(suffix), AssumeRolePolicyDocument=json.dumps(trust),
                                             Tags=session.tags)["Role"]["Arn"]


def build_workshop(session: Session) -> None:
    """What modules 04–08 leave: repositories, network, roles, logs, cluster, services, load balancer, Cloud Map,
    a function in the VPC, topic, queue, mapping, an HTTP API and an imported (untagged) REST API."""
    client = session.client
    ecs, iam, elbv2 = client("ecs"), client("iam"), client("elbv2")
    for service in SERVICES:
        client("ecr").create_repository(repositoryName=f"{session.prefix}/{service}", tags=session.tags)
    vpc, subnets, alb_group, tasks_group = build_network(session)
    execution, task = role(session, "task-execution", ECS_TRUST), role(session, "task", ECS_TRUST)
    policy = iam.create_policy(PolicyName=session.name("pull"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName=session.name("task-execution"), PolicyArn=policy["Policy"]["Arn"])
    client("logs").create_log_group(logGroupName=f"/ecs/{session.prefix}", tags=session.tag_map)
    discovery = client("servicediscovery")
    operation = discovery.create_private_dns_namespace(Name=f"{session.prefix}.local", Vpc=vpc, Tags=session.tags)
    namespace = discovery.get_operation(OperationId=operation["OperationId"])["Operation"]["Targets"]["NAMESPACE"]
    discovery.create_service(Name="catalog", NamespaceId=namespace, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})
    balancer = elbv2.create_load_balancer(Name=session.name("alb"), Subnets=subnets, SecurityGroups=[alb_group],
                                          Tags=session.tags)["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {service: elbv2.create_target_group(Name=session.name(service), Protocol="HTTP", Port=8000, VpcId=vpc,
                                                 TargetType="ip", Tags=session.tags)["TargetGroups"][0]["TargetGroupArn"]
              for service in SERVICES}
    elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": groups["users"]}])
    ecs.create_cluster(clusterName=session.prefix, tags=session.ecs_tags)
    for service in SERVICES:
        definition = ecs.register_task_definition(
            family=session.name(service), requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256",
            memory="512", executionRoleArn=execution, taskRoleArn=task, tags=session.ecs_tags,
            containerDefinitions=[{"name": service, "image": f"{session.prefix}/{service}:1.0"}])
        ecs.create_service(cluster=session.prefix, serviceName=service, desiredCount=1, launchType="FARGATE",
                           taskDefinition=definition["taskDefinition"]["taskDefinitionArn"], tags=session.ecs_tags,
                           loadBalancers=[{"targetGroupArn": groups[service], "containerName": service,
                                           "containerPort": 8000}],
                           networkConfiguration={"awsvpcConfiguration": {"subnets": subnets,
                                                                         "securityGroups": [tasks_group]}})
    lambda_role = role(session, "lambda", LAMBDA_TRUST)
    iam.put_role_policy(RoleName=session.name("lambda"), PolicyName="read-order-events", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    lambda_ = client("lambda")
    lambda_.create_function(FunctionName=session.name("recommendations"), Runtime="python3.13", Role=lambda_role,
                            Handler="app.handler", Code={"ZipFile": ZIP}, Tags=session.tag_map,
                            VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [tasks_group]})
    client("logs").create_log_group(logGroupName=f"/aws/lambda/{session.prefix}-recommendations")  # Lambda's, untagged
    topic = client("sns").create_topic(Name=session.name("order-events"), Tags=session.tags)["TopicArn"]
    sqs = client("sqs")
    queue = sqs.create_queue(QueueName=session.name("order-events"), tags=session.tag_map)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    lambda_.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=session.name("recommendations"))
    client("apigatewayv2").create_api(Name=session.name("api"), ProtocolType="HTTP", Tags=session.tag_map)
    client("apigateway").create_rest_api(name=session.name("reviews"))  # as import_rest_api makes it: no tags


def crowd_the_account(roles: int = 150, functions: int = 60) -> None:
    """Resources of other teams: more than one page of every listing."""
    iam, lambda_ = boto3.client("iam", region_name=REGION), boto3.client("lambda", region_name=REGION)
    role = iam.create_role(RoleName="someone-elses-lambda", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    for number in range(roles):
        iam.create_role(RoleName=f"other-role-{number:03}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
                        Tags=[{"Key": "team", "Value": "payments"}])
    for number in range(functions):
        lambda_.create_function(FunctionName=f"other-function-{number:02}", Runtime="python3.13", Role=role,
                                Handler="app.handler", Code={"ZipFile": ZIP}, Tags={"team": "payments"})
