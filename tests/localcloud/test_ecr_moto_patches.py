"""One test per moto ECR behaviour the local cloud works around (see localcloud/ecr/moto_patches.py)."""
import base64
import hashlib
from datetime import datetime, timezone

import httpx
import pytest

from localcloud import engine as docker_engine
from tests.localcloud.ecr_fixtures import build_image, ecr_client, ecr_cloud, registry_get, remove_test_images, unique

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with ecr_cloud() as running_cloud:
        yield running_cloud
    remove_test_images(docker_engine.client())


@pytest.fixture(scope="module")
def engine():
    return docker_engine.client()


def sdk_push(cloud, engine, name: str, tag: str) -> str:
    uri = f"{cloud.part('ecr').registry_host}/{name}"
    build_image(engine, f"{uri}:{tag}")
    lines = list(engine.images.push(uri, tag=tag, auth_config=cloud.part("ecr").auth_config(), stream=True,
                                    decode=True))
    assert not [line for line in lines if "error" in line], lines
    return next(line["aux"]["Digest"] for line in lines if "aux" in line)


def new_repository(cloud) -> str:
    return ecr_client(cloud).create_repository(repositoryName=unique("patched"))["repository"]["repositoryName"]


def test_repository_uri_points_to_aws(cloud):
    name = new_repository(cloud)
    [repository] = ecr_client(cloud).describe_repositories(repositoryNames=[name])["repositories"]
    assert repository["repositoryUri"] == f"{cloud.part('ecr').registry_host}/{name}"
    assert repository["repositoryUri"].startswith("127.0.0.1:")


def test_authorization_token_unusable(cloud):
    [data] = ecr_client(cloud).get_authorization_token()["authorizationData"]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert data["proxyEndpoint"] == f"http://{cloud.part('ecr').registry_host}"
    assert data["expiresAt"] > datetime.now(timezone.utc)
    assert httpx.get(f"{data['proxyEndpoint']}/v2/", auth=(user, password), timeout=10).status_code == 200


def test_image_size_counts_config_only(cloud, engine):
    name = new_repository(cloud)
    digest = sdk_push(cloud, engine, name, "v1")
    manifest = registry_get(cloud, f"/v2/{name}/manifests/{digest}").json()
    [image] = ecr_client(cloud).describe_images(repositoryName=name)["imageDetails"]
    assert image["imageSizeInBytes"] == manifest["config"]["size"] + sum(l["size"] for l in manifest["layers"])
    assert image["imageSizeInBytes"] > manifest["config"]["size"]


def test_put_image_never_reaches_a_registry(cloud, engine):
    name = new_repository(cloud)
    sdk_push(cloud, engine, name, "v1")
    ecr = ecr_client(cloud)
    manifest = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])["images"][0]["imageManifest"]
    image = ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="stable")["image"]
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert image["imageId"] == {"imageDigest": digest, "imageTag": "stable"}
    served = registry_get(cloud, f"/v2/{name}/manifests/stable")
    assert served.headers["docker-content-digest"] == digest
    assert sorted(ecr.describe_images(repositoryName=name)["imageDetails"][0]["imageTags"]) == ["stable", "v1"]


def test_batch_delete_image_leaves_registry(cloud, engine):
    name = new_repository(cloud)
    digest = sdk_push(cloud, engine, name, "v1")
    assert registry_get(cloud, f"/v2/{name}/manifests/{digest}").status_code == 200
    deleted = ecr_client(cloud).batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert registry_get(cloud, f"/v2/{name}/manifests/{digest}").status_code == 404
    assert ecr_client(cloud).list_images(repositoryName=name)["imageIds"] == []


def test_delete_repository_leaves_registry(cloud, engine):
    name = new_repository(cloud)
    digests = [sdk_push(cloud, engine, name, "a"), sdk_push(cloud, engine, name, "b")]
    ecr_client(cloud).delete_repository(repositoryName=name, force=True)
    ecr_client(cloud).create_repository(repositoryName=name)  # the front answers only for repositories ECR knows
    for digest in digests:
        assert registry_get(cloud, f"/v2/{name}/manifests/{digest}").status_code == 404
    assert ecr_client(cloud).list_images(repositoryName=name)["imageIds"] == []
