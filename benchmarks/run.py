"""`make bench`: how long image work takes on this machine. Prints a table, writes JSON; asserts nothing.

Figures: offline base image build (debootstrap root filesystem, python and registry stand-ins), cold build of the
monolith image, rebuild after a code-only change, and the monolith image's size against its base image's.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import docker

from setup import base_images
from workshop.paths import BUILD, SAMPLE_SERVICES
from workshop.settings import PYTHON_BASE_IMAGE

RESULTS = BUILD / "bench" / "results.json"
BENCH_REPOSITORY = "workshop-bench"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(samples: list[float]) -> dict:
    return {"median_s": round(statistics.median(samples), 2), "samples_s": [round(s, 2) for s in samples]}


def build(client, context: Path, tag: str, nocache: bool = False) -> None:
    client.images.build(path=str(context), tag=tag, nocache=nocache, rm=True, forcerm=True)


def bench_offline_base_images(client, repeats: int) -> dict:
    rootfs_tag = f"{BENCH_REPOSITORY}/rootfs:latest"
    rootfs, python_layer, registry = [], [], []
    for _ in range(repeats):
        rootfs.append(base_images.build_rootfs_image(client, rootfs_tag))
        with base_images.python_standin_context() as context:
            python_layer.append(timed(lambda: base_images.build_from_rootfs(
                client, f"{BENCH_REPOSITORY}/python:standin", context, {}, rootfs=rootfs_tag, nocache=True)))
        registry.append(timed(lambda: base_images.build_from_rootfs(
            client, f"{BENCH_REPOSITORY}/registry:standin", base_images.SETUP / "images/registry", {},
            rootfs=rootfs_tag, nocache=True)))
    return {"rootfs_debootstrap_and_import": median_of(rootfs),
            "python_standin_on_rootfs": median_of(python_layer),
            "registry_standin_on_rootfs": median_of(registry),
            "all_offline_base_images": median_of([a + b + c for a, b, c in zip(rootfs, python_layer, registry)])}


def bench_monolith_builds(client, repeats: int) -> dict:
    tag = f"{BENCH_REPOSITORY}/monolith:latest"
    cold, rebuild = [], []
    with tempfile.TemporaryDirectory(prefix="bench-monolith-", dir=BUILD) as scratch:
        context = Path(scratch) / "monolith"
        shutil.copytree(SAMPLE_SERVICES / "monolith", context, ignore=shutil.ignore_patterns("__pycache__", "tests"))
        code_file = context / "bookshop" / "main.py"
        for round_number in range(repeats):
            cold.append(timed(lambda: build(client, context, tag, nocache=True)))
            # A code-only change: the dependency layer stays cached, only the code layer is rebuilt.
            code_file.write_text(code_file.read_text() + f"\n# benchmark change {round_number}\n")
            rebuild.append(timed(lambda: build(client, context, tag)))
    image_mb = client.images.get(tag).attrs["Size"] / 1e6
    base_mb = client.images.get(PYTHON_BASE_IMAGE).attrs["Size"] / 1e6
    return {"monolith_cold_build": median_of(cold),
            "monolith_code_only_rebuild": median_of(rebuild),
            "monolith_image_mb": round(image_mb, 1),
            "base_image_mb": round(base_mb, 1),
            "monolith_added_mb": round(image_mb - base_mb, 1)}


def remove_bench_images(client) -> None:
    for image in client.images.list():
        if any(tag.startswith(f"{BENCH_REPOSITORY}/") for tag in image.tags):
            client.images.remove(image.id, force=True)


def print_table(results: dict) -> None:
    print(f"\n{'figure':<40} {'median':>10}  samples")
    for name, value in results["figures"].items():
        if isinstance(value, dict):
            print(f"{name:<40} {value['median_s']:>8.2f} s  {value['samples_s']}")
        else:
            print(f"{name:<40} {value:>7.1f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-base-images", action="store_true", help="skip the slow offline base image figures")
    args = parser.parse_args(argv)
    client = docker.from_env()
    figures = {}
    try:
        figures.update(bench_monolith_builds(client, args.repeats))
        if not args.skip_base_images:
            figures.update(bench_offline_base_images(client, args.repeats))
    finally:
        remove_bench_images(client)
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "engine": client.version()["Version"]},
               "repeats": args.repeats, "figures": figures}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nJSON: {RESULTS.relative_to(BUILD.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
