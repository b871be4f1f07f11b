"""The preflight doctor: every check reports, problems come with a fix, and nothing it meets makes it crash."""
import json
import os
import socket
import sys
import uuid

import pytest

from workshop import doctor
from workshop.settings import BASE_IMAGES, EXERCISE_PORT, KERNEL_NAME, LAB_PORT, LOCALCLOUD_PORT, MONOLITH_PORT
from workshop.settings import PYTHON_BASE_IMAGE, WORKSHOP_LABEL

EXPECTED_NAMES = [
    "Python",
    "Packages",
    f"Kernel {KERNEL_NAME}",
    "Widgets extension",
    "Docker engine",
    *[f"Image {image}" for image in BASE_IMAGES],
    "Container networking",
    f"Port {LAB_PORT} (JupyterLab)",
    f"Port {LOCALCLOUD_PORT} (local cloud)",
    f"Port {MONOLITH_PORT} (monolith)",
    f"Port {EXERCISE_PORT} (exercise)",
    "Disk space",
]


@pytest.fixture
def engine():
    found = doctor.Engine()
    if found.client() is None:
        pytest.skip(f"no Docker engine: {found.error}")
    return found


@pytest.fixture
def listening_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def fake_check(ok, detail="detail", fix="do this"):
    return lambda: (ok, detail, "" if ok else fix)


@pytest.mark.docker
def test_real_run_reports_every_check_by_name(engine):
    findings = doctor.report(doctor.default_checks(engine))

    assert [result.name for result in findings.results] == EXPECTED_NAMES
    assert all(result.detail for result in findings.results)
    assert all(result.fix for result in findings.problems)
    engine_row = findings.results[EXPECTED_NAMES.index("Docker engine")]
    assert engine_row.ok and "API " in engine_row.detail


def test_python_packages_kernel_and_widgets_pass_in_the_workshop_venv():
    for check in (doctor.check_python, doctor.check_packages, doctor.check_kernel, doctor.check_widgets_extension):
        ok, detail, fix = check()
        assert ok, (check.__name__, detail, fix)


def test_a_port_taken_by_another_program_fails_with_a_fix(listening_port):
    ok, detail, fix = doctor.check_port(listening_port, doctor.Engine())

    assert not ok and "taken" in detail
    if sys.platform == "linux":
        assert f"pid {os.getpid()}" in detail  # found through /proc: this test process holds it
    assert fix


def test_a_port_closed_again_is_free():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]

    assert doctor.check_port(port) == (True, "free", "")


def test_a_port_held_by_this_kernels_jupyter_server_passes(listening_port, tmp_path, monkeypatch):
    server = {"port": listening_port, "pid": 4242, "root_dir": str(tmp_path), "url": "http://127.0.0.1/"}
    (tmp_path / "jpserver-4242.json").write_text(json.dumps(server))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("JPY_PARENT_PID", "4242")

    ok, detail, _ = doctor.check_port(listening_port)

    assert ok and "Jupyter server" in detail


def test_a_port_held_by_an_unrelated_jupyter_server_fails(listening_port, tmp_path, monkeypatch):
    server = {"port": listening_port, "pid": 4242, "root_dir": str(tmp_path), "url": "http://127.0.0.1/"}
    (tmp_path / "jpserver-4242.json").write_text(json.dumps(server))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    monkeypatch.delenv("JUPYTER_SERVER_ROOT", raising=False)

    ok, detail, fix = doctor.check_port(listening_port)

    assert not ok and "Jupyter server" in detail
    assert f"jupyter server stop {listening_port}" in fix


def test_a_disabled_widgets_extension_fails_with_the_command_that_enables_it(tmp_path, monkeypatch):
    (tmp_path / "labconfig").mkdir()
    disabled = {"disabledExtensions": {doctor.WIDGETS_EXTENSION: True}}
    (tmp_path / "labconfig" / "page_config.json").write_text(json.dumps(disabled))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))

    ok, detail, fix = doctor.check_widgets_extension()

    assert not ok and "disabled" in detail
    assert f"labextension enable {doctor.WIDGETS_EXTENSION}" in fix


