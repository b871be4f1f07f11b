"""`make bench`: how long things take on this machine. Prints a table, writes JSON; asserts nothing.

Each suite is a module with `run(repeats) -> {figure: {"median", "unit", "samples"}}`.
"""
import argparse
import importlib
import json
import os
import platform

import docker

from workshop.paths import BUILD

RESULTS = BUILD / "bench" / "results.json"
SUITES = {
    "images": "benchmarks.images",
    "localcloud": "benchmarks.localcloud_core",
    "ecr": "benchmarks.localcloud_ecr",
    "ecs": "benchmarks.localcloud_ecs",
    "elbv2": "benchmarks.localcloud_elbv2",
    "lambda": "benchmarks.localcloud_lambda",
    "apigateway": "benchmarks.localcloud_apigateway",
    "dashboard": "benchmarks.dashboard",
    "bookshop": "benchmarks.bookshop",
    "workshop": "benchmarks.workshop",  # every solution notebook in order: minutes, once whatever --repeats says
    # Slowest last: debootstrap of a whole root filesystem per repeat.
    "base-images": "benchmarks.base_images",
}


def print_table(figures: dict) -> None:
    print(f"\n{'figure':<50} {'median':>14}  {'target':<9} samples")
    for name, value in figures.items():
        print(f"{name:<50} {value['median']:>10.3f} {value['unit']:<3}  {value.get('target', ''):<9} {value['samples']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=SUITES, default=list(SUITES), help="suites to run")
    args = parser.parse_args(argv)
    figures = {}
    for suite in args.only:
        print(f"→ {suite}", flush=True)
        figures.update(importlib.import_module(SUITES[suite]).run(args.repeats))
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "engine": docker.from_env().version()["Version"]},
               "repeats": args.repeats, "figures": figures}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(figures)
    print(f"\nJSON: {RESULTS.relative_to(BUILD.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
