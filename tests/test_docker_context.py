"""Everything that reaches the engine follows the docker CLI's context (Docker Desktop, Colima) as the CLI does."""
import pytest

from setup import engine as setup_engine
from tests.docker_cli_fixtures import add_context, empty_config, use_context
from workshop import docker_client, doctor
from workshop.docker_client import EngineUnavailable, get_client

NOWHERE = "unix:///nonexistent/colima/docker.sock"


@pytest.fixture
def colima(tmp_path, monkeypatch):
    """A docker CLI whose current context is `colima`, pointing at a socket where no engine answers."""
    config = empty_config(tmp_path, monkeypatch)
    meta = add_context(config, "colima", NOWHERE)
    use_context(config, "colima")
    monkeypatch.setattr(docker_client, "_client", None)
    return meta


def test_the_doctor_looks_for_the_engine_where_the_context_points(colima):
    engine = doctor.Engine(timeout=1)
    ok, detail, _ = doctor.check_engine(engine)
    assert not ok
    assert f"not reachable at {NOWHERE}" in detail


def test_the_doctor_reports_a_broken_context_by_name(colima):
    colima.write_text("{")
    ok, detail, _ = doctor.check_engine(doctor.Engine(timeout=1))
    assert not ok
    assert "docker context 'colima'" in detail and "is broken" in detail


def test_notebooks_are_told_which_context_setting_to_fix(colima):
    colima.unlink()
    with pytest.raises(EngineUnavailable, match="docker context 'colima'.*does not exist.*docker context use default"):
        get_client(timeout=1)


def test_setup_starts_no_engine_of_its_own_when_a_context_names_one(colima, monkeypatch):
    monkeypatch.setattr(setup_engine.platform, "system", lambda: "Linux")
    assert not setup_engine.can_start_own_engine()
    assert f"the docker context colima ({NOWHERE}) does not answer" in setup_engine.how_to_get_an_engine()
