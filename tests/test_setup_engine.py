"""setup.engine: uses an engine that answers, starts one only where it knows how, and says how otherwise."""
import subprocess

import pytest

from setup import engine


def test_an_answering_engine_is_used_as_it_is(monkeypatch):
    monkeypatch.setattr(engine, "engine_version", lambda timeout=3: "27.0 (API 1.47)")
    monkeypatch.setattr(engine, "start_dockerd", lambda: pytest.fail("must not start a second engine"))
    monkeypatch.setattr(engine, "install_docker_io", lambda: pytest.fail("must not install anything"))
    assert engine.ensure_engine() == "27.0 (API 1.47)"


def test_no_engine_and_no_way_to_start_one_says_what_to_do(monkeypatch, capsys):
    monkeypatch.setattr(engine, "engine_version", lambda timeout=3: None)
    monkeypatch.setattr(engine, "our_dockerd_pid", lambda: None)
    monkeypatch.setattr(engine, "can_start_own_engine", lambda: False)
    monkeypatch.setattr(engine.platform, "system", lambda: "Darwin")
    assert engine.main() == 1
    assert "start Docker Desktop (or `colima start`)" in capsys.readouterr().err


def test_a_configured_docker_host_is_never_replaced(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert not engine.can_start_own_engine()
    assert "DOCKER_HOST=unix:///nonexistent/docker.sock does not answer" in engine.how_to_get_an_engine()


def test_a_failed_install_reports_the_command_and_its_error(monkeypatch):
    failed = subprocess.CompletedProcess(["apt-get"], 100, "", "E: Unable to locate package docker.io\n")
    monkeypatch.setattr(engine.subprocess, "run", lambda *args, **kwargs: failed)
    with pytest.raises(engine.SetupError, match="apt-get update -qq` failed:\nE: Unable to locate package docker.io"):
        engine.install_docker_io()


def test_a_dockerd_that_dies_at_start_shows_its_log(monkeypatch, tmp_path):
    log = tmp_path / "dockerd.log"
    log.write_text("starting\nfailed to start daemon: pid file found, ensure docker is not running\n")
    monkeypatch.setattr(engine, "LOG_FILE", log)
    monkeypatch.setattr(engine, "engine_version", lambda timeout=3: None)
    dead = subprocess.Popen(["true"])
    dead.wait()
    with pytest.raises(engine.SetupError, match="pid file found"):
        engine.wait_until_answering(dead.pid)


@pytest.mark.docker
def test_the_engine_answers_after_setup():
    assert engine.engine_version() is not None
