"""A Fargate task's start at the `aws` pace: PROVISIONING (capacity, its network interface) and PENDING (its image)
take AWS's typical durations, compressed, on top of what the engine takes. At the `local` pace they take nothing.
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html)
"""
from localcloud import pace as pacing

SEEN = "ecs-task-provisioning"  # by task ARN: when the data plane first saw it PROVISIONING
PENDING = "ecs-task-pending"  # by task ARN: when it became PENDING


def _paced(cloud, task) -> bool:
    return pacing.pace_of(cloud).aws and (task.launch_type or "FARGATE") == "FARGATE"


def provisioned(cloud, backend, task) -> bool:
    """Whether a PROVISIONING task has been so for as long as Fargate takes; the first call starts its time."""
    if not _paced(cloud, task):
        return True
    ledger, now = pacing.ledger(backend), pacing.clock_of(cloud)()
    if ledger.at(SEEN, task.task_arn) is None:
        ledger.note(SEEN, task.task_arn, now)
    return ledger.remaining(SEEN, task.task_arn, now, pacing.pace_of(cloud).lasts(pacing.FARGATE_PROVISIONING_S)) == 0


def pending_left(cloud, task, pending_since: float) -> float:
    """Seconds a task PENDING since `pending_since` (the cloud's clock) still takes before its containers start."""
    if not _paced(cloud, task):
        return 0.0
    lasts = pacing.pace_of(cloud).lasts(pacing.FARGATE_PENDING_S)
    return max(0.0, pending_since + lasts - pacing.clock_of(cloud)())
