"""The mode switch of modules 04 onwards (00–03 need only Docker): where the notebook's boto3 calls go.

`connect("local")` makes sure the embedded local cloud answers (starting it in the background when it does not)
and points this kernel's AWS clients at it through `AWS_ENDPOINT_URL`. `connect("aws", prefix, module="05")` uses
the learner's real account only when they opted in, refuses the shared default prefix, and stops before anything is
created until the account id is confirmed, showing what the module creates and what it costs while it runs. Either
way the notebook then calls plain `boto3.client(...)`: nothing else in a notebook knows which mode it runs in.

A rehearsal (`WORKSHOP_REHEARSAL=yes`) runs the AWS-mode path — every gate, the confirmation, the teardown —
against a local cloud that plays AWS's rules and timing: the local `AWS_ENDPOINT_URL` is kept.
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
# ...and only the account whose id they typed: credentials for the wrong account stop here.
ACCOUNT_VARIABLE = "WORKSHOP_AWS_ACCOUNT"
PREFIX_VARIABLE = "WORKSHOP_PREFIX"
REHEARSAL_VARIABLE = "WORKSHOP_REHEARSAL"
BOUNDARY_VARIABLE = "WORKSHOP_PERMISSIONS_BOUNDARY"
# No dash: every name is `<prefix>-…`, so with a dash `bob`'s names would start like those of learner `bob-x`.
PREFIX_RULE = re.compile(r"^[a-z][a-z0-9]{1,19}$")
LOCAL_UP_TIMEOUT_S = 120
STATUS_TIMEOUT_S = 10  # a busy machine answers slowly; starting a second cloud on the same port would fail
# What local mode sets in this kernel's environment (the local cloud's client settings).
LOCAL_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
LOOPBACK_ENDPOINTS = ("http://127.0.0.1", "http://localhost")

# The values these variables had before local mode first changed them in this kernel (None: unset).
_before_local: dict[str, str | None] = {}


class ModeError(WorkshopError):
    """The chosen mode cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class Session:
    mode: str
    region: str
    account: str
    prefix: str
    rehearsal: bool = False  # AWS mode's path, against a local cloud

    @property
    def tags(self) -> list[dict[str, str]]:
        """The tags every resource of the workshop carries (ECR, ECS, ELBv2, EC2, IAM, Logs take this shape)."""
        return [{"Key": WORKSHOP_TAG, "Value": WORKSHOP_TAG_VALUE}, {"Key": PREFIX_TAG, "Value": self.prefix}]

    @property
    def role_settings(self) -> dict:
        """What every role the workshop creates carries: its tags and, in an account a facilitator shares, their
        permission boundary (WORKSHOP_PERMISSIONS_BOUNDARY), without which the learner policy refuses CreateRole."""
        boundary = os.environ.get(BOUNDARY_VARIABLE)
        return {"Tags": self.tags, **({"PermissionsBoundary": boundary} if boundary else {})}

    @property
    def ecs_tags(self) -> list[dict[str, str]]:
        """ECS spells the same tags with lower-case keys."""
        return [{"key": tag["Key"], "value": tag["Value"]} for tag in self.tags]

    @property
    def tag_map(self) -> dict[str, str]:
        """The same tags as a mapping (ECR lifecycle, Lambda, API Gateway and SQS take this shape)."""
        return {tag["Key"]: tag["Value"] for tag in self.tags}

    def owns(self, name: str) -> bool:
        """Whether a resource name is under the learner's prefix ("bookshop-…", "bookshop/…" or the prefix itself);
        exact because a prefix has no dash: `bob-…` is never a name of learner `bobby` or `bob2`."""
        return name == self.prefix or name.startswith((self.prefix + "-", self.prefix + "/"))

    def name(self, *parts: str) -> str:
        """A resource name under the learner's prefix: name("catalog") → "bookshop-catalog"."""
        return "-".join((self.prefix, *parts))

    def client(self, service: str):
        return boto3.client(service, region_name=self.region)

    def __str__(self) -> str:
        if self.mode == "local":
            where = "the local cloud on this machine"
        elif self.rehearsal:
            where = f"a rehearsal of AWS mode against the local cloud at {os.environ.get('AWS_ENDPOINT_URL', '?')}"
        else:
            where = "a REAL AWS account (costs money)"
        return f"mode {self.mode}: {where}, account {self.account}, region {self.region}, prefix {self.prefix!r}"


