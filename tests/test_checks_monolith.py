"""Module 01's check of the second copy: what Docker and each copy's /health say, with fake containers."""
from types import SimpleNamespace

import pytest

from workshop.checks import ExerciseIncomplete
from workshop.checks import monolith
from workshop.checks.monolith import check_second_copy

RELEASE, OLD = SimpleNamespace(id="sha256:11", tags=["workshop/monolith:1.1"]), SimpleNamespace(id="sha256:10", tags=["workshop/monolith:1.0"])


class Container:
    def __init__(self, name, port, image, version, status="running"):
        self.name, self.id, self.image, self.status, self.version = name, f"id-{name}", image, status, version
        self.attrs = {"NetworkSettings": {"Ports": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}}}

    def reload(self):
        pass


@pytest.fixture
def first(monkeypatch):
    containers = {}
    monkeypatch.setattr(monolith, "version_at", lambda port: containers[port].version)
    first = Container("workshop-monolith", 18080, RELEASE, "1.1")
    containers[18080] = first
    first.add = lambda container: containers.__setitem__(int(container.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostPort"]), container)
    return first


def test_a_copy_of_the_release_passes(first, capsys):
    second = Container("workshop-monolith-2", 32768, RELEASE, "1.1")
    first.add(second)

    check_second_copy(second, first)

    assert capsys.readouterr().out.startswith("✔ workshop-monolith-2 serves version 1.1 on 127.0.0.1:32768")


def test_a_copy_of_the_old_image_is_named(first):
    second = Container("workshop-monolith-2", 32768, OLD, "1.0")
    first.add(second)

    with pytest.raises(ExerciseIncomplete, match=r"serves version 1.0 \(image 10\), the shop 1.1 \(image 11\)"):
        check_second_copy(second, first)


def test_the_placeholder_the_first_copy_and_a_stopped_copy_are_named(first):
    with pytest.raises(ExerciseIncomplete, match="`second_monolith` is still `...`"):
        check_second_copy(..., first)
    with pytest.raises(ExerciseIncomplete, match="is the first copy"):
        check_second_copy(first, first)
    with pytest.raises(ExerciseIncomplete, match="is exited"):
        check_second_copy(Container("workshop-monolith-2", 1, RELEASE, "1.1", status="exited"), first)
    with pytest.raises(ExerciseIncomplete, match="must be the container run_service returned; got int"):
        check_second_copy(32768, first)
