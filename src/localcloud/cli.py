"""`localcloud up [--detach] | status [--json] | down | reset` (also `python -m localcloud …`).

Only `up` (in the process that runs the cloud) and `down` import moto and docker: every other command, and the
waiting of `up --detach`, needs nothing but the standard library's HTTP client.
"""
import argparse
import dataclasses
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from localcloud.config import Config
from localcloud.pace import PaceSettingError

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


# --- the pid file: `down` signals the process it names only once that process is checked to be the local cloud ----

PROC = Path("/proc")  # absent on macOS: `ps` answers there instead


@dataclasses.dataclass(frozen=True)
class PidRecord:
    pid: int
    started: str | None = None  # None in the bare-pid file of an older version: then the command line alone is checked
    command: str | None = None


def ps_field(pid: int, field: str) -> str | None:
    try:
        result = subprocess.run(["ps", "-o", f"{field}=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def process_start_time(pid: int) -> str | None:
    """When `pid` started (a reused pid starts later): /proc's stat field 22, else `ps`'s lstart; None if unknown."""
    if not (PROC / "self").exists():
        return ps_field(pid, "lstart")
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]  # after the command name, which may hold spaces: fields 3, 4, … 22


def process_command(pid: int) -> str | None:
    if not (PROC / "self").exists():
        return ps_field(pid, "command")
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace") or None  # empty for a zombie


def write_pid_file(config: Config) -> None:
    pid = os.getpid()
    record = {"pid": pid, "started": process_start_time(pid), "command": process_command(pid)}
    config.pid_file.write_text(json.dumps(record) + "\n")


def read_pid_file(config: Config) -> PidRecord | None:
    """The pid file's record; None if it names no process (unreadable, or not a pid a signal may go to)."""
    try:
        data = json.loads(config.pid_file.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict):  # this version's format
        record = PidRecord(data.get("pid"), data.get("started"), data.get("command"))
    else:
        record = PidRecord(data)  # an older version's: the bare pid
    # 0 and negative pids signal whole process groups
    valid = isinstance(record.pid, int) and not isinstance(record.pid, bool) and record.pid > 0
    return record if valid else None


def looks_like_a_cloud(command: str) -> bool:
    """What `localcloud up` and `python -m localcloud up` run as (an older pid file recorded nothing else)."""
    return "localcloud" in command and "up" in command.split()


def not_the_cloud(record: PidRecord) -> str | None:
    """Why the process the record names is not the local cloud that wrote it; None if it is (or cannot be told)."""
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return f"no process {record.pid} runs: the local cloud ended without removing it"
    except PermissionError:
        return f"pid {record.pid} is now another user's process"
    started, command = process_start_time(record.pid), process_command(record.pid)
    reused = f"pid {record.pid} is now another process: {(command or 'unknown')[:80]}"
    if record.started and started and started != record.started:
        return reused
    if record.command and command and command != record.command:
        return reused
    if not record.command and not (command and looks_like_a_cloud(command)):
        return reused  # an older bare pid is trusted only when its process shows it is a local cloud
    return None  # neither /proc nor ps answers: trusted, as before the check existed


def remove_own_pid_file(config: Config) -> None:
    """On stop: the pid file is removed only if it is still this process's, not a later cloud's."""
    record = read_pid_file(config)
    if record is not None and record.pid == os.getpid():
        config.pid_file.unlink(missing_ok=True)


def stop_cloud_process(config: Config) -> None:
    """SIGTERM to the local cloud the pid file names, and wait until it has stopped; a stale pid file is removed."""
    if not config.pid_file.exists():
        return
    record = read_pid_file(config)
    stale = "it names no process" if record is None else not_the_cloud(record)
    if stale:
        config.pid_file.unlink(missing_ok=True)
        print(f"removed a stale pid file, signalled nothing: {stale}")
        return
    try:
        os.kill(record.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # it ended since the check
    deadline = time.monotonic() + STOP_TIMEOUT_S
    # the cloud removes its pid file once it has stopped; one that dies without doing so is no longer itself
    while config.pid_file.exists() and not_the_cloud(record) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    config.pid_file.unlink(missing_ok=True)


def require_free_port(config: Config) -> None:
    with socket.socket() as probe:
        # As the server binds: a port whose last connections are only in TIME_WAIT is free to serve again.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
    if status.get("pace", "local (instant)") != "local (instant)":
        print(f"  pace           {status['pace']}")
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
    write_pid_file(config)
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
        remove_own_pid_file(config)
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


def print_failed_parts(config: Config, parts: dict[str, dict]) -> None:
    """One line under the parts: what did not start, whether the rest still runs, where to read why."""
    states = {name: part_state(part) for name, part in parts.items() if name not in ("control-plane", "edge")}
    failed = [name for name, state in states.items() if state == "failed"]
    if not failed:
        return
    rest = "the other parts run" if len(failed) < len(states) else "only the AWS API answers"
    print(f"not started: {', '.join(failed)} ({rest}); its log says why ({config.log_file} when detached); "
          f"`localcloud down`, then `localcloud up --detach`, retries")


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
        print_failed_parts(config, status["parts"])
        if "pace" in status:
            print(f"  pace           {status['pace']}")
    return 0 if status else 1


def down(config: Config) -> int:
    from docker import errors as docker_errors

    from localcloud import docker_resources, engine

    stop_cloud_process(config)
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
    try:
        config = Config()
    except PaceSettingError as error:  # LOCALCLOUD_PACE / LOCALCLOUD_PACE_FACTOR say something it cannot play
        print(f"localcloud: {error}", file=sys.stderr)
        return 1
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
