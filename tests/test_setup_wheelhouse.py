"""setup.wheelhouse gathers every sample service's pins, for the engine's CPU, and knows when it is stale."""
import pytest

from localcloud import engine
from localcloud.cpu import ARM64, UnknownArchitecture
from setup import wheelhouse


def test_requirements_are_gathered_sorted_and_deduplicated(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a/requirements.txt").write_text("uvicorn==0.54.0\nfastapi==0.165.0  # web\n\n")
    (tmp_path / "b/requirements.txt").write_text("# comment\nfastapi==0.165.0\n")
    assert wheelhouse.requirement_lines(tmp_path) == ["fastapi==0.165.0", "uvicorn==0.54.0"]


def test_the_fingerprint_changes_with_requirements_and_cpu():
    base = wheelhouse.fingerprint(["fastapi==0.165.0"], "x86_64")
    assert base == wheelhouse.fingerprint(["fastapi==0.165.0"], "x86_64")
    assert base != wheelhouse.fingerprint(["fastapi==0.166.0"], "x86_64")
    assert base != wheelhouse.fingerprint(["fastapi==0.165.0"], "aarch64")


def test_the_sample_services_pin_every_requirement():
    for line in wheelhouse.requirement_lines():
        assert "==" in line, f"{line!r}: pin it, so the offline wheelhouse and the image agree"


def test_the_wheels_are_for_the_engines_cpu(monkeypatch):
    monkeypatch.setattr(engine, "architecture", lambda engine=None: ARM64)
    assert wheelhouse.cpu_of_engine() == "aarch64"


def test_an_engine_of_an_unsupported_cpu_stops_the_setup_with_the_reason(monkeypatch):
    def unsupported(engine=None):
        raise UnknownArchitecture("the CPU architecture 'armv7l' is not one the workshop supports")

    monkeypatch.setattr(engine, "architecture", unsupported)
    with pytest.raises(wheelhouse.SetupError, match="'armv7l' is not one the workshop supports"):
        wheelhouse.cpu_of_engine()
