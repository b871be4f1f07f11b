"""The local cloud as a whole: `localcloud up --detach` until it returns, until every part has started, idle memory.

`up --detach` returns once the AWS API answers; parts still loading hold calls to them until they are ready, so
the second figure says when the last call would stop waiting.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx

from benchmarks.stats import median_of

ALL_PARTS_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resident_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for_every_part(port: int) -> None:
    deadline = time.monotonic() + ALL_PARTS_TIMEOUT_S
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < deadline:
            parts = client.get(f"http://127.0.0.1:{port}/_localcloud/status").json()["parts"]
            if all(part.get("ready") for part in parts.values()):
                return
            time.sleep(0.05)
    raise TimeoutError(f"not every part was ready after {ALL_PARTS_TIMEOUT_S} s: {parts}")


def run(repeats: int) -> dict:
    up_seconds, all_parts_seconds, idle_mb = [], [], []
    for round_number in range(repeats):
        with tempfile.TemporaryDirectory() as state:
            port = free_port()
            env = dict(os.environ, LOCALCLOUD_PORT=str(port), LOCALCLOUD_REGISTRY_PORT="0", LOCALCLOUD_INSTANCE=f"bench-{round_number}",
                       LOCALCLOUD_STATE_DIR=state)
            command = [sys.executable, "-m", "localcloud"]
            started = time.perf_counter()
            subprocess.run([*command, "up", "--detach"], env=env, check=True, capture_output=True)
            up_seconds.append(time.perf_counter() - started)
            wait_for_every_part(port)
            all_parts_seconds.append(time.perf_counter() - started)
            time.sleep(2)  # idle: let start-up garbage settle before reading memory
            pid = json.loads(open(os.path.join(state, "localcloud.pid")).read())["pid"]
            idle_mb.append(resident_mb(pid))
            subprocess.run([*command, "down"], env=env, check=True, capture_output=True)
    return {"localcloud_up_detach_until_ready": median_of(up_seconds, target="≤ 1.8 s"),
            "localcloud_up_until_every_part_started": median_of(all_parts_seconds),
            "localcloud_idle_memory_mb": median_of(idle_mb, unit="MB")}
