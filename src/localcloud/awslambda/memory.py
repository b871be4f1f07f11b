"""A container's peak memory, for REPORT lines: from its cgroup when the engine is local, else from the engine.

The engine's stats endpoint takes a second per call after the first, too slow to run after every invoke.
"""
from pathlib import Path

CGROUP_PEAK_FILES = ("/sys/fs/cgroup/memory/docker/{id}/memory.max_usage_in_bytes",   # cgroup v1, cgroupfs
                     "/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.peak",     # cgroup v2, systemd
                     "/sys/fs/cgroup/docker/{id}/memory.peak")                        # cgroup v2, cgroupfs


def peak_bytes(docker_api, container_id: str) -> int | None:
    for pattern in CGROUP_PEAK_FILES:
        path = Path(pattern.format(id=container_id))
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            continue
    stats = docker_api.stats(container_id, stream=False, one_shot=True)
    memory = stats.get("memory_stats") or {}
    return memory.get("max_usage") or memory.get("usage")
