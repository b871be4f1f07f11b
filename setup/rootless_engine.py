"""A second Docker engine with the Docker Desktop / Colima network topology: rootless dockerd on a Linux root host.

Ports published on 127.0.0.1 reach the host; container IPs and the bridge gateway do not, as with Docker Desktop
(macOS, Windows), Colima and rootless Docker elsewhere. It has its own image store, so the base images are copied
into it from the main engine (or built there when the main engine lacks them).

`python -m setup.rootless_engine`               install, start and fill it; each step skips what is done
`python -m setup.rootless_engine --print-host`  its DOCKER_HOST, for `DOCKER_HOST=$(… --print-host) docker ps`
`python -m setup.rootless_engine stop`          stop the engine this setup started (and only that one)
"""
import argparse
import os
import platform
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker

from localcloud import engine

from setup._console import SetupError, done, fail, step
from setup.base_images import copy_images, ensure_base_images, image_ids, images_to_copy
from workshop.settings import BASE_IMAGES

USER = "workshop-rootless"
RUNTIME_DIR = Path("/run/workshop/rootless")
PID_FILE = Path("/run/workshop/dockerd-rootless.pid")
LOG_FILE = Path("/var/log/workshop/dockerd-rootless.log")
SCRIPT = Path("/usr/share/docker.io/contrib/dockerd-rootless.sh")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The command each package brings; a missing command means a missing package.
PACKAGES = {"rootlesskit": "rootlesskit", "slirp4netns": "slirp4netns", "newuidmap": "uidmap"}
TUN = Path("/dev/net/tun")
SUBID_FILES = (Path("/etc/subuid"), Path("/etc/subgid"))
SUBID_FIRST, SUBID_COUNT = 100000, 65536
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30


def docker_host(runtime_dir: Path = RUNTIME_DIR) -> str:
    return f"unix://{runtime_dir}/docker.sock"


def engine_version(host: str, timeout: float = 3) -> str | None:
    """The engine's 'version (API x.y)', or None when it does not answer."""
    try:
        client = docker.DockerClient(base_url=host, version="auto", timeout=timeout)
        info = client.version()
        client.close()
        return f"{info['Version']} (API {info['ApiVersion']})"
    except Exception:
        return None


DEBIAN_FAMILY = ("ID=debian", "ID=ubuntu", "ID_LIKE=debian", 'ID_LIKE="debian', "ID_LIKE=ubuntu")


def is_debian_root_host(system: str, euid: int, os_release: str) -> bool:
    return system == "Linux" and euid == 0 and any(word in os_release for word in DEBIAN_FAMILY)


def require_debian_root_host() -> None:
    os_release = Path("/etc/os-release")
    text = os_release.read_text() if os_release.exists() else ""
    if not is_debian_root_host(platform.system(), os.geteuid(), text):
        raise SetupError("the rootless engine is set up by this script on Debian/Ubuntu Linux hosts, as root, only: "
                         "elsewhere use Docker Desktop or Colima, which already have this network topology, or set "
                         "up rootless Docker yourself (https://docs.docker.com/engine/security/rootless/) and point "
                         "DOCKER_HOST at it")


def missing_packages() -> list[str]:
    missing = [package for command, package in PACKAGES.items() if not shutil.which(command, path=SYSTEM_PATH)]
    return missing + (["docker.io"] if not SCRIPT.exists() else [])


