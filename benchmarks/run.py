"""`make bench`: how long things take on this machine. Prints a table, writes JSON; asserts nothing.

Each suite is a module with `run(repeats) -> {figure: {"median", "unit", "samples"}}`. Suites that start a local
cloud or containers run once on each engine of `--engines`, each in a process of its own whose DOCKER_HOST names
the engine (the docker clients, the local cloud and the notebooks' kernels all follow it); the others run once.
`native` is the engine the workshop picks (`localcloud.engine`), `rootless` the one `make rootless` starts, whose
network topology is Docker Desktop's and Colima's. The JSON keeps each engine's figures, version and DOCKER_HOST.
"""
import argparse
import functools
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import docker

from localcloud import engine as docker_engine
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
    "edge": "benchmarks.localcloud_edge",
    "dashboard": "benchmarks.dashboard",
    "bookshop": "benchmarks.bookshop",
    "workshop": "benchmarks.workshop",  # every solution notebook in order: minutes, once whatever --repeats says
    # Slowest last: debootstrap of a whole root filesystem per repeat.
    "base-images": "benchmarks.base_images",
}
# Set-up builds the offline base images on the main engine only (the rootless engine gets copies): run once.
ONCE = {"base-images"}
ENGINES = ("native", "rootless")
ROOTLESS_TARGET = "≤ 1.5"  # the issue's: every rootless figure within 1.5× of the native one


@functools.cache
def rootless_host() -> str | None:
    """The rootless engine's DOCKER_HOST, or None when it does not answer."""
    printed = subprocess.run([sys.executable, "-m", "setup.rootless_engine", "--print-host"],
                             capture_output=True, text=True)
    return printed.stdout.strip() if printed.returncode == 0 else None


def engine_environment(name: str) -> dict[str, str]:
    """This process's environment with DOCKER_HOST naming the engine, and nothing left that names another."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DOCKER_HOST", "DOCKER_CONTEXT", *docker_engine.TLS_VARIABLES)}
    if name == "native":
        environment.update(docker_engine.environment())
    elif rootless_host():
        environment["DOCKER_HOST"] = rootless_host()
    else:
        sys.exit("the rootless engine does not answer: `make rootless` starts it, or leave it out of --engines")
    return environment


def engine_version(environment: dict[str, str]) -> str:
    client = docker.DockerClient(version="auto", timeout=10, **docker.utils.kwargs_from_env(environment=environment))
    try:
        return client.version()["Version"]
    finally:
        client.close()


def run_suite(suite: str, repeats: int, environment: dict[str, str]) -> dict | None:
    """The suite's figures, measured in a process of its own on the environment's engine; None when it failed."""
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        output = Path(scratch) / "figures.json"
        finished = subprocess.run([sys.executable, "-m", "benchmarks.run", "--repeats", str(repeats),
                                   "--only", suite, "--figures-to", str(output)], env=environment)
        return json.loads(output.read_text()) if finished.returncode == 0 else None


def cell(figure: dict | None) -> str:
    return f"{figure['median']:>10.3f} {figure['unit']:<4}" if figure else f"{'—':>10} {'':<4}"


def ratio(figures: list[dict | None]) -> str:
    native, rootless = figures
    if not (native and rootless and native["median"]):
        return "—"
    return f"{rootless['median'] / native['median']:.2f}"


def print_table(results: dict) -> None:
    engines = results["engines"]
    print()
    for name, engine in engines.items():
        print(f"{name}: Docker {engine['version']} at {engine['docker_host']}")
    names = list(dict.fromkeys(figure for engine in engines.values() for figure in engine["figures"]))
    width = max(map(len, [*names, *results["figures"], "figure"]))
    side_by_side = list(engines) == list(ENGINES)
    if side_by_side:
        print(f"\ntarget of rootless/native, every figure: {ROOTLESS_TARGET}; the target column is the native engine's")
    header = f"{'figure':<{width}}" + "".join(f" {name:>10}     " for name in engines)
    print(f"\n{header}" + (f"  {'rootless/native':>15}" if side_by_side else "") + "  target")
    for name in names:
        figures = [engine["figures"].get(name) for engine in engines.values()]
        target = next((figure.get("target", "") for figure in figures if figure), "")
        print(f"{name:<{width}}" + "".join(f" {cell(figure)}" for figure in figures)
              + (f"  {ratio(figures):>15}" if side_by_side else "") + f"  {target}")
    if results["figures"]:
        print(f"\nrun once, on the {next(iter(engines))} engine:")
        for name, figure in results["figures"].items():
            print(f"{name:<{width}} {cell(figure)}  {figure.get('target', '')}")
    for failure in results["failed"]:
        print(f"FAILED: {failure} (its output is above)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=SUITES, default=list(SUITES), help="suites to run")
    parser.add_argument("--engines", nargs="+", choices=ENGINES,
                        help="engines to measure on (default: native, and rootless when it answers)")
    parser.add_argument("--figures-to", type=Path, help=argparse.SUPPRESS)  # one suite, in this process
    args = parser.parse_args(argv)
    # The clouds of the suites publish their registry on any free port: 4510 may be a learner's cloud's.
    os.environ.setdefault("LOCALCLOUD_REGISTRY_PORT", "0")
    if args.figures_to:
        figures = {}
        for suite in args.only:
            figures.update(importlib.import_module(SUITES[suite]).run(args.repeats))
        args.figures_to.write_text(json.dumps(figures))
        return 0
    if not args.engines:
        args.engines = ["native"] + (["rootless"] if rootless_host() else [])
        print(f"engines: {', '.join(args.engines)}", flush=True)
    environments = {name: engine_environment(name) for name in ENGINES if name in args.engines}
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "repeats": args.repeats,
               "engines": {name: {"docker_host": environment["DOCKER_HOST"], "version": engine_version(environment),
                                  "figures": {}} for name, environment in environments.items()},
               "figures": {}, "failed": []}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for suite in args.only:
        # Engines take turns suite by suite, so a busy spell on this machine does not load one engine's figures only.
        for name, environment in environments.items():
            print(f"→ {suite} on {name} ({environment['DOCKER_HOST']})", flush=True)
            figures = run_suite(suite, args.repeats, environment)
            if figures is None:
                results["failed"].append(f"{suite} on {name}")
            else:
                (results["figures"] if suite in ONCE else results["engines"][name]["figures"]).update(figures)
            RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")  # a later failure keeps these
            if suite in ONCE:
                break
    print_table(results)
    print(f"\nJSON: {RESULTS.relative_to(BUILD.parent)}")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
