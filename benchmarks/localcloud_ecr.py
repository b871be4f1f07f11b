"""ECR figures: a push of a new tag of a ~100 MB image that adds one small layer, and push throughput through the
registry front (ECR's auth and bookkeeping) against pushing straight to the registry container.

Throughput is measured twice: a raw 100 MB blob upload over the registry API (what the front adds to the wire) and
`docker push` of a fresh image with a 100 MB random layer (what a learner waits for; the engine's gzip dominates).
`run(repeats)` returns medians with their samples; asserts nothing.
"""
import hashlib
import io
import os
import tarfile
import tempfile
import time
import uuid

import httpx

from benchmarks.stats import median_of
from localcloud import engine as docker_engine
from tests.localcloud.ecr_fixtures import (IMAGE_LABEL, build_image, docker_cli, ecr_client, ecr_cloud,
                                           remove_test_images)

BASE_IMAGE = "python:3.13-slim"  # about 114 MB on disk
BLOB_MB = 100
CHUNK = 1024 * 1024


def push_seconds(config_dir, reference: str) -> float:
    started = time.perf_counter()
    result = docker_cli(config_dir, "push", reference)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"push of {reference} failed: {result.stderr}")
    return elapsed


def upload_blob_seconds(base_url: str, name: str, data: bytes, auth) -> float:
    """POST an upload, PATCH the bytes in 1 MiB chunks (streamed, as docker sends them), PUT with the digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with httpx.Client(base_url=base_url, auth=auth, timeout=120) as client:
        started = time.perf_counter()
        location = client.post(f"/v2/{name}/blobs/uploads/").headers["location"]
        patched = client.patch(location, content=(data[i:i + CHUNK] for i in range(0, len(data), CHUNK)),
                               headers={"Content-Type": "application/octet-stream"})
        separator = "&" if "?" in patched.headers["location"] else "?"
        done = client.put(f"{patched.headers['location']}{separator}digest={digest}")
        elapsed = time.perf_counter() - started
    if done.status_code != 201:
        raise RuntimeError(f"blob upload to {base_url} failed: {done.status_code} {done.text}")
    return elapsed


def random_layer_image(engine, tag: str) -> None:
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, data in (("Dockerfile", f"FROM scratch\nLABEL {IMAGE_LABEL}=ecr\nCOPY blob /blob\n".encode()),
                           ("blob", os.urandom(BLOB_MB * CHUNK))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    engine.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True)


def run(repeats: int = 3) -> dict:
    engine = docker_engine.client()
    new_tag, front_mb_s, direct_mb_s, front_push, direct_push = [], [], [], [], []
    base_tags = []
    try:
        with ecr_cloud() as cloud, tempfile.TemporaryDirectory() as config_dir:
            plane = cloud.part("ecr")
            docker_cli(config_dir, "login", "-u", "AWS", "--password-stdin", plane.proxy_endpoint,
                       stdin=plane.credentials.password)
            ecr = ecr_client(cloud)
            uri = ecr.create_repository(repositoryName="bench/app")["repository"]["repositoryUri"]
            engine.images.get(BASE_IMAGE).tag(uri, "base")
            base_tags.append(f"{uri}:base")
            push_seconds(config_dir, f"{uri}:base")  # the ~100 MB of base layers, once
            for round_number in range(repeats):
                build_image(engine, f"{uri}:r{round_number}", base=BASE_IMAGE)
                new_tag.append(push_seconds(config_dir, f"{uri}:r{round_number}"))

            direct_host = plane.registry_url.removeprefix("http://")
            for round_number in range(repeats):
                name = f"bench/blob-{uuid.uuid4().hex[:8]}"
                ecr.create_repository(repositoryName=name)
                data = os.urandom(BLOB_MB * CHUNK)
                front_mb_s.append(BLOB_MB / upload_blob_seconds(plane.proxy_endpoint, name, data,
                                                                ("AWS", plane.credentials.password)))
                data = os.urandom(BLOB_MB * CHUNK)
                direct_mb_s.append(BLOB_MB / upload_blob_seconds(plane.registry_url, name, data, None))

                front_ref = f"{plane.registry_host}/{name}:fresh"
                direct_ref = f"{direct_host}/{name}-direct:fresh"
                random_layer_image(engine, front_ref)
                random_layer_image(engine, direct_ref)
                front_push.append(push_seconds(config_dir, front_ref))
                direct_push.append(push_seconds(config_dir, direct_ref))
    finally:
        for tag in base_tags:  # a second name of the base image: untag only
            engine.images.remove(tag)
        remove_test_images(engine)
    return {"ecr_push_new_tag_one_small_layer": median_of(new_tag),
            "ecr_blob_upload_through_front": median_of(front_mb_s, unit="MB/s"),
            "ecr_blob_upload_direct_to_registry": median_of(direct_mb_s, unit="MB/s"),
            "ecr_docker_push_100mb_through_front": median_of(front_push),
            "ecr_docker_push_100mb_direct_to_registry": median_of(direct_push)}


if __name__ == "__main__":
    import json
    print(json.dumps(run(3), indent=2))
