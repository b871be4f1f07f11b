"""`python -m workshop rehearse`: the facilitator's dress rehearsal of AWS mode, without an AWS account.

The solutions of the AWS modules run in order, in AWS mode (the code path a real account takes: opt-in, account
confirmation, the learner's own prefix, the AWS-mode teardown), against a local cloud of their own that plays AWS's
rules and timing (`LOCALCLOUD_PACE=aws`, compressed), holds the learner to the workshop's published IAM policy
(`LOCALCLOUD_IAM=enforce`) and plays a new account's Lambda concurrency of 10. Then the teardown runs again and the
inventory must be empty. Exit status 0 only if every module passed, no call was refused and nothing is left.

`--record-policy` runs the same with a policy that allows everything and writes the actions the learner called to
`docs/aws/learner-policy.json`. `--real` runs against the account in the environment (see `real_account_plan`).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import boto3
import httpx

from workshop.learner_policy import policy_document
from workshop.paths import BUILD, REPO_ROOT, SOLUTIONS

AWS_MODULES = ("04", "05", "06", "07", "08", "09")
POLICY_FILE = REPO_ROOT / "docs" / "aws" / "learner-policy.json"
DEFAULT_PREFIX = "rehearsal"
DEFAULT_FACTOR = 20
# The rehearsal's own cloud: its own instance, ports and state, beside a learner's cloud or a test run's.
CLOUD = {"LOCALCLOUD_INSTANCE": "rehearsal", "LOCALCLOUD_PORT": "4591", "LOCALCLOUD_REGISTRY_PORT": "4590",
         "LOCALCLOUD_PACE": "aws", "LOCALCLOUD_IAM": "enforce",
         # https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html: new accounts may start at 10
         "LOCALCLOUD_LAMBDA_ACCOUNT_CONCURRENCY": "10"}
ROOT_KEY = "test"  # the local cloud's own key: the account's root, which creates the learner
UP_TIMEOUT_S = 180
# What pushing to ECR needs: the registry checks it on AWS, while the local registry's token is not tied to a user.
REGISTRY_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
# Actions AWS checks with no API call of their own, so no rehearsal records them: passing a role to ECS or Lambda
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html), and the service-linked roles ECS
# and Elastic Load Balancing create on their first use in an account
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html).
IMPLIED_ACTIONS = (*REGISTRY_ACTIONS, "iam:PassRole", "iam:CreateServiceLinkedRole")
# What an exercise's second attempt calls to change what the first one left in place (each answer is idempotent); a
# rehearsal runs each answer once, so it records none of them.
RETRY_ACTIONS = ("ecr:PutImageTagMutability", "ecr:PutImageScanningConfiguration", "ecr:TagResource",
                 "elasticloadbalancing:ModifyTargetGroup", "lambda:UpdateEventSourceMapping",
                 "lambda:RemovePermission", "apigateway:PATCH")


@dataclass
class ModuleRun:
    module: str
    notebook: str
    passed: bool
    seconds: float
    error: str = ""


@dataclass
class Rehearsal:
    prefix: str
    factor: float
    modules: list[ModuleRun] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # actions the policy did not allow, with their count
    called: list[str] = field(default_factory=list)  # every action the learner called
    left: dict[str, list[str]] = field(default_factory=dict)  # what the final inventory still found

    @property
    def passed(self) -> bool:
        return bool(self.modules) and all(run.passed for run in self.modules) and not self.refused and not self.left


def notebook_of(module: str) -> Path:
    found = sorted(SOLUTIONS.glob(f"{module}_*.ipynb"))
    if not found:
        raise SystemExit(f"no solution notebook for module {module} in {SOLUTIONS}")
    return found[0]


def cloud_environment(factor: float) -> dict[str, str]:
    return {**CLOUD, "LOCALCLOUD_PACE_FACTOR": str(factor),
            "LOCALCLOUD_STATE_DIR": str(BUILD / "rehearsal" / "localcloud")}


def start_cloud(environment: dict[str, str]) -> str:
    """Start the rehearsal's local cloud (a stale one of an earlier rehearsal is replaced); its endpoint."""
    run_cloud("down", environment, check=False)
    run_cloud("up", environment, "--detach")
    return f"http://127.0.0.1:{environment['LOCALCLOUD_PORT']}"


def run_cloud(command: str, environment: dict[str, str], *args: str, check: bool = True) -> None:
    result = subprocess.run([sys.executable, "-m", "localcloud", command, *args], capture_output=True, text=True,
                            timeout=UP_TIMEOUT_S, env={**os.environ, **environment})
    if check and result.returncode != 0:
        raise SystemExit(f"`localcloud {command}` for the rehearsal failed:\n{result.stderr or result.stdout}")


def root_client(service: str, endpoint: str, region: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=ROOT_KEY,
                        aws_secret_access_key=ROOT_KEY)


