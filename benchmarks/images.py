"""Image work a learner waits for: cold build of the monolith, rebuild after a code-only change, sizes."""
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.stats import median_of
from localcloud import engine as docker_engine
from workshop.paths import BUILD, SAMPLE_SERVICES
from workshop.settings import PYTHON_BASE_IMAGE

BENCH_TAG = "workshop-bench/monolith:latest"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def build(client, context: Path, tag: str, nocache: bool = False) -> None:
    client.images.build(path=str(context), tag=tag, nocache=nocache, rm=True, forcerm=True)


def run(repeats: int) -> dict:
    client = docker_engine.client()
    cold, rebuild = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-monolith-", dir=BUILD) as scratch:
            context = Path(scratch) / "monolith"
            shutil.copytree(SAMPLE_SERVICES / "monolith", context, ignore=shutil.ignore_patterns("__pycache__", "tests"))
            code_file = context / "bookshop" / "main.py"
            for round_number in range(repeats):
                cold.append(timed(lambda: build(client, context, BENCH_TAG, nocache=True)))
                # A code-only change: the dependency layer stays cached, only the code layer is rebuilt.
                code_file.write_text(code_file.read_text() + f"\n# benchmark change {round_number}\n")
                rebuild.append(timed(lambda: build(client, context, BENCH_TAG)))
        image_mb = client.images.get(BENCH_TAG).attrs["Size"] / 1e6
        base_mb = client.images.get(PYTHON_BASE_IMAGE).attrs["Size"] / 1e6
    finally:
        client.images.remove(BENCH_TAG, force=True)
    return {"monolith_cold_build": median_of(cold),
            "monolith_code_only_rebuild": median_of(rebuild),
            "monolith_image_size": median_of([image_mb], unit="MB"),
            "base_image_size": median_of([base_mb], unit="MB"),
            "monolith_size_above_base": median_of([image_mb - base_mb], unit="MB")}
