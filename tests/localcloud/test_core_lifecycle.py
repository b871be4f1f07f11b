"""The local cloud's lifecycle: up, status, reset, down — and nothing left behind."""
import json
import os
import subprocess
import sys
import uuid

import boto3
import docker
import httpx
import pytest

import localcloud
from localcloud import docker_resources
from localcloud import engine as docker_engine
from localcloud.config import Config

pytestmark = pytest.mark.docker


def instance_name() -> str:
    return f"t-core-{uuid.uuid4().hex[:8]}"


def ecr_client(cloud):
    return boto3.client("ecr", endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any")


def test_running_serves_the_aws_api_on_loopback_and_removes_everything_after():
    instance = instance_name()
    engine = docker_engine.client()
    with localcloud.running(Config(port=0, instance=instance), data_planes=[]) as cloud:
        assert cloud.config.endpoint_url.startswith("http://127.0.0.1:")
        repository = ecr_client(cloud).create_repository(repositoryName="lifecycle")["repository"]
        assert repository["repositoryName"] == "lifecycle"
        assert docker_resources.leftovers(engine, instance)["networks"] == [cloud.config.network]
    assert docker_resources.leftovers(engine, instance) == {"containers": [], "networks": [], "volumes": []}


def test_orphans_of_an_earlier_run_are_removed_at_start():
    instance = instance_name()
    engine = docker_engine.client()
    orphan = engine.containers.create("python:3.13-slim", ["sleep", "60"],
                                      labels=docker_resources.labels(instance, "orphan"))
    with localcloud.running(Config(port=0, instance=instance), data_planes=[]):
        with pytest.raises(docker.errors.NotFound):
            engine.containers.get(orphan.id)


def test_reset_empties_the_state_and_keeps_serving():
    with localcloud.running(Config(port=0, instance=instance_name()), data_planes=[]) as cloud:
        ecr = ecr_client(cloud)
        ecr.create_repository(repositoryName="to-forget")
        assert httpx.post(f"{cloud.config.endpoint_url}/_localcloud/reset").status_code == 200
        assert ecr.describe_repositories()["repositories"] == []


def run_cli(*args, env):
    return subprocess.run([sys.executable, "-m", "localcloud", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def cli_env(tmp_path):
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = instance_name()
    env = dict(os.environ, LOCALCLOUD_PORT=str(port), LOCALCLOUD_REGISTRY_PORT="0", LOCALCLOUD_INSTANCE=instance,
               LOCALCLOUD_STATE_DIR=str(tmp_path / "state"))
    yield env
    run_cli("down", env=env)


def test_cli_up_detach_status_down(cli_env):
    up = run_cli("up", "--detach", env=cli_env)
    assert up.returncode == 0, up.stderr
    assert f"AWS endpoint http://127.0.0.1:{cli_env['LOCALCLOUD_PORT']}" in up.stdout
    again = run_cli("up", "--detach", env=cli_env)
    assert again.returncode == 0 and "AWS endpoint" in again.stdout  # a second up reuses the running cloud
    status = run_cli("status", "--json", env=cli_env)
    assert status.returncode == 0
    assert '"control-plane"' in status.stdout
    assert run_cli("down", env=cli_env).returncode == 0
    assert run_cli("status", env=cli_env).returncode == 1
    assert run_cli("down", env=cli_env).returncode == 0  # idempotent
    leftovers = docker_resources.leftovers(docker_engine.client(), cli_env["LOCALCLOUD_INSTANCE"])
    assert leftovers == {"containers": [], "networks": [], "volumes": []}


def test_cli_up_on_a_taken_port_says_what_to_do(cli_env):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", int(cli_env["LOCALCLOUD_PORT"])))
        holder.listen()
        result = run_cli("up", "--detach", env=cli_env)
    assert result.returncode == 1
    assert f"port {cli_env['LOCALCLOUD_PORT']} on 127.0.0.1 is taken" in result.stderr


def test_reset_without_a_running_cloud_is_a_clear_error(cli_env):
    result = run_cli("reset", env=cli_env)
    assert result.returncode == 1
    assert "no local cloud answers" in result.stderr


def test_aws_managed_policies_are_attachable_though_moto_loads_none_by_default():
    with localcloud.running(Config(port=0, instance=f"t-iam-{uuid.uuid4().hex[:8]}"), data_planes=[]) as cloud:
        iam = boto3.client("iam", endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                           aws_access_key_id="any", aws_secret_access_key="any")
        iam.create_role(RoleName="execution", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
        policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        iam.attach_role_policy(RoleName="execution", PolicyArn=policy)
        attached = iam.list_attached_role_policies(RoleName="execution")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [policy]
        cloud.reset()


def test_up_and_down_without_an_engine_name_it_and_say_what_to_do(cli_env, tmp_path):
    env = dict(cli_env, DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    up = run_cli("up", env=env)
    assert up.returncode == 1
    assert f"no Docker engine answers at unix://{tmp_path}/no-engine.sock" in up.stderr and "Traceback" not in up.stderr
    down = run_cli("down", env=env)
    assert down.returncode == 1
    assert "the Docker engine at" in down.stderr and "run `localcloud down` again" in down.stderr