def learner_policy(record: bool) -> dict:
    """The policy the learner gets: the published one, or (recording) one that allows everything."""
    if record:
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return json.loads(POLICY_FILE.read_text())["learner_policy"]


def create_boundary(endpoint: str, region: str) -> str:
    """The permission boundary every role a learner creates must carry, as a facilitator sets it up; its ARN."""
    document = policy_document([])
    iam = root_client("iam", endpoint, region)
    return iam.create_policy(PolicyName=document["permission_boundary_name"],
                             PolicyDocument=json.dumps(document["permission_boundary"]))["Policy"]["Arn"]


def create_learner(endpoint: str, region: str, prefix: str, policy: dict) -> dict[str, str]:
    """An IAM user named like the prefix (the published policy scopes roles by `${aws:username}`), with only
    `policy`; its access key as AWS_* variables."""
    iam = root_client("iam", endpoint, region)
    iam.create_user(UserName=prefix, Tags=[{"Key": "workshop", "Value": "rehearsal"}])
    iam.put_user_policy(UserName=prefix, PolicyName="workshop-learner", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=prefix)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def learner_environment(endpoint: str, region: str, prefix: str, key: dict[str, str], account: str) -> dict[str, str]:
    """What a learner on a real account sets, plus the rehearsal's endpoint (kept by `connect` in a rehearsal)."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": region, **key, "WORKSHOP_USE_REAL_AWS": "yes",
            "WORKSHOP_AWS_ACCOUNT": account, "WORKSHOP_PREFIX": prefix, "WORKSHOP_REHEARSAL": "yes",
            "WORKSHOP_BUILD_DIR": str(BUILD / "rehearsal")}


def run_module(module: str, prefix: str, output_dir: Path) -> ModuleRun:
    from setup.run_notebooks import execute

    source = notebook_of(module)
    print(f"── module {module}: {source.name}", flush=True)
    started = time.monotonic()
    try:
        execute(source, output_dir, parameters={"MODE": "aws", "PREFIX": prefix})
        run = ModuleRun(module, source.name, True, time.monotonic() - started)
    except Exception as error:  # a failed cell: the rehearsal goes on to the teardown, and fails
        run = ModuleRun(module, source.name, False, time.monotonic() - started, _first_line(error))
    print(f"   {'passed' if run.passed else 'FAILED'} in {run.seconds:.0f} s {run.error}", flush=True)
    return run


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1][:300] if lines else ''}"


def final_teardown(prefix: str) -> dict[str, list[str]]:
    """Teardown again, as the learner would from a shell, then what the inventory still finds."""
    from workshop.session import connect
    from workshop.teardown import inventory, teardown

    session = connect("aws", prefix)
    teardown(session)
    return {service: names for service, names in inventory(session).items() if names}


def recorded_calls(endpoint: str, user_arn: str) -> dict[str, dict[str, int]]:
    return httpx.get(f"{endpoint}/_localcloud/iam/calls", timeout=10).json().get(user_arn, {})


def write_policy(actions: list[str]) -> None:
    """The learner policy from the actions a recording rehearsal called (see docs/aws/README.md)."""
    POLICY_FILE.parent.mkdir(parents=True, exist_ok=True)
    document = policy_document(sorted({*actions, *IMPLIED_ACTIONS, *RETRY_ACTIONS}))
    POLICY_FILE.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {POLICY_FILE.relative_to(REPO_ROOT)} ({document['action_count']} actions)")


def rehearse(prefix: str, factor: float, modules: tuple[str, ...], record: bool, keep: bool) -> Rehearsal:
    environment = cloud_environment(factor)
    os.environ.update(environment)  # the kernels papermill starts inherit it
    endpoint = start_cloud(environment)
    region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    result = Rehearsal(prefix=prefix, factor=factor)
    try:
        account = root_client("sts", endpoint, region).get_caller_identity()["Account"]
        key = create_learner(endpoint, region, prefix, learner_policy(record))
        os.environ.update(learner_environment(endpoint, region, prefix, key, account))
        os.environ["WORKSHOP_PERMISSIONS_BOUNDARY"] = create_boundary(endpoint, region)
        os.environ.pop("AWS_PROFILE", None)  # a profile would win over the learner's key
        output_dir = BUILD / "rehearsal" / "executed"
        for module in modules:
            result.modules.append(run_module(module, prefix, output_dir))
        result.left = final_teardown(prefix)
        calls = recorded_calls(endpoint, f"arn:aws:iam::{account}:user/{prefix}")
        result.called = sorted(calls)
        result.refused = {action: counts["denied"] for action, counts in calls.items() if counts["denied"]}
        if record:
            write_policy(result.called)
    finally:
        if not keep:
            run_cloud("down", environment, check=False)
    return result


def aws_wall_time(runs: dict[float, dict[str, float]]) -> dict[str, float]:
    """Each module's wall time on AWS, estimated from passing runs at two paces: a run at factor F takes C + W/F
    (C: the work itself, W: AWS's waiting, compressed F times), so two factors give C and W, and AWS takes C + W."""
    (fast, fast_times), (slow, slow_times) = sorted(runs.items(), reverse=True)[:2]
    estimates = {}
    for module in fast_times.keys() & slow_times.keys():
        waiting = max(0.0, (slow_times[module] - fast_times[module]) / (1 / slow - 1 / fast))
        work = max(0.0, fast_times[module] - waiting / fast)
        estimates[module] = work + waiting
    return dict(sorted(estimates.items()))


def passing_runs(folder: Path) -> dict[float, dict[str, float]]:
    """{factor: {module: seconds}} of the passing rehearsals kept in `folder` (report-x<factor>.json)."""
    runs = {}
    for path in folder.glob("report-x*.json"):
        kept = json.loads(path.read_text())
        if kept["passed"]:
            runs[kept["factor"]] = {run["module"]: run["seconds"] for run in kept["modules"]}
    return runs


def report(result: Rehearsal, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = json.dumps({**asdict(result), "passed": result.passed}, indent=2) + "\n"
    path.write_text(kept)
    path.with_name(f"report-x{result.factor:g}.json").write_text(kept)
    print(f"\nrehearsal of prefix {result.prefix!r} at AWS pace ÷{result.factor:g}:")
    for run in result.modules:
        print(f"  {run.module}  {'ok    ' if run.passed else 'FAILED'}  {run.seconds:6.0f} s  {run.notebook} {run.error}")
    print(f"  {len(result.called)} IAM actions called; refused by the policy: "
          f"{', '.join(f'{a} ×{n}' for a, n in result.refused.items()) or 'none'}")
    print("  left after the teardown: " + (", ".join(f"{s}: {n}" for s, n in result.left.items()) or "nothing"))
    print(f"  report: {path}")
    runs = passing_runs(path.parent)
    if len(runs) >= 2:
        print(f"  estimated wall time on AWS (from the passing runs at ÷{' and ÷'.join(f'{f:g}' for f in runs)}): "
              + ", ".join(f"{module} {seconds / 60:.1f} min" for module, seconds in aws_wall_time(runs).items()))
    print("PASSED" if result.passed else "FAILED")


def rehearse_on_real_account(prefix: str, modules: tuple[str, ...], ask=input) -> int:
    """The same modules and teardown on the account in the environment: first what it creates and costs, then the
    account id typed back; nothing is created before."""
    from workshop.costs import module_plan

    if prefix == DEFAULT_PREFIX or os.environ.get("AWS_ENDPOINT_URL"):
        print("a real rehearsal needs your own --prefix and no AWS_ENDPOINT_URL in the environment", file=sys.stderr)
        return 2
    identity = boto3.client("sts").get_caller_identity()
    region = boto3.session.Session().region_name
    print(f"This rehearsal creates real resources in account {identity['Account']} ({identity['Arn']}), "
          f"region {region}, prefix {prefix!r}, then deletes them:\n")
    for module in modules:
        print(module_plan(module), end="\n\n")
    if ask("Type the account id to go ahead (anything else stops): ").strip() != identity["Account"]:
        print("stopped: nothing was created")
        return 1
    os.environ.update({"WORKSHOP_USE_REAL_AWS": "yes", "WORKSHOP_AWS_ACCOUNT": identity["Account"],
                       "WORKSHOP_PREFIX": prefix, "AWS_DEFAULT_REGION": region or ""})
    result = Rehearsal(prefix=prefix, factor=1)
    for module in modules:
        result.modules.append(run_module(module, prefix, BUILD / "rehearsal-real" / "executed"))
    result.left = final_teardown(prefix)
    report(result, BUILD / "rehearsal-real" / "report.json")
    return 0 if result.passed else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop rehearse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="the learner's prefix (and IAM user name)")
    parser.add_argument("--factor", type=float, default=DEFAULT_FACTOR,
                        help="how many times faster than AWS the local cloud plays AWS's timing")
    parser.add_argument("--modules", default=",".join(AWS_MODULES), help="which modules, in order (04,05,…)")
    parser.add_argument("--record-policy", action="store_true",
                        help=f"allow everything and write the actions called to {POLICY_FILE.relative_to(REPO_ROOT)}")
    parser.add_argument("--keep-cloud", action="store_true", help="leave the rehearsal's local cloud running")
    parser.add_argument("--real", action="store_true", help="rehearse on the AWS account in the environment")
    args = parser.parse_args(argv)
    modules = tuple(module.strip() for module in args.modules.split(",") if module.strip())
    if args.real:
        return rehearse_on_real_account(args.prefix, modules)
    result = rehearse(args.prefix, args.factor, modules, args.record_policy, args.keep_cloud)
    report(result, BUILD / "rehearsal" / "report.json")
    return 0 if result.passed else 1
