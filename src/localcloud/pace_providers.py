"""The AWS operations whose timing the `aws` pace plays and that no data plane owns: IAM changes (a new role, a trust
policy, a permission policy) propagate before services see them, a deleted queue's name is reserved for a minute, a
deleted VPC function's network interfaces hold its subnets, security groups and VPC, and metric datapoints reach
statistics after a lag. Registered by the cloud only at the `aws` pace.

The Lambda plane's handlers use `role_propagation_left` and `hold_function_network` for what its own operations
need (see `localcloud.awslambda.provider`).
"""
import threading
import time
from collections.abc import Callable

from moto.cloudwatch.responses import CloudWatchResponse
from moto.ec2.exceptions import DependencyViolationError, InvalidSubnetIdError
from moto.ec2.responses import EC2Response
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.sqs.exceptions import SQSException
from moto.sqs.responses import SQSResponse
from moto.utilities.utils import get_partition

from localcloud import pace as pacing
from localcloud.providers import Call, Provider

ROLE_CHANGED = "iam-role-changed"  # a role created, or its trust policy changed, by role ARN
QUEUE_DELETED = "sqs-queue-deleted"  # by queue name
NETWORK_HELD = "lambda-eni-held"  # a subnet, security group or VPC a deleted function's interfaces still use


class PaceContext:
    """What the paced handlers use: the pace, the cloud's clock and moto's state."""

    def __init__(self, pace: pacing.Pace, backend: Callable[[str], object],
                 clock: Callable[[], float] = time.monotonic):
        self.pace, self.backend, self.clock = pace, backend, clock


def paced_providers(context: PaceContext, account_id: str, region: str) -> list[Provider]:
    return [provider(context, account_id, region)
            for provider in (IamPaceProvider, SqsPaceProvider, Ec2PaceProvider, CloudWatchPaceProvider)]


# --- IAM: changes are eventually consistent ----------------------------------------------------------------------
def iam_backend(account_id: str, region: str):
    return iam_backends[account_id][get_partition(region)]


def role_propagation_left(pace: pacing.Pace, now: float, account_id: str, region: str, role_arn: str) -> float:
    """Seconds until a role created (or whose trust policy changed) just now is seen by the services that assume it."""
    return pacing.ledger(iam_backend(account_id, region)).remaining(
        ROLE_CHANGED, role_arn, now, pace.lasts(pacing.IAM_PROPAGATION_S))


class IamPaceProvider(Provider):
    app = "iam"
    response_class = IamResponse

    def handlers(self):
        # Who may assume a role: checked when a service is given it; what it may do: checked by `iam_rights`.
        return {"CreateRole": self.role_changed, "UpdateAssumeRolePolicy": self.role_changed,
                "AttachRolePolicy": self.policy_changed, "PutRolePolicy": self.policy_changed}

    def role_changed(self, call: Call):
        answer = call.moto()
        if answer[0] == 200:
            backend = iam_backend(call.account_id, call.region)
            role = backend.get_role(call.params["RoleName"])
            pacing.ledger(backend).note(ROLE_CHANGED, role.arn, self._plane.clock())
        return answer

    def policy_changed(self, call: Call):
        # A policy attached or put moments ago does not grant its rights yet (`iam_rights` reads the propagated view).
        answer = call.moto()
        if answer[0] == 200:
            role = iam_backend(call.account_id, call.region).get_role(call.params["RoleName"])
            pacing.take_effect_later(role, call.params.get("PolicyArn") or call.params["PolicyName"],
                                     self._plane.clock, self._plane.pace.lasts(pacing.IAM_PROPAGATION_S))
        return answer


# --- SQS: a deleted queue's name is reserved for 60 seconds -------------------------------------------------------
class QueueDeletedRecently(SQSException):
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
    def __init__(self):
        super().__init__("AWS.SimpleQueueService.QueueDeletedRecently",
                         "You must wait 60 seconds after deleting a queue before you can create another queue "
                         "with the same name.")