def connect(mode: str = "local", prefix: str | None = None, module: str | None = None) -> Session:
    """Point this kernel's AWS clients at the chosen target and say which one it is; `module` ("05") names what
    the notebook is about to create, shown (with its cost) before AWS mode goes ahead."""
    if mode not in MODES:
        raise ModeError(f"MODE must be one of {', '.join(repr(m) for m in MODES)}; got {mode!r}")
    prefix = prefix or os.environ.get(PREFIX_VARIABLE, DEFAULT_PREFIX)
    check_prefix(prefix)
    if mode == "local":
        region = use_local_cloud()
    else:
        region = use_real_account()
        refuse_shared_prefix(prefix)
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    session = Session(mode=mode, region=region, account=account, prefix=prefix,
                      rehearsal=mode == "aws" and rehearsing())
    if mode == "aws":
        confirm_account(session, module)
    print(session)
    return session


def check_prefix(prefix: str) -> None:
    if not PREFIX_RULE.match(prefix):
        raise ModeError(f"the prefix {prefix!r} must be 2–20 lower-case letters or digits, starting with a letter, "
                        f"and no dash (it begins every resource name, followed by a dash: with a dash in it, "
                        f"one learner's names could start like another's). Set {PREFIX_VARIABLE}, for example "
                        f"{PREFIX_VARIABLE}=alice3")


def refuse_shared_prefix(prefix: str) -> None:
    """In an account several learners share, the default prefix would make them delete each other's resources."""
    if prefix == DEFAULT_PREFIX:
        raise ModeError(f"in AWS mode, choose your own prefix: the default {DEFAULT_PREFIX!r} is the same for every "
                        f"learner, and learners sharing an account would use (and tear down) each other's resources. "
                        f"Start JupyterLab with {PREFIX_VARIABLE}=<your initials and a digit, e.g. jd1> (or set PREFIX "
                        f"in the notebook's first cell), then restart the kernel.")


def confirm_account(session: Session, module: str | None) -> None:
    """Stop before the first create unless the learner typed this account's id: show what would happen and cost."""
    from workshop.costs import module_plan

    if os.environ.get(ACCOUNT_VARIABLE) == session.account:
        return
    typed = os.environ.get(ACCOUNT_VARIABLE)
    reason = (f"{ACCOUNT_VARIABLE} is {typed!r}, but these credentials are for account {session.account}"
              if typed else f"{ACCOUNT_VARIABLE} is not set")
    raise ModeError(f"{reason}. Nothing was created. Here is what would happen:\n\n"
                    f"  account {session.account}, region {session.region}, prefix {session.prefix!r}\n\n"
                    f"{module_plan(module)}\n\n"
                    f"If this is the account you mean to use, start JupyterLab with "
                    f"{ACCOUNT_VARIABLE}={session.account} (with {OPT_IN_VARIABLE}=yes and "
                    f"{PREFIX_VARIABLE}={session.prefix}), then restart the kernel.")


def rehearsing() -> bool:
    return os.environ.get(REHEARSAL_VARIABLE) == "yes"


def use_local_cloud() -> str:
    """Point this kernel at the local cloud, remembering what the variables were before (AWS mode restores them)."""
    environment = ensure_local_cloud()
    for variable in LOCAL_VARIABLES:
        _before_local.setdefault(variable, os.environ.get(variable))
    os.environ.update(environment)
    boto3.DEFAULT_SESSION = None  # a session made in the other mode keeps that mode's credentials and region
    return environment["AWS_DEFAULT_REGION"]


def forget_local_cloud() -> None:
    """Undo what local mode set in this kernel: its endpoint, its "test" credentials and its region."""
    for variable, value in _before_local.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    _before_local.clear()
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith(LOOPBACK_ENDPOINTS) and not rehearsing():
        del os.environ["AWS_ENDPOINT_URL"]  # a local endpoint a real account would never answer
    boto3.DEFAULT_SESSION = None


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
                        f"cost money while they run). To opt in, start JupyterLab with {OPT_IN_VARIABLE}=yes, "
                        f"{PREFIX_VARIABLE}=<your own prefix> and your usual AWS credentials; the next step shows "
                        f"the account and asks you to confirm it. Module 09 deletes everything afterwards.")
    forget_local_cloud()
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise ModeError("no AWS credentials found: run `aws configure` (or set AWS_PROFILE), then restart the kernel")
    if not session.region_name:
        raise ModeError("no AWS region set: set AWS_DEFAULT_REGION (for example us-east-1), then restart the kernel")
    return session.region_name
