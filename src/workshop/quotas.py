"""The AWS-mode preflight (`python -m workshop doctor --aws`): will this account and region hold the workshop?

One line per limit the workshop meets on a real account, each OK, WARN or FAIL with what to do. A limit the
account does not let us read (or a local cloud does not answer) gives a WARN line that says it cannot be checked,
never a crash. `learners` is how many learners share the account: each needs a VPC, a load balancer, Fargate vCPUs
and Lambda concurrency of their own.
"""
from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError

OK, WARN, FAIL = "OK", "WARN", "FAIL"
# Service Quotas codes (https://docs.aws.amazon.com/servicequotas/latest/userguide/gs-request-quota.html lists how).
VPCS_PER_REGION = ("vpc", "L-F678F1CE", 5)                           # default 5
LOAD_BALANCERS_PER_REGION = ("elasticloadbalancing", "L-53DA6B97", 50)
FARGATE_ON_DEMAND_VCPU = ("fargate", "L-3032A538", None)
LAMBDA_CONCURRENCY = ("lambda", "L-B99A9384", None)
# Peak Fargate use per learner: 3 services × up to 3 tasks × 0.25 vCPU (module 05 scales one service to 3).
VCPU_PER_LEARNER = 3 * 3 * 0.25
# Lambda keeps 10 of the account's concurrency unreserved, and module 08 reserves 2 for the notifier:
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
UNRESERVED_MINIMUM = 10
RESERVED_PER_LEARNER = 2


@dataclass
class Line:
    name: str
    status: str
    detail: str
    fix: str = ""


def _quota(quotas, code: tuple) -> float | None:
    """The account's value of a quota, or None when Service Quotas does not answer for it."""
    service, quota, _ = code
    try:
        return quotas.get_service_quota(ServiceCode=service, QuotaCode=quota)["Quota"]["Value"]
    except (ClientError, BotoCoreError, KeyError):
        return None


def _cannot(name: str, error: Exception, how: str) -> Line:
    reason = error.response["Error"].get("Code", "") if isinstance(error, ClientError) else type(error).__name__
    return Line(name, WARN, f"cannot check ({reason})", how)


def check_vpcs(ec2, quotas, learners: int) -> Line:
    name = "VPCs in this region"
    try:
        used = sum(len(page["Vpcs"]) for page in ec2.get_paginator("describe_vpcs").paginate())
    except (ClientError, BotoCoreError) as error:
        return _cannot(name, error, "check the VPC console: each learner needs one VPC")
    limit = _quota(quotas, VPCS_PER_REGION) or VPCS_PER_REGION[2]
    free = int(limit) - used
    detail = f"{used} of {int(limit)} in use, {free} free; the workshop needs {learners} (one per learner)"
    if free >= learners:
        return Line(name, OK, detail)
    return Line(name, FAIL, detail, f"delete unused VPCs, or request more: `aws service-quotas "
                                    f"request-service-quota-increase --service-code vpc --quota-code "
                                    f"{VPCS_PER_REGION[1]} --desired-value {used + learners}`")


def check_load_balancers(elbv2, quotas, learners: int) -> Line:
    name = "Application Load Balancers"
    try:
        used = sum(1 for page in elbv2.get_paginator("describe_load_balancers").paginate()
                   for balancer in page["LoadBalancers"] if balancer.get("Type") == "application")
    except (ClientError, BotoCoreError) as error:
        return _cannot(name, error, "each learner needs one Application Load Balancer")
    limit = int(_quota(quotas, LOAD_BALANCERS_PER_REGION) or LOAD_BALANCERS_PER_REGION[2])
    detail = f"{used} of {limit} in use; the workshop needs {learners}"
    if limit - used >= learners:
        return Line(name, OK, detail)
    return Line(name, FAIL, detail, f"request more: quota {LOAD_BALANCERS_PER_REGION[1]} in Service Quotas")


def check_fargate_vcpu(quotas, learners: int) -> Line:
    name = "Fargate On-Demand vCPUs"
    needed = VCPU_PER_LEARNER * learners
    limit = _quota(quotas, FARGATE_ON_DEMAND_VCPU)
    if limit is None:
        return Line(name, WARN, f"cannot check (Service Quotas does not answer for {FARGATE_ON_DEMAND_VCPU[1]})",
                    f"make sure the account may run {needed:g} Fargate vCPUs at once (Service Quotas → "
                    f"AWS Fargate → Fargate On-Demand vCPU resource count)")
    detail = f"quota {limit:g} vCPUs; the workshop needs up to {needed:g} at once"
    if limit >= needed:
        return Line(name, OK, detail)
    return Line(name, FAIL, detail, f"request more: `aws service-quotas request-service-quota-increase "
                                    f"--service-code fargate --quota-code {FARGATE_ON_DEMAND_VCPU[1]} "
                                    f"--desired-value {needed:g}`")


def check_lambda_concurrency(lambda_client, learners: int) -> Line:
    name = "Lambda concurrency"
    try:
        settings = lambda_client.get_account_settings()["AccountLimit"]
    except (ClientError, BotoCoreError) as error:
        return _cannot(name, error, "module 08 reserves 2 concurrent executions per learner; Lambda keeps 10 "
                                    "unreserved: the account needs at least 12")
    unreserved = settings["UnreservedConcurrentExecutions"]
    needed = UNRESERVED_MINIMUM + RESERVED_PER_LEARNER * learners
    detail = (f"{unreserved} unreserved of {settings['ConcurrentExecutions']}; module 08 needs {needed} "
              f"({UNRESERVED_MINIMUM} stay unreserved + {RESERVED_PER_LEARNER} per learner)")
    if unreserved >= needed:
        return Line(name, OK, detail)
    return Line(name, WARN, detail, "a new account has 10: module 08's reserved concurrency will be refused. "
                                    f"Request more: `aws service-quotas request-service-quota-increase --service-code "
                                    f"lambda --quota-code {LAMBDA_CONCURRENCY[1]} --desired-value 100`")


def check_ecs_service_linked_role(iam) -> Line:
    name = "ECS service-linked role"
    try:
        iam.get_role(RoleName="AWSServiceRoleForECS")
        return Line(name, OK, "AWSServiceRoleForECS exists")
    except iam.exceptions.NoSuchEntityException:
        # ECS creates it on first use, if the caller may (iam:CreateServiceLinkedRole).
        return Line(name, WARN, "AWSServiceRoleForECS does not exist yet",
                    "ECS creates it on the first cluster if you may create service-linked roles; otherwise an "
                    "administrator runs `aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com`")
    except (ClientError, BotoCoreError) as error:
        return _cannot(name, error, "an administrator can check `aws iam get-role --role-name AWSServiceRoleForECS`")


def preflight(learners: int = 1, region: str | None = None) -> list[Line]:
    """Every AWS-mode line, in the order a facilitator fixes them."""
    session = boto3.session.Session(region_name=region)
    try:
        identity = session.client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        return [Line("AWS credentials", FAIL, f"no usable credentials ({error})",
                     "run `aws configure` (or set AWS_PROFILE) and AWS_DEFAULT_REGION")]
    client = session.client
    quotas = client("service-quotas")
    return [
        Line("AWS account", OK, f"account {identity['Account']}, region {session.region_name}, "
                                f"as {identity['Arn']}"),
        check_vpcs(client("ec2"), quotas, learners),
        check_load_balancers(client("elbv2"), quotas, learners),
        check_fargate_vcpu(quotas, learners),
        check_lambda_concurrency(client("lambda"), learners),
        check_ecs_service_linked_role(client("iam")),
    ]
