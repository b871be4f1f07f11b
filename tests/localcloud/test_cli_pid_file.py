"""`localcloud down` signals the process its pid file names only once that process is checked to be the local cloud.

Every process signalled here is one the test started itself.
"""
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from localcloud import cli
from localcloud.config import Config

# Stands in for `localcloud up`: stops on SIGTERM, removing its pid file as the cloud does.
CLOUD_STAND_IN = textwrap.dedent("""
    import pathlib, signal, sys, time
    pid_file = pathlib.Path(sys.argv[2])
    def stop(*_):
        pid_file.unlink(missing_ok=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def config(tmp_path):
    config = Config(state_dir=tmp_path / "state")
    config.state_dir.mkdir()
    return config


@pytest.fixture
def spawn():
    """Start a process for the test; whatever still runs afterwards is killed (only these, by their own handle)."""
    processes = []

    def start(*command: str, ready: bool = False) -> subprocess.Popen:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        processes.append(process)
        if ready:
            assert process.stdout.readline().strip() == "ready"  # its SIGTERM handler is in place
        for _ in range(1000):  # just after exec, /proc may show no command line for a moment
            if cli.process_command(process.pid):
                break
            time.sleep(0.001)
        return process
    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        process.stdout.close()


def stand_in(spawn, tmp_path, config) -> subprocess.Popen:
    script = tmp_path / "localcloud_stand_in.py"
    script.write_text(CLOUD_STAND_IN)
    return spawn(sys.executable, str(script), "up", str(config.pid_file), ready=True)


def record_of(pid: int, **changes) -> str:
    record = {"pid": pid, "started": cli.process_start_time(pid), "command": cli.process_command(pid)}
    return json.dumps({**record, **changes})


def test_a_live_process_named_by_an_older_bare_pid_file_is_not_signalled(config, spawn, capsys):
    sleeper = spawn("sleep", "30")
    config.pid_file.write_text(str(sleeper.pid))
    cli.stop_cloud_process(config)
    assert sleeper.poll() is None  # still alive
    assert not config.pid_file.exists()
    assert capsys.readouterr().out == (f"removed a stale pid file, signalled nothing: pid {sleeper.pid} is now another "
                                       f"process: sleep 30\n")


def test_a_live_process_that_started_at_another_time_is_not_signalled(config, spawn, capsys):
    sleeper = spawn("sleep", "30")
    config.pid_file.write_text(record_of(sleeper.pid, started="1"))  # the pid was reused since the file was written
    cli.stop_cloud_process(config)
    assert sleeper.poll() is None and not config.pid_file.exists()
    assert "signalled nothing" in capsys.readouterr().out


def test_a_live_process_running_another_command_is_not_signalled(config, spawn):
    sleeper = spawn("sleep", "30")
    config.pid_file.write_text(record_of(sleeper.pid, command="python -m localcloud up"))
    cli.stop_cloud_process(config)
    assert sleeper.poll() is None and not config.pid_file.exists()


def test_a_pid_file_naming_a_dead_process_is_removed_and_nothing_signalled(config, spawn, capsys):
    ended = spawn(sys.executable, "-c", "pass")
    record = record_of(ended.pid)  # recorded while it ran, as the cloud records itself
    ended.wait(10)
    config.pid_file.write_text(record)
    cli.stop_cloud_process(config)
    assert not config.pid_file.exists()
    assert capsys.readouterr().out == (f"removed a stale pid file, signalled nothing: no process {ended.pid} runs: the "
                                       f"local cloud ended without removing it\n")


@pytest.mark.parametrize("content", ["0", "-1", "true", "not a pid", '{"pid": "12"}', ""])
def test_a_pid_file_naming_no_single_process_is_removed_and_nothing_signalled(config, content, capsys):
    config.pid_file.write_text(content)  # 0 and -1 would signal whole process groups
    cli.stop_cloud_process(config)
    assert not config.pid_file.exists()
    assert capsys.readouterr().out == "removed a stale pid file, signalled nothing: it names no process\n"


def test_the_cloud_its_pid_file_names_is_signalled_and_waited_for(config, spawn, tmp_path, capsys):
    cloud = stand_in(spawn, tmp_path, config)
    config.pid_file.write_text(record_of(cloud.pid))
    cli.stop_cloud_process(config)
    assert cloud.wait(10) == 0  # it ran its SIGTERM handler
    assert not config.pid_file.exists() and capsys.readouterr().out == ""


def test_a_cloud_named_by_an_older_bare_pid_file_is_still_signalled(config, spawn, tmp_path):
    cloud = stand_in(spawn, tmp_path, config)  # its command line reads `… localcloud… up …`
    config.pid_file.write_text(str(cloud.pid))
    cli.stop_cloud_process(config)
    assert cloud.wait(10) == 0


def test_without_proc_ps_tells_the_start_time_and_command(config, spawn, tmp_path, monkeypatch):
    sleeper = spawn("sleep", "30")
    monkeypatch.setattr(cli, "PROC", tmp_path / "no-proc")  # as on macOS
    assert cli.process_command(sleeper.pid) == "sleep 30"
    started = cli.process_start_time(sleeper.pid)
    assert started and started == cli.process_start_time(sleeper.pid)
    config.pid_file.write_text(record_of(sleeper.pid, started="Thu Jan  1 00:00:00 1970"))
    cli.stop_cloud_process(config)
    assert sleeper.poll() is None and not config.pid_file.exists()


def test_the_start_time_is_the_22nd_field_of_proc_stat_even_with_spaces_in_the_name(tmp_path, monkeypatch):
    (tmp_path / "42").mkdir()
    fields_after_name = ["S"] + [str(n) for n in range(4, 22)] + ["123456"] + ["0"] * 30
    (tmp_path / "42" / "stat").write_text(f"42 (odd) name) {' '.join(fields_after_name)}\n")
    (tmp_path / "self").mkdir()
    monkeypatch.setattr(cli, "PROC", tmp_path)
    assert cli.process_start_time(42) == "123456"


def test_the_cloud_records_itself_so_that_it_is_recognised(config):
    cli.write_pid_file(config)
    record = cli.read_pid_file(config)
    assert record.pid == os.getpid() and record.started and record.command
    assert cli.not_the_cloud(record) is None  # checked only: this test process is never signalled


def test_a_stopping_cloud_removes_only_its_own_pid_file(config):
    config.pid_file.write_text(json.dumps({"pid": os.getpid() + 1, "started": "1", "command": "a later cloud"}))
    cli.remove_own_pid_file(config)
    assert config.pid_file.exists()
    cli.write_pid_file(config)
    cli.remove_own_pid_file(config)
    assert not config.pid_file.exists()


def test_down_says_in_one_line_that_the_pid_file_was_stale_then_cleans_up(config, spawn, monkeypatch, capsys):
    from localcloud import docker_resources, engine

    monkeypatch.setattr(engine, "client", lambda: None)
    monkeypatch.setattr(docker_resources, "remove_everything", lambda client, instance: {"containers": []})
    sleeper = spawn("sleep", "30")
    config.pid_file.write_text(str(sleeper.pid))
    assert cli.down(config) == 0
    assert sleeper.poll() is None
    assert capsys.readouterr().out.splitlines() == [
        f"removed a stale pid file, signalled nothing: pid {sleeper.pid} is now another process: sleep 30",
        "local cloud down"]
