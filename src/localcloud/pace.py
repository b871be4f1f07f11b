"""The local cloud's pace: `local` (the default) answers as soon as the work is done; `aws` plays AWS's timing and
eventual consistency, compressed by a factor, so that code written for AWS (retries, waiters) is rehearsed locally.

`LOCALCLOUD_PACE=aws` turns it on; `LOCALCLOUD_PACE_FACTOR` says how many times faster than AWS it runs (1: AWS's
own durations; 20: a three-minute load balancer is ready in nine seconds). Each paced behaviour names its duration
below as AWS's typical value; `Pace.lasts` compresses it, never below `MINIMUM_S`.

When each thing happened is kept in a `Ledger` stored with moto's state of the service (`ledger(backend)`), so
resetting moto forgets it too.
"""
import dataclasses
import os
import threading
import time

PACE_ENV = "LOCALCLOUD_PACE"
FACTOR_ENV = "LOCALCLOUD_PACE_FACTOR"
PACES = ("local", "aws")
MINIMUM_S = 0.2  # a compressed duration never shrinks below this: the order of events stays observable

# --- AWS's typical durations, in AWS seconds ---------------------------------------------------------------------
# IAM is eventually consistent: a new role or policy is usable by services after a few seconds
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
IAM_PROPAGATION_S = 10.0
# A new Application Load Balancer is "provisioning" for a few minutes before it is "active"
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-state).
LOAD_BALANCER_PROVISIONING_S = 150.0
# A Fargate task: capacity and the ENI are provisioned (PROVISIONING), then the image is pulled (PENDING)
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html); typically 30-60 s.
FARGATE_PROVISIONING_S = 20.0
FARGATE_PENDING_S = 25.0
# A target registers once the load balancer has sent it its first health check; it is "initial" meanwhile
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
TARGET_REGISTRATION_S = 30.0
# A VPC function's network interfaces outlive it: "Lambda deletes them... this can take up to 20 minutes"
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-enis).
LAMBDA_ENI_RELEASE_S = 20 * 60.0
# "You must wait 60 seconds after deleting a queue before you can create another with the same name."
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html)
SQS_NAME_REUSE_S = 60.0
# Custom metrics become available to statistics after about a minute
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html).
CLOUDWATCH_METRIC_LAG_S = 60.0
# A new deployment reaches a stage after a few seconds
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html).
API_DEPLOYMENT_S = 5.0


class PaceSettingError(ValueError):
    """The pace asked for in the environment is not one the local cloud knows."""


@dataclasses.dataclass(frozen=True)
class Pace:
    name: str = "local"
    factor: float = 1.0  # how many times faster than AWS

    def __post_init__(self):
        if self.name not in PACES:
            raise PaceSettingError(f"{PACE_ENV}={self.name!r}: use one of {', '.join(PACES)}")
        if not self.factor > 0:
            raise PaceSettingError(f"{FACTOR_ENV}={self.factor!r}: use a number above 0 (1: AWS's own durations)")

    @property
    def aws(self) -> bool:
        return self.name == "aws"

    def lasts(self, aws_seconds: float) -> float:
        """How long something that takes `aws_seconds` on AWS takes here: 0 at the local pace."""
        if not self.aws:
            return 0.0
        return max(MINIMUM_S, aws_seconds / self.factor)

    def describe(self) -> str:
        if not self.aws:
            return "local (instant)"
        return f"aws ({self.factor:g}x faster than AWS)"


def from_environment(environ=os.environ) -> Pace:
    name = (environ.get(PACE_ENV) or "local").strip().lower()
    raw = (environ.get(FACTOR_ENV) or "1").strip()
    try:
        factor = float(raw)
    except ValueError:
        raise PaceSettingError(f"{FACTOR_ENV}={raw!r}: use a number above 0 (1: AWS's own durations)") from None
    return Pace(name, factor)


class Ledger:
    """When things happened, by (kind, key), on the cloud's clock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._at: dict[tuple[str, str], float] = {}

    def note(self, kind: str, key: str, at: float) -> None:
        with self._lock:
            self._at[(kind, key)] = at

    def forget(self, kind: str, key: str) -> None:
        with self._lock:
            self._at.pop((kind, key), None)

    def at(self, kind: str, key: str) -> float | None:
        with self._lock:
            return self._at.get((kind, key))

    def keys(self, kind: str) -> list[str]:
        with self._lock:
            return [key for noted_kind, key in self._at if noted_kind == kind]

    def remaining(self, kind: str, key: str, now: float, lasts: float) -> float:
        """Seconds until what happened to `key` has taken effect: 0 once it has, or when it was never noted."""
        happened = self.at(kind, key)
        return 0.0 if happened is None else max(0.0, happened + lasts - now)


_LEDGERS = threading.Lock()


def ledger(backend) -> Ledger:
    """The ledger kept with one moto backend (emptied when moto resets it, which rebuilds the backend's state)."""
    with _LEDGERS:
        found = backend.__dict__.get("_localcloud_pace")
        if found is None:
            found = backend.__dict__["_localcloud_pace"] = Ledger()
        return found


def pace_of(cloud) -> Pace:
    """The pace of the cloud a plane runs in (its `config.pace`); the local pace for a cloud without one."""
    return getattr(getattr(cloud, "config", None), "pace", None) or Pace()


def clock_of(cloud):
    """The clock of the cloud a plane runs in (its `clock`), or the monotonic clock."""
    return getattr(cloud, "clock", None) or time.monotonic


# --- changes that take effect later, kept on moto's model they change ----------------------------------------------
EFFECTIVE_ATTRIBUTE = "localcloud_effective"  # on a moto model: {key: (effective at, clock)}


def take_effect_later(model, key: str, clock, lasts: float) -> None:
    """A change of `model` under `key` (a policy of a role) counts only once `lasts` seconds have passed."""
    model.__dict__.setdefault(EFFECTIVE_ATTRIBUTE, {})[key] = (clock() + lasts, clock)


def in_effect(model, key: str) -> bool:
    """Whether the change of `model` under `key` counts yet (always, for a change never delayed)."""
    pending = model.__dict__.get(EFFECTIVE_ATTRIBUTE, {}).get(key)
    return pending is None or pending[1]() >= pending[0]
