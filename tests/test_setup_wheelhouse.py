"""setup.wheelhouse gathers every sample service's pins and knows when it is stale."""
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
