"""pyproject.toml and environment.yml must pin the same packages to the same versions."""
import re
import tomllib

import yaml

from workshop.paths import REPO_ROOT

# conda-forge names that differ from PyPI's.
CONDA_TO_PYPI = {"docker-py": "docker"}
NOT_PACKAGES = {"python", "pip"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = {}
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert version, f"pyproject.toml: {requirement!r} is not pinned with =="
        pins[normalise(name.split("[")[0])] = version
    return pins


def environment_pins() -> dict[str, str]:
    environment = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pins = {}
    for entry in environment["dependencies"]:
        if not isinstance(entry, str):
            continue  # the pip: section installs the project itself
        name, _, version = entry.partition("=")
        name = CONDA_TO_PYPI.get(name, name)
        if name in NOT_PACKAGES:
            continue
        assert version, f"environment.yml: {entry!r} is not pinned"
        pins[normalise(name)] = version
    return pins


def test_environment_yml_pins_what_pyproject_pins():
    assert environment_pins() == pyproject_pins()


def test_python_versions_agree():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    minimum = project["requires-python"].removeprefix(">=")
    environment = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    assert f"python={minimum}" in environment["dependencies"]
