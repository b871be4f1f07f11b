"""Start-up: the AWS API answers first, the data planes load behind it, and no call ever sees moto unpatched."""
import importlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import httpx
import pytest

from localcloud.cloud import DATA_PLANES
from localcloud.cli import status_command
from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID, Config
from localcloud.control_plane import ControlPlane
from localcloud.plane_loader import Loading, PlaneLoader
from localcloud.providers import Provider

SRC = Path(__file__).parents[2] / "src"
ONE_ATTEMPT = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})


def client(service: str, endpoint_url: str, **kwargs):
    return boto3.client(service, endpoint_url=endpoint_url, region_name="us-east-1", aws_access_key_id="any",
                        aws_secret_access_key="any", **kwargs)


# --- what the planes' providers serve is what waits for them --------------------------------------------------------

def provider_apps(package: str) -> set[str]:
    """The moto apps whose operations the Provider classes of a plane's package answer."""
    apps = set()
    for path in (SRC / package.replace(".", "/")).glob("*.py"):
        module = importlib.import_module(f"{package}.{path.stem}")
        apps |= {value.app for value in vars(module).values()
                 if isinstance(value, type) and issubclass(value, Provider) and value is not Provider}
    return apps


@pytest.mark.parametrize("spec", DATA_PLANES, ids=lambda spec: spec.name)
def test_calls_wait_for_every_moto_app_a_planes_providers_serve(spec):
    served = provider_apps(spec.target.partition(":")[0])
    assert served and served <= set(spec.moto_backends)


# A cheap call of each AWS API whose moto backend a plane patches, and that plane.
PATCHED_CALLS = {"ecr": ("ecr", "describe_repositories"), "ecs": ("ecs", "list_clusters"),
                 "ec2": ("ecs", "describe_vpcs"), "elbv2": ("elbv2", "describe_load_balancers"),
                 "lambda": ("lambda", "list_functions"), "sqs": ("lambda", "list_queues"),
                 "apigateway": ("apigateway", "get_rest_apis"), "apigatewayv2": ("apigateway", "get_apis")}


@pytest.mark.parametrize("service", PATCHED_CALLS)
def test_each_patched_apis_calls_wait_for_the_plane_that_patches_it(service):
    plane, operation = PATCHED_CALLS[service]
    asked = []
    control_plane = ControlPlane("127.0.0.1", 0, {}, hold=lambda backend: asked.append(backend))
    control_plane.start()
    try:
        getattr(client(service, f"http://127.0.0.1:{control_plane.port}"), operation)()
    finally:
        control_plane.stop()
    spec = next(spec for spec in DATA_PLANES if spec.name == plane)
    assert asked and set(asked) <= set(spec.moto_backends)  # moto's dispatcher names the backend as the table does


def test_the_default_account_is_motos_own():
    from moto.core import DEFAULT_ACCOUNT_ID

    assert MOTO_DEFAULT_ACCOUNT_ID == DEFAULT_ACCOUNT_ID


def test_the_cli_needs_neither_moto_nor_docker_until_it_runs_a_cloud():
    code = "import sys, localcloud.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'moto', 'docker'}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- a call to a plane still loading is held, never served unpatched ----------------------------------------------

class GatedPlane:
    """A data plane whose start waits for the test to let it go (or fails, if told to)."""
    name = "gated"

    def __init__(self, fail_with: Exception | None = None):
        self.entered, self.release = threading.Event(), threading.Event()
        self.fail_with = fail_with

    def start(self, cloud) -> None:
        self.entered.set()
        self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with

    def stop(self) -> None:
        pass

    def status(self) -> dict:
        return {"ready": True}


