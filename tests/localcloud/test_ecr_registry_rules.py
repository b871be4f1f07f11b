"""ECR's rules over the registry: tag immutability, tags that move, what cannot be deleted or put, reset."""
import json
import time

import pytest
from botocore.exceptions import ClientError

from localcloud import engine as docker_engine
from localcloud.ecr.registry_container import container_name
from tests.localcloud.ecr_fixtures import (build_image, docker_cli, ecr_client, ecr_cloud, login_password,
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


@pytest.fixture(scope="module")
def logged_in(cloud, tmp_path_factory):
    config_dir = tmp_path_factory.mktemp("docker-config")
    user, password, endpoint = login_password(cloud)
    assert docker_cli(config_dir, "login", "-u", user, "--password-stdin", endpoint, stdin=password).returncode == 0
    return config_dir


def push(engine, logged_in, uri: str, tag: str) -> str:
    build_image(engine, f"{uri}:{tag}")
    result = docker_cli(logged_in, "push", f"{uri}:{tag}")
    assert result.returncode == 0, result.stderr
    return pushed_digest(result.stdout)


def test_pushing_an_existing_tag_to_an_immutable_repository_fails_with_ecrs_message(cloud, engine, logged_in):
    repository = ecr_client(cloud).create_repository(repositoryName=unique("frozen"),
                                                     imageTagMutability="IMMUTABLE")["repository"]
    name, uri = repository["repositoryName"], repository["repositoryUri"]
    first = push(engine, logged_in, uri, "v1")
    build_image(engine, f"{uri}:v1")  # different content, same tag
    result = docker_cli(logged_in, "push", f"{uri}:v1")
    assert result.returncode != 0
    assert (f"tag invalid: The image tag 'v1' already exists in the '{name}' repository and cannot be overwritten "
            f"because the repository is immutable.") in result.stderr
    images = ecr_client(cloud).describe_images(repositoryName=name)["imageDetails"]
    assert [(image["imageDigest"], image["imageTags"]) for image in images] == [(first, ["v1"])]


def test_a_mutable_tag_moves_and_the_old_image_stays_untagged(cloud, engine, logged_in):
    uri = ecr_client(cloud).create_repository(repositoryName=unique("moving"))["repository"]["repositoryUri"]
    name = uri.partition("/")[2]
    old, new = push(engine, logged_in, uri, "latest"), push(engine, logged_in, uri, "latest")
    ids = ecr_client(cloud).list_images(repositoryName=name)["imageIds"]
    assert sorted(ids, key=lambda i: i["imageDigest"] == new) == [{"imageDigest": old},
                                                                   {"imageDigest": new, "imageTag": "latest"}]


def test_delete_repository_refuses_a_repository_with_images(cloud, engine, logged_in):
    name = ecr_client(cloud).create_repository(repositoryName=unique("full"))["repository"]["repositoryName"]
    push(engine, logged_in, f"{cloud.part('ecr').registry_host}/{name}", "v1")
    with pytest.raises(ClientError) as raised:
        ecr_client(cloud).delete_repository(repositoryName=name)
    assert raised.value.response["Error"]["Code"] == "RepositoryNotEmptyException"
    assert raised.value.response["Error"]["Message"] == (
        f"The repository with name '{name}' in registry with id '{cloud.config.account_id}' cannot be deleted "
        f"because it still contains images")


def test_put_image_with_layers_the_registry_lacks_fails(cloud):
    name = ecr_client(cloud).create_repository(repositoryName=unique("nolayers"))["repository"]["repositoryName"]
    missing = "sha256:" + "0" * 64
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                                      "digest": missing},
                           "layers": []})
    with pytest.raises(ClientError) as raised:
        ecr_client(cloud).put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    assert raised.value.response["Error"]["Code"] == "LayersNotFoundException"
    assert f"repository with name '{name}'" in raised.value.response["Error"]["Message"]


def test_put_image_over_an_immutable_tag_fails(cloud, engine, logged_in):
    repository = ecr_client(cloud).create_repository(repositoryName=unique("frozenapi"),
                                                     imageTagMutability="IMMUTABLE")["repository"]
    name = repository["repositoryName"]
    push(engine, logged_in, repository["repositoryUri"], "v1")
    push(engine, logged_in, repository["repositoryUri"], "v2")
    ecr = ecr_client(cloud)
    manifest = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v2"}])["images"][0]["imageManifest"]
    with pytest.raises(ClientError) as raised:
        ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    assert raised.value.response["Error"]["Code"] == "ImageTagAlreadyExistsException"
    assert raised.value.response["Error"]["Message"] == (
        f"The image tag 'v1' already exists in the '{name}' repository and cannot be overwritten because the "
        f"repository is immutable.")


def test_a_registry_container_that_dies_is_replaced_and_pushes_work_again(cloud, engine, logged_in):
    name = ecr_client(cloud).create_repository(repositoryName=unique("revived"))["repository"]["repositoryName"]
    uri = f"{cloud.part('ecr').registry_host}/{name}"
    push(engine, logged_in, uri, "before")
    engine.containers.get(container_name(cloud)).kill()
    deadline = time.monotonic() + 30
    while not cloud.status()["parts"]["ecr"]["ready"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cloud.status()["parts"]["ecr"]["ready"]
    assert ecr_client(cloud).list_images(repositoryName=name)["imageIds"] == []  # they went with the old registry
    digest = push(engine, logged_in, uri, "after")
    assert registry_get(cloud, f"/v2/{name}/manifests/{digest}").status_code == 200


def test_reset_empties_the_registry_and_keeps_the_front(cloud, engine, logged_in):
    name = ecr_client(cloud).create_repository(repositoryName=unique("reset"))["repository"]["repositoryName"]
    endpoint = cloud.status()["parts"]["ecr"]["endpoint"]
    digest = push(engine, logged_in, f"{cloud.part('ecr').registry_host}/{name}", "v1")
    cloud.reset()
    assert cloud.status()["parts"]["ecr"] == {"ready": True, "endpoint": endpoint}
    ecr_client(cloud).create_repository(repositoryName=name)
    assert registry_get(cloud, f"/v2/{name}/manifests/{digest}").status_code == 404


def test_a_lifecycle_policy_whose_any_rule_is_not_last_is_refused_as_aws_refuses_it(cloud):
    ecr = ecr_client(cloud)
    name = unique("lifecycle")
    ecr.create_repository(repositoryName=name)
    rules = [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 4},
              "action": {"type": "expire"}},
             {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                               "countUnit": "days", "countNumber": 1}, "action": {"type": "expire"}}]
    with pytest.raises(ClientError) as raised:
        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps({"rules": rules}))
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "must have the highest rulePriority" in raised.value.response["Error"]["Message"]
    rules.reverse()
    rules[0]["rulePriority"], rules[1]["rulePriority"] = 1, 2
    ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps({"rules": rules}))