class SqsPaceProvider(Provider):
    app = "sqs"
    response_class = SQSResponse

    def handlers(self):
        return {"CreateQueue": self.create_queue, "DeleteQueue": self.delete_queue}

    def create_queue(self, call: Call):
        name = call.params.get("QueueName", "")
        ledger = pacing.ledger(self._plane.backend("sqs"))
        if ledger.remaining(QUEUE_DELETED, name, self._plane.clock(), self._plane.pace.lasts(pacing.SQS_NAME_REUSE_S)):
            raise QueueDeletedRecently()
        return call.moto()

    def delete_queue(self, call: Call):
        name = call.params.get("QueueUrl", "").rstrip("/").rsplit("/", 1)[-1]
        answer = call.moto()
        if answer[0] == 200:
            pacing.ledger(self._plane.backend("sqs")).note(QUEUE_DELETED, name, self._plane.clock())
        return answer


# --- EC2: a deleted VPC function's network interfaces are released minutes later ---------------------------------
def hold_function_network(pace: pacing.Pace, now: float, ec2_backend, vpc_config: dict | None) -> None:
    """A VPC function was deleted: its subnets, security groups and VPC stay in use until Lambda has deleted its
    network interfaces."""
    if not pace.aws or not vpc_config:
        return
    ledger = pacing.ledger(ec2_backend)
    subnet_ids = vpc_config.get("SubnetIds") or []
    vpc_ids = {subnet.vpc_id for subnet_id in subnet_ids if (subnet := _subnet(ec2_backend, subnet_id)) is not None}
    for resource_id in [*subnet_ids, *(vpc_config.get("SecurityGroupIds") or []), *vpc_ids]:
        ledger.note(NETWORK_HELD, resource_id, now)


def _subnet(ec2_backend, subnet_id: str):
    try:
        return ec2_backend.get_subnet(subnet_id)
    except InvalidSubnetIdError:
        return None


class Ec2PaceProvider(Provider):
    app = "ec2"
    response_class = EC2Response

    def handlers(self):
        return {operation: self.delete_held for operation in ("DeleteSecurityGroup", "DeleteSubnet", "DeleteVpc")}

    def delete_held(self, call: Call):
        # https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html ("can take up to 20 minutes")
        resource_id = call.params.get("GroupId") or call.params.get("SubnetId") or call.params.get("VpcId")
        ledger = pacing.ledger(self._plane.backend("ec2"))
        if ledger.remaining(NETWORK_HELD, resource_id or "", self._plane.clock(),
                            self._plane.pace.lasts(pacing.LAMBDA_ENI_RELEASE_S)):
            raise DependencyViolationError(f"resource {resource_id} has a dependent object")
        return call.moto()


# --- CloudWatch: datapoints reach statistics about a minute after they are put -----------------------------------
PUT_AT = "_localcloud_put_at"


class CloudWatchPaceProvider(Provider):
    app = "cloudwatch"
    response_class = CloudWatchResponse

    def __init__(self, plane, account_id: str, region: str):
        super().__init__(plane, account_id, region)
        self._lock = threading.Lock()  # a read sees moto's datapoints filtered; no put may land in the filtered list

    def handlers(self):
        return {"PutMetricData": self.put_metric_data, "GetMetricData": self.read_metrics,
                "GetMetricStatistics": self.read_metrics}

    def put_metric_data(self, call: Call):
        backend = self._plane.backend("cloudwatch")
        with self._lock:
            known = len(backend.metric_data)
            answer = call.moto()
            now = self._plane.clock()
            for datum in backend.metric_data[known:]:
                setattr(datum, PUT_AT, now)
        return answer

    def read_metrics(self, call: Call):
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html
        backend = self._plane.backend("cloudwatch")
        lag = self._plane.pace.lasts(pacing.CLOUDWATCH_METRIC_LAG_S)
        with self._lock:
            stored, now = backend.metric_data, self._plane.clock()
            backend.metric_data = [datum for datum in stored if getattr(datum, PUT_AT, now - lag) + lag <= now]
            try:
                return call.moto()
            finally:
                backend.metric_data = stored