@pytest.fixture
def gated_cloud():
    """A control plane whose "sqs" calls wait for GatedPlane, and an event set when a call reaches that wait."""
    planes = []
    held = threading.Event()

    def serve(plane):
        loader = PlaneLoader([Loading("gated", ("sqs",), lambda: plane)], start_plane=lambda p: p.start(None))

        def hold(backend):
            if backend == "sqs":
                held.set()
            return loader.hold(backend, 60)
        routes = {"status": lambda request: {"parts": {"control-plane": {"ready": True}, **loader.status()}}}
        control_plane = ControlPlane("127.0.0.1", 0, routes, hold=hold)
        control_plane.start()
        loader.start()
        planes.append((plane, loader, control_plane))
        return Config(port=control_plane.port), loader, held
    yield serve
    for plane, loader, control_plane in planes:
        plane.release.set()
        loader.stop()
        control_plane.stop()


def parts(config: Config) -> dict:
    return httpx.get(f"{config.endpoint_url}/_localcloud/status").json()["parts"]


def test_a_call_to_a_loading_planes_backend_waits_until_the_plane_has_started(gated_cloud, capsys):
    plane = GatedPlane()
    config, loader, held = gated_cloud(plane)
    assert parts(config)["gated"] == {"ready": False, "loading": True}
    status_command(config, as_json=False)
    assert "… gated          loading (calls to it wait until it is ready)" in capsys.readouterr().out
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(client("sqs", config.endpoint_url).list_queues)
        assert held.wait(30)
        assert not call.done()  # held: the plane has not started
        identity = client("sts", config.endpoint_url).get_caller_identity()  # a service no plane patches answers
        assert identity["Account"] == MOTO_DEFAULT_ACCOUNT_ID
        plane.release.set()
        assert call.result(timeout=60)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert parts(config)["gated"] == {"ready": True}


def test_a_call_to_a_plane_that_failed_to_start_is_refused_saying_why(gated_cloud, capsys):
    plane = GatedPlane(fail_with=RuntimeError("no engine"))
    config, loader, held = gated_cloud(plane)
    plane.release.set()
    assert loader.wait(30)
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        client("sqs", config.endpoint_url, config=ONE_ATTEMPT).list_queues()
    assert refused.value.response["Error"]["Code"] == "ServiceUnavailableException"
    assert refused.value.response["Error"]["Message"].startswith(
        "the local cloud's gated part failed to start (RuntimeError: no engine)")
    assert parts(config)["gated"] == {"ready": False, "error": "RuntimeError: no engine"}
    status_command(config, as_json=False)
    assert "✘ gated          failed: RuntimeError: no engine" in capsys.readouterr().out


def test_stopping_while_a_plane_starts_waits_for_it_and_starts_no_other():
    first, second = GatedPlane(), GatedPlane()
    loader = PlaneLoader([Loading("first", ("sqs",), lambda: first), Loading("second", ("sns",), lambda: second)],
                         start_plane=lambda plane: plane.start(None)).start()
    assert first.entered.wait(30)
    with ThreadPoolExecutor(1) as pool:
        stopped = pool.submit(loader.stop)
        while not loader.stopping:
            time.sleep(0.01)
        first.release.set()
        assert stopped.result(timeout=30) == [first]  # the plane that was starting, for the cloud to stop
    assert loader.status()["second"] == {"ready": False, "error": "not started: the local cloud is stopping"}
    assert loader.hold("sns", 1).startswith("the local cloud's second part failed to start (not started")


def test_after_a_plane_fails_the_later_ones_still_start():
    failing, later = GatedPlane(fail_with=RuntimeError("no engine")), GatedPlane()
    failing.release.set(), later.release.set()
    loader = PlaneLoader([Loading("failing", (), lambda: failing), Loading("later", (), lambda: later)],
                         start_plane=lambda plane: plane.start(None)).start()
    assert loader.wait(30)
    assert loader.failure is None and loader.started == [later]  # one part failing leaves the cloud of use
    assert loader.status() == {"failing": {"ready": False, "error": "RuntimeError: no engine"},
                               "later": {"ready": True}}


# --- the CLI: every API right after `up --detach` behaves as patched ----------------------------------------------

