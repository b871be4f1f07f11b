"""A call signed with an IAM user's key is held to its policies, in every protocol; the cloud's own key is root."""
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID
from localcloud.control_plane import ControlPlane
from localcloud.iam_enforcement import Enforcer, _permitted

ENDPOINT = "http://127.0.0.1:{port}"
READ_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ecs:List*", "ec2:Describe*", "sqs:ListQueues", "lambda:ListFunctions",
                                   "elasticloadbalancing:DescribeLoadBalancers", "logs:DescribeLogGroups",
                                   "cloudwatch:ListMetrics"], "Resource": "*"}]}


@pytest.fixture(scope="module")
def plane():
    enforcer = Enforcer(MOTO_DEFAULT_ACCOUNT_ID)
    control_plane = ControlPlane("127.0.0.1", 0, {}, enforcer=enforcer)
    control_plane.start()
    yield control_plane, enforcer
    control_plane.stop()


def client(port: int, service: str, key: str = "test", secret: str = "test"):
    return boto3.client(service, endpoint_url=ENDPOINT.format(port=port), region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


@pytest.fixture(scope="module")
def learner(plane):
    control_plane, _ = plane
    iam = client(control_plane.port, "iam")
    iam.create_user(UserName="learner")
    iam.put_user_policy(UserName="learner", PolicyName="read-only", PolicyDocument=json.dumps(READ_ONLY))
    key = iam.create_access_key(UserName="learner")["AccessKey"]
    return lambda service: client(control_plane.port, service, key["AccessKeyId"], key["SecretAccessKey"])


@pytest.mark.parametrize("service, allowed, refused, code", [
    ("ecs", lambda c: c.list_clusters(), lambda c: c.create_cluster(clusterName="x"), "AccessDeniedException"),
    ("ec2", lambda c: c.describe_vpcs(), lambda c: c.create_vpc(CidrBlock="10.9.0.0/16"), "UnauthorizedOperation"),
    ("elbv2", lambda c: c.describe_load_balancers(), lambda c: c.describe_target_groups(), "AccessDenied"),
    ("lambda", lambda c: c.list_functions(), lambda c: c.get_account_settings(), "AccessDeniedException"),
    ("sqs", lambda c: c.list_queues(), lambda c: c.create_queue(QueueName="x"), "AccessDenied"),
    ("logs", lambda c: c.describe_log_groups(), lambda c: c.create_log_group(logGroupName="x"),
     "AccessDeniedException"),
    ("cloudwatch", lambda c: c.list_metrics(), lambda c: c.put_metric_data(Namespace="x", MetricData=[
        {"MetricName": "m", "Value": 1.0}]), "AccessDeniedException"),
    ("iam", lambda c: None, lambda c: c.create_role(RoleName="x", AssumeRolePolicyDocument="{}"), "AccessDenied"),
])
def test_a_user_may_call_what_its_policy_allows_and_nothing_else(learner, service, allowed, refused, code):
    user = learner(service)
    allowed(user)
    with pytest.raises(ClientError) as refusal:
        refused(user)
    assert refusal.value.response["Error"]["Code"] == code
    assert "is not authorized to perform" in refusal.value.response["Error"]["Message"]


def test_the_cloud_s_own_key_is_the_account_root(plane, learner):
    control_plane, _ = plane
    client(control_plane.port, "ecs").create_cluster(clusterName="root-may")


def test_get_caller_identity_is_always_allowed(learner):
    assert learner("sts").get_caller_identity()["Arn"].endswith(":user/learner")


def test_each_user_s_calls_are_recorded_allowed_or_not(plane, learner):
    _, enforcer = plane
    with pytest.raises(ClientError):
        learner("ecs").create_cluster(clusterName="recorded")
    calls = enforcer.calls()[f"arn:aws:iam::{MOTO_DEFAULT_ACCOUNT_ID}:user/learner"]
    assert calls["ecs:CreateCluster"]["denied"] >= 1
    assert calls["ecs:ListClusters"]["allowed"] >= 1


def test_a_refused_query_call_leaves_nothing_behind(plane, learner):
    control_plane, _ = plane
    with pytest.raises(ClientError):
        learner("iam").create_role(RoleName="not-made", AssumeRolePolicyDocument="{}")
    names = [role["RoleName"] for role in client(control_plane.port, "iam").list_roles()["Roles"]]
    assert "not-made" not in names


@pytest.mark.parametrize("statements, action, expected", [
    ([{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}], "ecs:CreateService", True),
    ([{"Effect": "Allow", "Action": "ECS:create*", "Resource": "*"}], "ecs:CreateService", True),
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "iam:CreateRole", False),
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "ecs:CreateService", True),
    ([{"Effect": "Allow", "Action": "*", "Resource": "*"},
      {"Effect": "Deny", "Action": "ec2:CreateVpc", "Resource": "*"}], "ec2:CreateVpc", False),
    # a Deny on some resources cannot be judged locally: the Allow stands
    ([{"Effect": "Allow", "Action": "*", "Resource": "*"},
      {"Effect": "Deny", "Action": "iam:CreateRole", "Resource": "arn:aws:iam::*:role/admin-*"}], "iam:CreateRole", True),
    ([], "ecs:ListClusters", False),
])
def test_policy_evaluation(statements, action, expected):
    assert _permitted([{"Version": "2012-10-17", "Statement": statements}], action) is expected


BOUNDARY = "arn:aws:iam::123456789012:policy/workshop-learner-boundary"
WITH_BOUNDARY = {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "arn:aws:iam::*:role/${aws:username}-*",
                 "Condition": {"StringEquals": {
                     "iam:PermissionsBoundary": "arn:aws:iam::${aws:PrincipalAccount}:policy/workshop-learner-boundary"}}}


@pytest.mark.parametrize("context, expected", [
    ({"aws:PrincipalAccount": "123456789012", "iam:PermissionsBoundary": BOUNDARY}, True),
    ({"aws:PrincipalAccount": "123456789012", "iam:PermissionsBoundary": BOUNDARY.replace("workshop", "admin")}, False),
    ({"aws:PrincipalAccount": "123456789012"}, False),  # no boundary given: the condition's key is absent
])
def test_create_role_is_allowed_only_with_the_boundary_the_condition_names(context, expected):
    assert _permitted([{"Statement": [WITH_BOUNDARY]}], "iam:CreateRole", context) is expected


def test_a_role_created_without_the_boundary_is_refused_over_the_wire(plane):
    control_plane, _ = plane
    root = client(control_plane.port, "iam")
    root.create_user(UserName="bounded")
    root.put_user_policy(UserName="bounded", PolicyName="roles", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [WITH_BOUNDARY]}))
    key = root.create_access_key(UserName="bounded")["AccessKey"]
    user = client(control_plane.port, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError):
        user.create_role(RoleName="bounded-a", AssumeRolePolicyDocument="{}")
    user.create_role(RoleName="bounded-b", AssumeRolePolicyDocument="{}", PermissionsBoundary=BOUNDARY)
