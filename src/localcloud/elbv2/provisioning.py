"""A load balancer's provisioning at the `aws` pace: "provisioning" for AWS's few minutes (compressed) after
CreateLoadBalancer, then "active"; its listeners answer nothing meanwhile. At the `local` pace it is active at once.
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-state)
"""
from localcloud import pace as pacing

CREATED = "elbv2-load-balancer-created"  # by load balancer ARN


def begin(cloud, backend, load_balancer) -> None:
    """A load balancer was just created: at the `aws` pace it is provisioning from now."""
    if pacing.pace_of(cloud).aws:
        pacing.ledger(backend).note(CREATED, load_balancer.arn, pacing.clock_of(cloud)())
        load_balancer.state = "provisioning"


def still_provisioning(cloud, backend, load_balancer) -> bool:
    pace = pacing.pace_of(cloud)
    if not pace.aws:
        return False
    return pacing.ledger(backend).remaining(CREATED, load_balancer.arn, pacing.clock_of(cloud)(),
                                            pace.lasts(pacing.LOAD_BALANCER_PROVISIONING_S)) > 0


def show_states(cloud, backend, load_balancers) -> None:
    """The State each load balancer reports now (moto makes every one it describes active)."""
    for load_balancer in load_balancers:
        load_balancer.state = "provisioning" if still_provisioning(cloud, backend, load_balancer) else "active"