def run_cli(*args, env):
    return subprocess.run([sys.executable, "-m", "localcloud", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def cli_env(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, LOCALCLOUD_PORT=str(port), LOCALCLOUD_REGISTRY_PORT="0",
               LOCALCLOUD_INSTANCE=f"t-startup-{uuid.uuid4().hex[:8]}", LOCALCLOUD_STATE_DIR=str(tmp_path / "state"))
    yield env
    run_cli("down", env=env)


def http_api_endpoint(endpoint):
    return client("apigatewayv2", endpoint).create_api(Name="first", ProtocolType="HTTP")["ApiEndpoint"]


def awsvpc_port_mismatch(endpoint):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        client("ecs", endpoint).register_task_definition(
            family="first", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": "web", "portMappings": [{"containerPort": 80,
                                                                                    "hostPort": 8080}]}])
    return refused.value.response["Error"]["Message"]


def registry_endpoint(endpoint):
    return client("ecr", endpoint).get_authorization_token()["authorizationData"][0]["proxyEndpoint"]


def load_balancer_dns_name(endpoint):
    subnets = [s["SubnetId"] for s in client("ec2", endpoint).describe_subnets()["Subnets"]][:2]
    return client("elbv2", endpoint).create_load_balancer(Name="first", Subnets=subnets)["LoadBalancers"][0]["DNSName"]


def reserved_concurrency_of_zero(endpoint):
    role = client("iam", endpoint).create_role(RoleName="first", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    lambda_ = client("lambda", endpoint)
    lambda_.create_function(FunctionName="first", Runtime="python3.12", Role=role, Handler="handler.handler",
                            Code={"ZipFile": code.getvalue()})
    lambda_.put_function_concurrency(FunctionName="first", ReservedConcurrentExecutions=0)
    return lambda_.get_function(FunctionName="first").get("Concurrency")


@pytest.mark.docker
def test_every_api_called_right_after_up_detach_behaves_as_patched(cli_env):
    up = run_cli("up", "--detach", env=cli_env)
    assert up.returncode == 0, up.stderr
    endpoint = f"http://127.0.0.1:{cli_env['LOCALCLOUD_PORT']}"
    checks = (http_api_endpoint, awsvpc_port_mismatch, registry_endpoint, load_balancer_dns_name,
              reserved_concurrency_of_zero)
    with ThreadPoolExecutor(len(checks)) as pool:  # all at once, while the planes may still be loading
        api, port_mismatch, registry, dns_name, concurrency = pool.map(lambda check: check(endpoint), checks)
    assert api.startswith("http://") and "amazonaws.com" not in api
    assert port_mismatch == "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
    status = httpx.get(f"{endpoint}/_localcloud/status", timeout=30).json()
    assert registry == status["parts"]["ecr"]["endpoint"] and registry.startswith("http://127.0.0.1:")
    assert dns_name.startswith("elb.localhost:")
    assert concurrency == {"ReservedConcurrentExecutions": 0}
    assert all(part["ready"] for part in status["parts"].values())  # each answer above came from a started plane


@pytest.mark.docker
def test_status_right_after_up_detach_names_each_part_ready_or_loading(cli_env):
    up = run_cli("up", "--detach", env=cli_env)
    assert up.returncode == 0, up.stderr
    status = json.loads(run_cli("status", "--json", env=cli_env).stdout)
    assert status["parts"]["control-plane"]["ready"] is True
    assert set(status["parts"]) == {"control-plane", *(spec.name for spec in DATA_PLANES)}
    for name, part in status["parts"].items():
        assert part["ready"] or part.get("loading") is True, name


def test_up_detach_without_an_engine_fails_at_once_with_the_log(cli_env, tmp_path):
    no_engine = dict(cli_env, DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    up = run_cli("up", "--detach", env=no_engine)
    assert up.returncode == 1
    assert "the local cloud did not come up" in up.stderr
    assert f"no Docker engine answers at unix://{tmp_path}/no-engine.sock" in up.stderr  # from its log
