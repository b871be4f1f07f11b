"""One CPU, every name: what the engine reports maps to wheel tags, ECS, Lambda, docker platforms and Debian."""
import pytest

from localcloud import engine
from localcloud.cpu import ARM64, X86_64, UnknownArchitecture, cpu


@pytest.mark.parametrize("reported", ["x86_64", "amd64", "X86_64", "linux/amd64"])
def test_the_names_of_x86_64(reported):
    found = cpu(reported)
    assert found is X86_64
    assert (found.machine, found.wheel, found.ecs, found.aws_lambda, found.platform, found.debian) == (
        "x86_64", "x86_64", "X86_64", "x86_64", "linux/amd64", "amd64")


@pytest.mark.parametrize("reported", ["aarch64", "arm64", "ARM64", "linux/arm64"])
def test_the_names_of_arm64(reported):
    found = cpu(reported)
    assert found is ARM64
    assert (found.machine, found.wheel, found.ecs, found.aws_lambda, found.platform, found.debian) == (
        "aarch64", "aarch64", "ARM64", "arm64", "linux/arm64", "arm64")


@pytest.mark.parametrize("reported", ["armv7l", "s390x", ""])
def test_an_unknown_cpu_is_a_clear_error(reported):
    with pytest.raises(UnknownArchitecture, match=f"{reported!r} is not one the workshop supports.*x86_64.*aarch64"):
        cpu(reported)


class Engine:
    """Just what `architecture()` asks of a docker client."""

    def __init__(self, info: dict):
        self._info = info

    def info(self) -> dict:
        return self._info


@pytest.mark.parametrize(("reported", "expected"), [("x86_64", X86_64), ("aarch64", ARM64), ("arm64", ARM64)])
def test_the_engines_architecture_comes_from_its_info(reported, expected):
    assert engine.architecture(Engine({"Architecture": reported})) is expected


def test_an_engine_that_does_not_say_its_cpu_is_not_taken_for_x86_64():
    with pytest.raises(UnknownArchitecture, match="''"):
        engine.architecture(Engine({}))
