"""Pushing to and pulling from ECR with the docker CLI and SDK, as a learner does, and what ECR then lists."""
import json

import httpx
import pytest

from localcloud import engine as docker_engine
from tests.localcloud.ecr_fixtures import (aws_cli, build_image, docker_cli, ecr_client, ecr_cloud, login_password,
                                           pushed_digest, registry_get, remove_test_images, unique)

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with ecr_cloud() as running_cloud:
        yield running_cloud
    remove_test_images(docker_engine.client())


@pytest.fixture(scope="module")
def engine():
    return docker_engine.client()


@pytest.fixture
def docker_config(tmp_path):
    return tmp_path / "docker-config"


@pytest.fixture
def logged_in(cloud, docker_config):
    user, password, endpoint = login_password(cloud)
    result = docker_cli(docker_config, "login", "--username", user, "--password-stdin", endpoint, stdin=password)
    assert result.returncode == 0, result.stderr
    return docker_config


def new_repository(cloud, **settings) -> dict:
    return ecr_client(cloud).create_repository(repositoryName=unique("app"), **settings)["repository"]


def test_docker_login_with_the_decoded_token_succeeds(cloud, docker_config):
    user, password, endpoint = login_password(cloud)
    result = docker_cli(docker_config, "login", "--username", user, "--password-stdin", endpoint, stdin=password)
    assert user == "AWS"
    assert endpoint == f"http://{cloud.part('ecr').registry_host}"
    assert result.returncode == 0, result.stderr
    assert "Login Succeeded" in result.stdout


def test_cli_push_to_the_repository_uri_is_listed_with_the_pushed_digest_and_size(cloud, engine, logged_in):
    repository = new_repository(cloud)
    build_image(engine, f"{repository['repositoryUri']}:v1")
    result = docker_cli(logged_in, "push", f"{repository['repositoryUri']}:v1")
    assert result.returncode == 0, result.stderr
    details = ecr_client(cloud).describe_images(repositoryName=repository["repositoryName"])["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(pushed_digest(result.stdout), ["v1"])]
    manifest = registry_get(cloud, f"/v2/{repository['repositoryName']}/manifests/v1").json()
    assert details[0]["imageSizeInBytes"] == manifest["config"]["size"] + sum(l["size"] for l in manifest["layers"])
    assert details[0]["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"


def test_sdk_push_then_list_images_and_batch_get_image_show_the_real_manifest(cloud, engine):
    repository = new_repository(cloud)
    name, uri = repository["repositoryName"], repository["repositoryUri"]
    build_image(engine, f"{uri}:sdk")
    lines = list(engine.images.push(uri, tag="sdk", auth_config=cloud.part("ecr").auth_config(), stream=True,
                                    decode=True))
    assert not [line for line in lines if "error" in line], lines
    digest = next(line["aux"]["Digest"] for line in lines if "aux" in line)
    ecr = ecr_client(cloud)
    assert ecr.list_images(repositoryName=name)["imageIds"] == [{"imageDigest": digest, "imageTag": "sdk"}]
    image = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "sdk"}])["images"][0]
    assert image["imageId"]["imageDigest"] == digest
    assert json.loads(image["imageManifest"]) == registry_get(cloud, f"/v2/{name}/manifests/{digest}").json()
    assert image["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"


def test_cli_pull_brings_the_pushed_image_back(cloud, engine, logged_in):
    uri = new_repository(cloud)["repositoryUri"]
    image_id = build_image(engine, f"{uri}:back")
    assert docker_cli(logged_in, "push", f"{uri}:back").returncode == 0
    engine.images.remove(f"{uri}:back", force=True)
    result = docker_cli(logged_in, "pull", f"{uri}:back")
    assert result.returncode == 0, result.stderr
    assert engine.images.get(f"{uri}:back").id == image_id


def test_push_without_login_is_refused_as_by_ecr(cloud, engine, docker_config):
    uri = new_repository(cloud)["repositoryUri"]
    build_image(engine, f"{uri}:anonymous")
    result = docker_cli(docker_config, "push", f"{uri}:anonymous")
    assert result.returncode != 0
    assert "no basic auth credentials" in result.stderr


def test_registry_requests_without_valid_credentials_get_401_with_a_basic_challenge(cloud):
    plane = cloud.part("ecr")
    for credentials in (None, ("AWS", "not-the-token"), ("admin", plane.credentials.password)):
        response = httpx.get(f"{plane.proxy_endpoint}/v2/", auth=credentials, timeout=10)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic realm=")
    assert registry_get(cloud, "/v2/").status_code == 200


def test_push_to_a_missing_repository_fails_with_ecrs_message(cloud, engine, logged_in):
    uri = f"{cloud.part('ecr').registry_host}/{unique('missing')}"
    build_image(engine, f"{uri}:v1")
    result = docker_cli(logged_in, "push", f"{uri}:v1")
    assert result.returncode != 0
    name = uri.partition("/")[2]
    assert (f"name unknown: The repository with name '{name}' does not exist in the registry with id "
            f"'{cloud.config.account_id}'") in result.stderr


def test_aws_cli_creates_and_describes_repositories_and_images(cloud, engine, logged_in):
    name = unique("cli")
    created = aws_cli(cloud, "ecr", "create-repository", "--repository-name", name)
    assert created.returncode == 0, created.stderr
    uri = json.loads(created.stdout)["repository"]["repositoryUri"]
    assert uri == f"{cloud.part('ecr').registry_host}/{name}"
    described = json.loads(aws_cli(cloud, "ecr", "describe-repositories", "--repository-names", name).stdout)
    assert described["repositories"][0]["repositoryUri"] == uri
    build_image(engine, f"{uri}:cli")
    push = docker_cli(logged_in, "push", f"{uri}:cli")
    images = json.loads(aws_cli(cloud, "ecr", "describe-images", "--repository-name", name).stdout)["imageDetails"]
    assert [(i["imageDigest"], i["imageTags"]) for i in images] == [(pushed_digest(push.stdout), ["cli"])]


def test_get_login_password_piped_into_docker_login_then_push(cloud, engine, docker_config):
    uri = new_repository(cloud)["repositoryUri"]
    password = aws_cli(cloud, "ecr", "get-login-password")
    assert password.returncode == 0, password.stderr
    endpoint = ecr_client(cloud).get_authorization_token()["authorizationData"][0]["proxyEndpoint"]
    login = docker_cli(docker_config, "login", "--username", "AWS", "--password-stdin", endpoint,
                       stdin=password.stdout)
    assert login.returncode == 0, login.stderr
    build_image(engine, f"{uri}:piped")
    assert docker_cli(docker_config, "push", f"{uri}:piped").returncode == 0
