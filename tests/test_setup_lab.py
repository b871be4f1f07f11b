"""setup.lab: serves on loopback with a token, refuses a taken port with a fix, and reuses its own running lab."""
import socket

import pytest

from setup import lab


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_the_lab_listens_on_loopback_with_a_token():
    command = lab.lab_command(8888, "secret")
    assert "--ip=127.0.0.1" in command
    assert "--IdentityProvider.token=secret" in command
    assert "--port-retries=0" in command  # never wander to another port silently


def test_a_port_taken_by_another_program_gives_the_fix(monkeypatch, taken_port, capsys):
    monkeypatch.setattr(lab, "running_lab_on", lambda port: None)
    monkeypatch.setattr(lab.os, "execv", lambda *a: pytest.fail("must not start a lab on a taken port"))
    assert lab.main(["--port", str(taken_port)]) == 1
    error = capsys.readouterr().err
    assert f"port {taken_port} on 127.0.0.1 is taken" in error
    assert f"make lab LAB_PORT={taken_port + 1}" in error


def test_a_second_make_lab_prints_the_running_labs_url(monkeypatch, taken_port, capsys):
    monkeypatch.setattr(lab, "running_lab_on", lambda port: {"port": port, "token": "abc"})
    monkeypatch.setattr(lab.os, "execv", lambda *a: pytest.fail("must not start a second lab"))
    assert lab.main(["--port", str(taken_port)]) == 0
    assert f"http://127.0.0.1:{taken_port}/lab/tree/notebooks/00_welcome.ipynb?token=abc" in capsys.readouterr().out


def test_a_free_port_starts_jupyterlab(monkeypatch, capsys):
    started = []
    monkeypatch.setattr(lab, "running_lab_on", lambda port: None)
    monkeypatch.setattr(lab, "port_is_free", lambda port: True)
    monkeypatch.setattr(lab.os, "execv", lambda program, argv: started.append(argv))
    monkeypatch.setenv("WORKSHOP_LAB_TOKEN", "tok")
    assert lab.main(["--port", "8899"]) == 0
    assert started and "--port=8899" in started[0]
    assert "http://127.0.0.1:8899/lab/tree/notebooks/00_welcome.ipynb?token=tok" in capsys.readouterr().out