def apt_install(packages: list[str]) -> None:
    step(f"installing {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        # A stale package list is the usual cause; refresh it once.
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise SetupError(f"`{' '.join(command)}` failed:\n{tail}")


def subid_line(user: str, existing: str) -> str | None:
    """The /etc/subuid (or subgid) line to add for the user, after every range in use; None when it has one."""
    end = SUBID_FIRST
    for line in existing.splitlines():
        fields = line.strip().split(":")
        if len(fields) != 3:
            continue
        if fields[0] == user:
            return None
        end = max(end, int(fields[1]) + int(fields[2]))
    return f"{user}:{end}:{SUBID_COUNT}\n"


def ensure_user() -> pwd.struct_passwd:
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        step(f"adding the system user {USER} (the rootless engine runs as it)")
        result = subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", USER],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SetupError(f"`useradd {USER}` failed: {result.stderr.strip()}")
        account = pwd.getpwnam(USER)
    # useradd adds subordinate id ranges only where configured to; rootlesskit needs them to map container users.
    for path in SUBID_FILES:
        line = subid_line(USER, path.read_text() if path.exists() else "")
        if line:
            with path.open("a") as file:
                file.write(line)
    return account


def tun_needs_chmod(mode: int) -> bool:
    """rootlesskit, running as the user, opens the tun device to create slirp4netns's tap device."""
    return mode & 0o666 != 0o666


def ensure_tun() -> None:
    if tun_needs_chmod(TUN.stat().st_mode):
        step(f"letting unprivileged users open {TUN} (chmod 666)")
        TUN.chmod(0o666)


def ensure_runtime_dir(account: pwd.struct_passwd) -> None:
    RUNTIME_DIR.mkdir(parents=True, exist_ok=True)
    os.chown(RUNTIME_DIR, account.pw_uid, account.pw_gid)
    # Private to the user, as a login's XDG_RUNTIME_DIR is; root still reaches the socket.
    RUNTIME_DIR.chmod(0o700)


def start_env(account: pwd.struct_passwd) -> dict[str, str]:
    """A clean environment: nothing of the caller's (DOCKER_HOST, proxies, venv) leaks into the engine."""
    return {"HOME": account.pw_dir, "USER": account.pw_name, "LOGNAME": account.pw_name,
            "PATH": SYSTEM_PATH, "XDG_RUNTIME_DIR": str(RUNTIME_DIR)}


def is_our_engine(cmdline: bytes, owner_uid: int, user_uid: int) -> bool:
    """The pid file's process is still the rootlesskit of dockerd-rootless.sh run by our user, not a reused pid."""
    return owner_uid == user_uid and str(SCRIPT).encode() in cmdline.split(b"\0")


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def our_engine_pid() -> int | None:
    """The pid of the rootless engine this setup started, when it still runs."""
    try:
        pid = int(PID_FILE.read_text().strip())
        proc = Path(f"/proc/{pid}")
        ours = is_our_engine((proc / "cmdline").read_bytes(), proc.stat().st_uid, pwd.getpwnam(USER).pw_uid)
    except (OSError, ValueError, KeyError):
        return None
    return pid if ours and alive(pid) else None


def start_engine(account: pwd.struct_passwd) -> int:
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    log = LOG_FILE.open("ab")
    # A session of its own, so the engine outlives `make` and a Ctrl-C in the terminal.
    process = subprocess.Popen([str(SCRIPT)], user=account.pw_uid, group=account.pw_gid, extra_groups=[],
                               env=start_env(account), cwd=account.pw_dir, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    PID_FILE.write_text(f"{process.pid}\n")
    return process.pid


def log_tail(lines: int = 15) -> str:
    return "\n".join(LOG_FILE.read_text(errors="replace").splitlines()[-lines:]) if LOG_FILE.exists() else ""


def wait_until_answering(pid: int) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        version = engine_version(docker_host(), timeout=2)
        if version:
            return version
        if not alive(pid):
            break
        time.sleep(0.5)
    raise SetupError(f"the rootless dockerd did not answer at {docker_host()} within {START_TIMEOUT_S} s; "
                     f"last lines of {LOG_FILE}:\n{log_tail()}")


def ensure_rootless_engine() -> str:
    version = engine_version(docker_host())
    if version:
        done(f"rootless Docker engine answers at {docker_host()}: {version}")
        return version
    require_debian_root_host()
    started = time.monotonic()
    pid = our_engine_pid()
    if pid is None:
        packages = missing_packages()
        if packages:
            apt_install(packages)
        account = ensure_user()
        ensure_tun()
        ensure_runtime_dir(account)
        step(f"starting the rootless dockerd as {USER} (log {LOG_FILE}, pid file {PID_FILE})")
        started = time.monotonic()
        pid = start_engine(account)
    version = wait_until_answering(pid)
    done(f"rootless Docker engine started in {time.monotonic() - started:.1f} s: {version}, pid {pid}, "
         f"DOCKER_HOST={docker_host()}")
    return version


def main_engine_host() -> str:
    """The engine the rest of the workshop uses (DOCKER_HOST, else the docker CLI's context, else the socket)."""
    return engine.docker_host()


def main_engine() -> docker.DockerClient | None:
    try:
        client = docker.DockerClient(base_url=main_engine_host(), version="auto", timeout=10)
        client.ping()
        return client
    except Exception:
        return None


def ensure_rootless_images() -> None:
    host = docker_host()
    target = docker.DockerClient(base_url=host, version="auto", timeout=120)
    copy = images_to_copy(image_ids(main_engine(), BASE_IMAGES), image_ids(target, BASE_IMAGES))
    if copy:
        step(f"copying {', '.join(copy)} from the main engine (docker save | docker load)")
        seconds = copy_images(copy, host, main_engine_host())
        done(f"copied {len(copy)} image(s) into the rootless engine in {seconds:.1f} s")
    if None in image_ids(target, BASE_IMAGES).values():
        step("the main engine lacks some base images: making them in the rootless engine")
        started = time.monotonic()
        ensure_base_images(target)
        done(f"base images made in the rootless engine in {time.monotonic() - started:.0f} s")
    elif not copy:
        done(f"base images present in the rootless engine: {', '.join(BASE_IMAGES)}")


def stop_rootless_engine() -> None:
    started = time.monotonic()
    pid = our_engine_pid()
    if pid is None:
        done("no rootless engine started by this setup runs")
        return
    step(f"stopping the rootless dockerd (pid {pid})")
    # rootlesskit passes SIGTERM on to dockerd, which stops its containers and exits.
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while alive(pid):
        if time.monotonic() > deadline:
            raise SetupError(f"the rootless dockerd (pid {pid}) still runs after {STOP_TIMEOUT_S} s; "
                             f"see {LOG_FILE}, or `kill -9 {pid}`")
        time.sleep(0.2)
    PID_FILE.unlink(missing_ok=True)
    done("rootless Docker engine stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m setup.rootless_engine", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("start", "stop"), default="start")
    parser.add_argument("--print-host", action="store_true",
                        help="print the engine's DOCKER_HOST if it answers (else nothing, exit status 1) and exit")
    parser.add_argument("--if-possible", action="store_true",
                        help="where this script cannot set up the engine (not a Debian/Ubuntu host as root), "
                             "say so and succeed: `make test` then runs on the native engine only")
    args = parser.parse_args(argv)
    if args.print_host:
        if engine_version(docker_host()) is None:
            return 1
        print(docker_host())
        return 0
    try:
        if args.command == "stop":
            stop_rootless_engine()
        else:
            if args.if_possible and engine_version(docker_host()) is None:
                try:
                    require_debian_root_host()
                except SetupError as error:
                    done(f"no rootless engine here, the tests run on the native engine only ({error})")
                    return 0
            ensure_rootless_engine()
            ensure_rootless_images()
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
