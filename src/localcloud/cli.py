"""`localcloud up [--detach] | status [--json] | down | reset` (also `python -m localcloud …`).

Only `up` (in the process that runs the cloud) and `down` import moto and docker: every other command, and the
waiting of `up --detach`, needs nothing but the standard library's HTTP client.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from localcloud.config import Config

DETACH_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
BUSY_STATUS_TIMEOUT_S = 10  # a running cloud on a loaded machine can take seconds to answer its status
POLL_INTERVAL_S = 0.02  # a poll is one loopback connection: cheap enough to ask often


class CommandError(Exception):
    """The command cannot do what was asked; the message says what to do instead."""


def call_internal(config: Config, method: str, route: str, timeout: float) -> dict | None:
    """The JSON answer of one of the cloud's own routes, or None if no local cloud answers it."""
    connection = http.client.HTTPConnection(config.host, config.port, timeout=timeout)
    try:
        connection.request(method, f"/_localcloud/{route}")
        response = connection.getresponse()
        return json.loads(response.read()) if response.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()


def fetch_status(config: Config, timeout: float = 1.0) -> dict | None:
    return call_internal(config, "GET", "status", timeout)


def part_state(part: dict) -> str:
    """ready; loading (calls to it wait until it is ready); failed (it will not start); or not ready (started)."""
    if part.get("ready"):
        return "ready"
    if part.get("loading"):
        return "loading"
    return "failed" if part.get("error") else "not ready"


def describe_part(part: dict) -> str:
    if part_state(part) == "loading":
        return "loading (calls to it wait until it is ready)"
    if part.get("error"):
        return f"failed: {part['error']}"
    return part.get("endpoint") or ""


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
            print(f"  {name:<14} {describe_part(part)}")
    print(f"  use it with: export AWS_ENDPOINT_URL={status['endpoint']}")


def up_foreground(config: Config) -> int:
    require_free_port(config)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    from localcloud.cloud import EngineUnavailable, LocalCloud

    cloud = LocalCloud(config)
    try:
        cloud.start(wait=False)
    except EngineUnavailable as error:
        raise CommandError(str(error)) from None
    config.state_dir.mkdir(parents=True, exist_ok=True)
    config.pid_file.write_text(str(os.getpid()))
    try:
        print(f"AWS endpoint {config.endpoint_url} answering; starting the data planes…", flush=True)
        while not cloud.wait_until_loaded(timeout=0.2) and not stop.is_set():
            pass  # short waits: Ctrl-C is handled between them
        if not stop.is_set():
            print_endpoints(cloud.status())
            print("Ctrl-C stops it and removes everything it started.", flush=True)
        stop.wait()
    finally:
        print("stopping the local cloud…", flush=True)
        cloud.stop()
        config.pid_file.unlink(missing_ok=True)
    return 0


def up_detached(config: Config) -> int:
    """Start the cloud in the background; return once its AWS API answers and no part has failed.

    Parts still loading are said so: every call to one waits until it is ready, so a client may start at once.
    """
    status = fetch_status(config, timeout=BUSY_STATUS_TIMEOUT_S)
    if status:
        print_endpoints(status)
        return 0
    require_free_port(config)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    with config.log_file.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "localcloud", "up"], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ))
    failed = {}
    deadline = time.monotonic() + DETACH_TIMEOUT_S
    while time.monotonic() < deadline:
        status = fetch_status(config)
        if status:
            states = {name: part_state(part) for name, part in status["parts"].items()}
            failed = {name: status["parts"][name]["error"] for name, state in states.items() if state == "failed"}
            if failed:
                break
            if all(state in ("ready", "loading") for state in states.values()):
                print_endpoints(status)
                print(f"running in the background (pid {process.pid}, log {config.log_file}); "
                      "`localcloud down` stops it")
                return 0
        if process.poll() is not None:
            break
        time.sleep(POLL_INTERVAL_S)
    tail = config.log_file.read_text(errors="replace").splitlines()[-15:]
    if process.poll() is None:
        process.terminate()
    what = "".join(f"\n  {name}: {error}" for name, error in failed.items())
    raise CommandError(f"the local cloud did not come up{what}\nlast lines of its log:\n" + "\n".join(tail))


def status_command(config: Config, as_json: bool) -> int:
    status = fetch_status(config)
    if as_json:
        print(json.dumps(status or {"running": False}, indent=2))
    elif status is None:
        print(f"no local cloud answers at {config.endpoint_url} (start one with `localcloud up --detach`)")
    else:
        marks = {"ready": "✔", "loading": "…", "failed": "✘", "not ready": "✘"}
        for name, part in status["parts"].items():
            print(f"{marks[part_state(part)]} {name:<14} {describe_part(part)}")
    return 0 if status else 1


def down(config: Config) -> int:
    from docker import errors as docker_errors

    from localcloud import docker_resources, engine

    pid = running_pid(config)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while running_pid(config) and time.monotonic() < deadline:
            time.sleep(0.1)
    config.pid_file.unlink(missing_ok=True)
    try:
        removed = docker_resources.remove_everything(engine.client(), config.instance)
    except docker_errors.DockerException as error:
        raise CommandError(f"the local cloud is stopped, but the Docker engine at {engine.docker_host()} does not "
                           f"answer ({str(error).splitlines()[0][:120]}), so what it started is still there: start "
                           f"the engine, then run `localcloud down` again") from None
    print("local cloud down" + (f" (removed {removed})" if any(removed.values()) else ""))
    return 0


def reset(config: Config) -> int:
    if call_internal(config, "POST", "reset", timeout=30) is None:
        raise CommandError(f"no local cloud answers at {config.endpoint_url}: nothing to reset")
    print("local cloud reset: all state emptied, still running")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud", description="An embedded local AWS on a Docker engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start (foreground, Ctrl-C stops)")
    up_parser.add_argument("--detach", action="store_true",
                           help="return once the AWS API answers (a part still loading holds calls until it is ready)")
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
