"""The mode switch of modules 03 onwards: where the notebook's boto3 calls go.

`connect("local")` makes sure the embedded local cloud answers (starting it in the background when it does not)
and points this kernel's AWS clients at it through `AWS_ENDPOINT_URL`. `connect("aws")` uses the learner's real
account, only when they opted in, and shows the account and region before anything is created. Either way the
notebook then calls plain `boto3.client(...)`: nothing else in a notebook knows which mode it runs in.
"""
import os
import re
import subprocess
import sys
from dataclasses import dataclass

import boto3

from workshop.docker_client import WorkshopError, get_client

MODES = ("local", "aws")
WORKSHOP_TAG = "workshop"
WORKSHOP_TAG_VALUE = "microservices-on-aws"
PREFIX_TAG = "workshop:prefix"
DEFAULT_PREFIX = "bookshop"
# A real account is used only when the learner says so, in the environment, before starting JupyterLab.
OPT_IN_VARIABLE = "WORKSHOP_USE_REAL_AWS"
PREFIX_RULE = re.compile(r"^[a-z][a-z0-9-]{1,19}$")
LOCAL_UP_TIMEOUT_S = 120
STATUS_TIMEOUT_S = 10  # a busy machine answers slowly; starting a second cloud on the same port would fail


class ModeError(WorkshopError):
    """The chosen mode cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class Session:
    mode: str
    region: str
    account: str
    prefix: str

    @property
    def tags(self) -> list[dict[str, str]]:
        """The tags every resource of the workshop carries (ECR, ECS, ELBv2, EC2, IAM, Logs take this shape)."""
        return [{"Key": WORKSHOP_TAG, "Value": WORKSHOP_TAG_VALUE}, {"Key": PREFIX_TAG, "Value": self.prefix}]

    @property
    def ecs_tags(self) -> list[dict[str, str]]:
        """ECS spells the same tags with lower-case keys."""
        return [{"key": tag["Key"], "value": tag["Value"]} for tag in self.tags]

    @property
    def tag_map(self) -> dict[str, str]:
        """The same tags as a mapping (ECR lifecycle, Lambda, API Gateway and SQS take this shape)."""
        return {tag["Key"]: tag["Value"] for tag in self.tags}

    def owns(self, name: str) -> bool:
        """Whether a resource name is under the learner's prefix ("bookshop-…", "bookshop/…" or the prefix itself)."""
        return name == self.prefix or name.startswith((self.prefix + "-", self.prefix + "/"))

    def name(self, *parts: str) -> str:
        """A resource name under the learner's prefix: name("catalog") → "bookshop-catalog"."""
        return "-".join((self.prefix, *parts))

    def client(self, service: str):
        return boto3.client(service, region_name=self.region)

    def __str__(self) -> str:
        where = "the local cloud on this machine" if self.mode == "local" else "a REAL AWS account (costs money)"
        return f"mode {self.mode}: {where}, account {self.account}, region {self.region}, prefix {self.prefix!r}"


def connect(mode: str = "local", prefix: str | None = None) -> Session:
    """Point this kernel's AWS clients at the chosen target and say which one it is."""
    if mode not in MODES:
        raise ModeError(f"MODE must be one of {', '.join(repr(m) for m in MODES)}; got {mode!r}")
    prefix = prefix or os.environ.get("WORKSHOP_PREFIX", DEFAULT_PREFIX)
    if not PREFIX_RULE.match(prefix):
        raise ModeError(f"the prefix {prefix!r} must be 2–20 lower-case letters, digits or dashes, starting "
                        f"with a letter (it begins every resource name)")
    if mode == "local":
        environment = ensure_local_cloud()
        os.environ.update(environment)
        region = environment["AWS_DEFAULT_REGION"]
    else:
        region = use_real_account()
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    session = Session(mode=mode, region=region, account=account, prefix=prefix)
    print(session)
    return session


def ensure_local_cloud() -> dict[str, str]:
    """The client settings of the local cloud; starts it in the background if none answers."""
    from localcloud import engine
    from localcloud.cli import fetch_status, part_state
    from localcloud.config import Config

    get_client()  # the local cloud runs on the Docker engine: say how to start one if none answers
    config = Config()
    status = fetch_status(config, timeout=STATUS_TIMEOUT_S)
    # A part still loading is fine: a call that needs it waits until it is ready.
    if not status or not all(part_state(part) in ("ready", "loading") for part in status["parts"].values()):
        # The cloud runs its containers on the engine just checked, whatever the docker CLI's context says later.
        result = subprocess.run([sys.executable, "-m", "localcloud", "up", "--detach"], capture_output=True,
                                text=True, timeout=LOCAL_UP_TIMEOUT_S, env={**os.environ, **engine.environment()})
        if result.returncode != 0:
            raise ModeError("the local cloud did not start:\n" + (result.stderr or result.stdout).strip()
                            + "\nFix what it says, then re-run this cell (`localcloud status` shows each part).")
    return config.client_environment()


def local_instance() -> str:
    """The name of the local cloud this kernel uses (its containers carry it as a label)."""
    from localcloud.config import Config

    return Config().instance


def use_real_account() -> str:
    if os.environ.get(OPT_IN_VARIABLE) != "yes":
        raise ModeError(f"MODE = 'aws' creates real resources in your AWS account (load balancers and Fargate tasks "
                        f"cost money while they run). To opt in, start JupyterLab with {OPT_IN_VARIABLE}=yes and "
                        f"your usual AWS credentials; module 09 deletes everything afterwards.")
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        del os.environ["AWS_ENDPOINT_URL"]  # left over from local mode in this kernel
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise ModeError("no AWS credentials found: run `aws configure` (or set AWS_PROFILE), then restart the kernel")
    if not session.region_name:
        raise ModeError("no AWS region set: set AWS_DEFAULT_REGION (for example us-east-1), then restart the kernel")
    return session.region_name
