"""Make sure a Docker engine answers: use the one that does, or start Debian's `dockerd` on a Linux host as root.

`python -m setup.engine` — never touches an engine that already answers.
"""
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from localcloud import engine as docker_engine
from setup._console import SetupError, done, fail, step

LOG_FILE = Path("/var/log/workshop/dockerd.log")
PID_FILE = Path("/run/workshop/dockerd.pid")
START_TIMEOUT_S = 60


def engine_version(timeout: float = 3) -> str | None:
    """The engine's 'version (API x.y)', or None when no engine answers."""
    try:
        client = docker_engine.client(timeout=timeout)
        info = client.version()
        client.close()
        return f"{info['Version']} (API {info['ApiVersion']})"
    except Exception:
        return None


def how_to_get_an_engine() -> str:
    system = platform.system()
    if system == "Darwin":
        return "start Docker Desktop (or `colima start`), then run this again"
    if system == "Windows":
        return "start Docker Desktop (WSL 2 backend) and run the workshop inside WSL, then run this again"
    if os.environ.get("DOCKER_HOST"):
        return f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer: start that engine, or unset DOCKER_HOST"
    try:
        source = docker_engine.selection()
    except docker_engine.EngineSelectionError as error:
        return str(error)
    if source != docker_engine.FROM_DEFAULT_SOCKET:
        return (f"the {source} ({docker_engine.docker_host()}) does not answer: start that engine, "
                "or select another (`docker context ls` lists them)")
    return ("install Docker Engine (https://docs.docker.com/engine/install/) and start it, or run this as root "
            "on Debian/Ubuntu so the workshop can install and start one itself")


def can_start_own_engine() -> bool:
    """Only where we know how: a Debian-family Linux, as root, with no other engine configured."""
    if platform.system() != "Linux" or os.geteuid() != 0 or os.environ.get("DOCKER_HOST"):
        return False
    try:
        if docker_engine.selection() != docker_engine.FROM_DEFAULT_SOCKET:
            return False  # a docker context names another engine: starting ours would not make that one answer
    except docker_engine.EngineSelectionError:
        return False
    os_release = Path("/etc/os-release")
    text = os_release.read_text() if os_release.exists() else ""
    return any(word in text for word in ("ID=debian", "ID=ubuntu", "ID_LIKE=debian", 'ID_LIKE="debian', "ID_LIKE=ubuntu"))


def install_docker_io() -> None:
    step("installing Debian's docker.io (the Docker engine)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "docker.io"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            raise SetupError(f"`{' '.join(command)}` failed:\n{tail}\nFix the package source, or {how_to_get_an_engine()}")


def our_dockerd_pid() -> int | None:
    """The pid of a dockerd this setup started earlier and which is still alive."""
    try:
        pid = int(PID_FILE.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start_dockerd() -> int:
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    log = LOG_FILE.open("ab")
    # A session of its own, so the engine outlives `make` and a Ctrl-C in the terminal.
    process = subprocess.Popen(["dockerd", "--pidfile", str(PID_FILE)], stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    return process.pid


def wait_until_answering(pid: int) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        version = engine_version(timeout=2)
        if version:
            return version
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.5)
    tail = "\n".join(LOG_FILE.read_text(errors="replace").splitlines()[-10:]) if LOG_FILE.exists() else ""
    raise SetupError(f"dockerd did not answer within {START_TIMEOUT_S} s; last lines of {LOG_FILE}:\n{tail}")


def ensure_engine() -> str:
    version = engine_version()
    if version:
        done(f"Docker engine answers: {version}")
        return version
    pid = our_dockerd_pid()
    if pid is None:
        if not can_start_own_engine():
            raise SetupError(f"no Docker engine answers: {how_to_get_an_engine()}")
        if not shutil.which("dockerd"):
            install_docker_io()
        step(f"starting dockerd in the background (log {LOG_FILE}, pid file {PID_FILE})")
        pid = start_dockerd()
    version = wait_until_answering(pid)
    done(f"Docker engine started: {version}, pid {pid}")
    return version


def main() -> int:
    try:
        ensure_engine()
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
