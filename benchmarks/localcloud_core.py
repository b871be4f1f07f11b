"""The local cloud as a whole: `localcloud up --detach` until every part answers, and its idle memory."""
import os
import socket
import subprocess
import sys
import tempfile
import time

from benchmarks.stats import median_of


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resident_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(repeats: int) -> dict:
    up_seconds, idle_mb = [], []
    for round_number in range(repeats):
        with tempfile.TemporaryDirectory() as state:
            env = dict(os.environ, LOCALCLOUD_PORT=str(free_port()), LOCALCLOUD_REGISTRY_PORT="0", LOCALCLOUD_INSTANCE=f"bench-{round_number}",
                       LOCALCLOUD_STATE_DIR=state)
            command = [sys.executable, "-m", "localcloud"]
            started = time.perf_counter()
            subprocess.run([*command, "up", "--detach"], env=env, check=True, capture_output=True)
            up_seconds.append(time.perf_counter() - started)
            time.sleep(2)  # idle: let start-up garbage settle before reading memory
            pid = int(open(os.path.join(state, "localcloud.pid")).read())
            idle_mb.append(resident_mb(pid))
            subprocess.run([*command, "down"], env=env, check=True, capture_output=True)
    return {"localcloud_up_detach_until_ready": median_of(up_seconds),
            "localcloud_idle_memory_mb": median_of(idle_mb, unit="MB")}
