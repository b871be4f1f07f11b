"""Target group health check rules AWS applies and moto does not: the documented maximums, and a timeout shorter than
the interval with AWS's defaults counted for what the call leaves out (moto lets an omitted timeout equal the
interval, and checks no range).

The minimums are in botocore's service model, so the SDKs and the AWS CLI refuse a smaller value before the call
leaves the client; the local cloud does not repeat them, which lets its own tests (clients with
`parameter_validation=False`) check targets faster than AWS allows.
"""
from moto.elbv2.exceptions import ValidationError

# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html (ranges 5–300,
# 2–120, 2–10, 2–10: the maximums)
MAXIMUMS = {"HealthCheckIntervalSeconds": 300, "HealthCheckTimeoutSeconds": 120, "HealthyThresholdCount": 10,
            "UnhealthyThresholdCount": 10}
# Application Load Balancer target groups (HTTP, HTTPS): timeout 5 s, or 30 s for lambda targets; interval 30 s,
# or 35 s for lambda
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
# Network Load Balancer target groups (TCP, TLS, UDP, TCP_UDP): timeout 6 s for HTTP health checks, else 10 s
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html); GENEVE: 5 s
# and 10 s (https://docs.aws.amazon.com/elasticloadbalancing/latest/gateway/health-checks.html).
ALB_PROTOCOLS = ("HTTP", "HTTPS")
INTERVAL_MESSAGE = "Health check interval must be greater than the timeout."


def check_new_target_group(params: dict) -> None:
    """CreateTargetGroup: maximums, then the interval against the timeout as the target group will have them."""
    check_maximums(params)
    protocol, target_type = params.get("Protocol"), params.get("TargetType") or "instance"
    interval = params.get("HealthCheckIntervalSeconds") or default_interval(protocol, target_type)
    timeout = params.get("HealthCheckTimeoutSeconds") or default_timeout(protocol, target_type,
                                                                         params.get("HealthCheckProtocol"))
    check_interval_exceeds_timeout(interval, timeout)


def check_target_group_change(params: dict, target_group) -> None:
    """ModifyTargetGroup: maximums, then the interval against the timeout, each the new value or the group's own."""
    check_maximums(params)
    interval = params.get("HealthCheckIntervalSeconds") or target_group.health_check_interval_seconds
    timeout = params.get("HealthCheckTimeoutSeconds") or target_group.health_check_timeout_seconds
    check_interval_exceeds_timeout(interval, timeout)


def check_maximums(params: dict) -> None:
    for name, high in MAXIMUMS.items():
        value = params.get(name)
        if value is not None and int(value) > high:
            raise ValidationError(_constraint(name, value, f"less than or equal to {high}"))


def check_interval_exceeds_timeout(interval, timeout) -> None:
    # "The timeout must be smaller than the interval" (HealthCheckTimeoutSeconds, in the API reference above).
    if interval is not None and timeout is not None and int(interval) <= int(timeout):
        raise ValidationError(INTERVAL_MESSAGE)


def default_interval(protocol: str | None, target_type: str) -> int:
    if target_type == "lambda":
        return 35
    return 10 if protocol == "GENEVE" else 30


def default_timeout(protocol: str | None, target_type: str, health_check_protocol: str | None) -> int | None:
    if target_type == "lambda":
        return 30
    if protocol in ALB_PROTOCOLS:
        return 5
    if protocol == "GENEVE":
        return 5
    if protocol in ("TCP", "TLS", "UDP", "TCP_UDP"):
        return 6 if health_check_protocol == "HTTP" else 10
    return None


def _constraint(name: str, value, bound: str) -> str:
    member = name[0].lower() + name[1:]
    return (f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must have value {bound}")