@pytest.mark.docker
@pytest.mark.parametrize("labelled", [True, False], ids=["workshop-container", "other-container"])
def test_a_port_published_by_a_container_passes_only_for_the_workshops_own(engine, labelled):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    container = engine.client().containers.run(
        PYTHON_BASE_IMAGE, ["sleep", "60"], detach=True, remove=True,
        name=f"doctor-test-{uuid.uuid4().hex[:8]}", ports={"8000/tcp": ("127.0.0.1", port)},
        labels={WORKSHOP_LABEL: "doctor-test"} if labelled else {},
    )
    try:
        ok, detail, fix = doctor.check_port(port, engine)
    finally:
        container.remove(force=True)

    assert ok is labelled
    assert container.name in detail
    if not labelled:
        assert f"docker stop {container.name}" in fix


def test_an_unreachable_engine_is_a_failure_with_a_fix_not_an_exception(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    engine = doctor.Engine()

    findings = doctor.report(doctor.default_checks(engine))

    row = {result.name: result for result in findings.results}
    assert not row["Docker engine"].ok
    assert "not reachable" in row["Docker engine"].detail
    assert row["Docker engine"].fix
    assert all(not row[f"Image {image}"].ok and row[f"Image {image}"].fix for image in BASE_IMAGES)
    assert row["Disk space"].detail  # measured where it can be: the workshop folder


@pytest.mark.docker
def test_a_missing_image_fails_with_the_command_that_provides_it(engine):
    ok, detail, fix = doctor.check_base_image(engine, f"workshop-doctor-missing-{uuid.uuid4().hex[:8]}:never")

    assert not ok and "not present" in detail
    assert "setup.base_images" in fix


def test_an_exception_in_one_check_becomes_a_failed_row_and_the_others_still_run():
    def broken():
        raise RuntimeError("disk on fire")

    findings = doctor.report([("Broken", broken), ("Fine", fake_check(True))])

    assert [(r.name, r.ok) for r in findings.results] == [("Broken", False), ("Fine", True)]
    assert "disk on fire" in findings.results[0].detail
    assert findings.results[0].fix


def test_main_exits_zero_when_all_pass_and_one_on_any_failure(capsys):
    assert doctor.main([], checks=[("A", fake_check(True)), ("B", fake_check(True))]) == 0
    assert "✘" not in capsys.readouterr().out

    assert doctor.main([], checks=[("A", fake_check(True)), ("B", fake_check(False, fix="run `x`"))]) == 1
    out = capsys.readouterr().out
    assert "✔  A" in out and "✘  B" in out
    assert "B: run `x`" in out.split("To fix:")[1]
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_json_output_parses(capsys):
    status = doctor.main(["--json"], checks=[("A", fake_check(True)), ("B", fake_check(False))])

    parsed = json.loads(capsys.readouterr().out)
    assert status == 1
    assert parsed["ok"] is False
    assert parsed["checks"] == [
        {"name": "A", "ok": True, "detail": "detail", "fix": ""},
        {"name": "B", "ok": False, "detail": "detail", "fix": "do this"},
    ]


def test_html_shows_a_row_per_check_and_the_fixes():
    findings = doctor.report([("Good <one>", fake_check(True)), ("Bad", fake_check(False, fix="run `make lab`"))])

    page = findings._repr_html_()

    assert page.count("<tr>") == 3  # header and two checks
    assert "✔</td><td style='text-align:left'>Good &lt;one&gt;" in page
    assert "✘</td><td style='text-align:left'>Bad" in page
    assert "<code>make lab</code>" in page


@pytest.mark.docker
def test_a_port_held_by_a_running_local_cloud_is_the_workshops():
    import localcloud
    from localcloud.config import Config

    with localcloud.running(Config(port=0, instance="t-doctor"), data_planes=[]) as cloud:
        ok, detail, _ = doctor.check_port(cloud.config.port)
    assert ok and detail == "in use by the local cloud"
