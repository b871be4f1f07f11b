"""The whole workshop as an instructor runs it: every solution notebook, in order, one after the other, in a local
cloud of its own (started once, as a learner's is), after the one-time images are built.

`run(repeats)` executes the sequence once (it takes minutes; `repeats` is ignored) and returns the wall time of
the whole run and of each module; asserts nothing. A notebook that fails stops the run with its error.
"""
import os
import subprocess
import sys
import time
import uuid

from setup.run_notebooks import execute  # as the notebook tests run them: expected errors are no failure
from workshop.paths import BUILD, SOLUTIONS

OUTPUT = BUILD / "bench" / "workshop"


def cloud_settings() -> dict[str, str]:
    """A cloud of the suite's own: its instance, ports and state folder (a learner's cloud on 4566 is left alone)."""
    instance = f"bench-workshop-{uuid.uuid4().hex[:6]}"
    return {"LOCALCLOUD_INSTANCE": instance, "LOCALCLOUD_PORT": "4587", "LOCALCLOUD_REGISTRY_PORT": "4586",
            "LOCALCLOUD_STATE_DIR": str(BUILD / "bench" / instance)}


def localcloud(command: str, environment: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "localcloud", command, *(["--detach"] if command == "up" else [])],
                   check=True, capture_output=True, env=environment, timeout=300)


def run(repeats: int = 1) -> dict:
    settings = cloud_settings()
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)  # the kernels papermill starts inherit them
    OUTPUT.mkdir(parents=True, exist_ok=True)
    modules = {}
    try:
        localcloud("up", dict(os.environ))
        started = time.monotonic()
        for notebook in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
            began = time.monotonic()
            execute(notebook, OUTPUT)
            modules[notebook.stem] = time.monotonic() - began
        total = time.monotonic() - started
    finally:
        localcloud("down", dict(os.environ))
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    figures = {"workshop: every solution notebook, in order (wall time)": {
        "median": round(total, 1), "unit": "s", "target": "≤ 300 s", "samples": [round(total, 1)]}}
    for module, seconds in modules.items():
        figures[f"workshop: {module}"] = {"median": round(seconds, 1), "unit": "s", "samples": [round(seconds, 1)]}
    return figures
