"""Building the offline base images from Debian packages, as `setup/` does where they cannot be pulled."""
import time

import docker

from benchmarks.stats import median_of
from localcloud import engine as docker_engine
from setup import base_images

BENCH_REPOSITORY = "workshop-bench"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run(repeats: int) -> dict:
    client = docker_engine.client()
    rootfs_tag = f"{BENCH_REPOSITORY}/rootfs:latest"
    python_tag, registry_tag = f"{BENCH_REPOSITORY}/python:standin", f"{BENCH_REPOSITORY}/registry:standin"
    rootfs, python_layer, registry = [], [], []
    try:
        for _ in range(repeats):
            rootfs.append(base_images.build_rootfs_image(client, rootfs_tag))
            with base_images.python_standin_context() as context:
                python_layer.append(timed(lambda: base_images.build_from_rootfs(
                    client, python_tag, context, {}, rootfs=rootfs_tag, nocache=True)))
            registry.append(timed(lambda: base_images.build_from_rootfs(
                client, registry_tag, base_images.SETUP / "images/registry", {}, rootfs=rootfs_tag, nocache=True)))
    finally:
        for tag in (python_tag, registry_tag, rootfs_tag):
            try:
                client.images.remove(tag, force=True)
            except docker.errors.ImageNotFound:
                pass
    return {"offline_rootfs_debootstrap_and_import": median_of(rootfs),
            "offline_python_standin_on_rootfs": median_of(python_layer),
            "offline_registry_standin_on_rootfs": median_of(registry),
            "offline_base_images_total": median_of([a + b + c for a, b, c in zip(rootfs, python_layer, registry)])}
