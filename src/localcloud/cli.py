"""`localcloud up [--detach] | status [--json] | down | reset` (also `python -m localcloud …`)."""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import docker
import httpx

from localcloud import docker_resources
from localcloud.cloud import LocalCloud
from localcloud.config import Config

DETACH_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
BUSY_STATUS_TIMEOUT_S = 10  # a running cloud on a loaded machine can take seconds to answer its status


class CommandError(Exception):
    """The command cannot do what was asked; the message says what to do instead."""


def fetch_status(config: Config, timeout: float = 1.0) -> dict | None:
    try:
        return httpx.get(f"{config.endpoint_url}/_localcloud/status", timeout=timeout).json()
    except (httpx.HTTPError, ValueError):
        return None


def running_pid(config: Config) -> int | None:
    try:
        pid = int(config.pid_file.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def require_free_port(config: Config) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((config.host, config.port))
        except OSError:
            raise CommandError(f"port {config.port} on {config.host} is taken: stop what listens there "
                               f"(`localcloud down` if it is an earlier local cloud) or set LOCALCLOUD_PORT") from None


def print_endpoints(status: dict) -> None:
    print(f"local cloud up: AWS endpoint {status['endpoint']} (region {status['region']}, any access key)")
    for name, part in status["parts"].items():
        if name != "control-plane":
            print(f"  {name:<14} {part.get('endpoint', '')}")
    print(f"  use it with: export AWS_ENDPOINT_URL={status['endpoint']}")


def up_foreground(config: Config) -> int:
    require_free_port(config)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    cloud = LocalCloud(config)
    cloud.start()
    config.state_dir.mkdir(parents=True, exist_ok=True)
    config.pid_file.write_text(str(os.getpid()))
    try:
        print_endpoints(cloud.status())
        print("Ctrl-C stops it and removes everything it started.", flush=True)
        stop.wait()
    finally:
        print("stopping the local cloud…", flush=True)
        cloud.stop()
        config.pid_file.unlink(missing_ok=True)
    return 0


def up_detached(config: Config) -> int:
    status = fetch_status(config, timeout=BUSY_STATUS_TIMEOUT_S)
    if status:
        print_endpoints(status)
        return 0
    require_free_port(config)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    with config.log_file.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "localcloud", "up"], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ))
    deadline = time.monotonic() + DETACH_TIMEOUT_S
    while time.monotonic() < deadline:
        status = fetch_status(config)
        if status and all(part.get("ready") for part in status["parts"].values()):
            print_endpoints(status)
            print(f"running in the background (pid {process.pid}, log {config.log_file}); `localcloud down` stops it")
            return 0
        if process.poll() is not None:
            break
        time.sleep(0.05)
    tail = config.log_file.read_text(errors="replace").splitlines()[-15:]
    if process.poll() is None:
        process.terminate()
    raise CommandError("the local cloud did not come up; last lines of its log:\n" + "\n".join(tail))


def status_command(config: Config, as_json: bool) -> int:
    status = fetch_status(config)
    if as_json:
        print(json.dumps(status or {"running": False}, indent=2))
    elif status is None:
        print(f"no local cloud answers at {config.endpoint_url} (start one with `localcloud up --detach`)")
    else:
        for name, part in status["parts"].items():
            print(f"{'✔' if part.get('ready') else '✘'} {name:<14} {part.get('endpoint', '')}")
    return 0 if status else 1


def down(config: Config) -> int:
    pid = running_pid(config)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while running_pid(config) and time.monotonic() < deadline:
            time.sleep(0.1)
    config.pid_file.unlink(missing_ok=True)
    removed = docker_resources.remove_everything(docker.from_env(), config.instance)
    print("local cloud down" + (f" (removed {removed})" if any(removed.values()) else ""))
    return 0


def reset(config: Config) -> int:
    try:
        httpx.post(f"{config.endpoint_url}/_localcloud/reset", timeout=30).raise_for_status()
    except httpx.HTTPError:
        raise CommandError(f"no local cloud answers at {config.endpoint_url}: nothing to reset") from None
    print("local cloud reset: all state emptied, still running")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud", description="An embedded local AWS on a Docker engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start (foreground, Ctrl-C stops)")
    up_parser.add_argument("--detach", action="store_true", help="return once every part answers")
    status_parser = commands.add_parser("status", help="what runs and where")
    status_parser.add_argument("--json", action="store_true")
    commands.add_parser("down", help="stop and remove everything it started")
    commands.add_parser("reset", help="empty all state, keep running")
    args = parser.parse_args(argv)
    config = Config()
    try:
        if args.command == "up":
            return up_detached(config) if args.detach else up_foreground(config)
        if args.command == "status":
            return status_command(config, args.json)
        return down(config) if args.command == "down" else reset(config)
    except CommandError as error:
        print(f"localcloud: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
