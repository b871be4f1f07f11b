"""One CPU architecture under each name the workshop needs it by.

The engine reports `x86_64` or `aarch64` (some engines `amd64` or `arm64`); wheel tags, ECS, Lambda,
`docker build --platform` and Debian each spell the same CPU their own way. `cpu(name)` accepts any of them.
"""
from dataclasses import dataclass


class UnknownArchitecture(ValueError):
    """A CPU the workshop has no images, wheels or AWS names for."""


@dataclass(frozen=True)
class Cpu:
    machine: str     # as `uname -m` and the engine's info() say: x86_64, aarch64
    wheel: str       # the suffix of manylinux wheel platform tags: manylinux_2_28_<wheel>
    ecs: str         # ECS runtimePlatform.cpuArchitecture
    aws_lambda: str  # Lambda's Architectures
    platform: str    # `docker build --platform`
    debian: str      # dpkg's and debootstrap's architecture


X86_64 = Cpu(machine="x86_64", wheel="x86_64", ecs="X86_64", aws_lambda="x86_64", platform="linux/amd64",
             debian="amd64")
ARM64 = Cpu(machine="aarch64", wheel="aarch64", ecs="ARM64", aws_lambda="arm64", platform="linux/arm64",
            debian="arm64")
SUPPORTED = (X86_64, ARM64)
_BY_NAME = {name.lower(): cpu for cpu in SUPPORTED
            for name in (cpu.machine, cpu.wheel, cpu.ecs, cpu.aws_lambda, cpu.platform, cpu.debian)}


def cpu(name: str) -> Cpu:
    """The CPU called `name` by the engine, uname, dpkg, ECS, Lambda or a docker platform."""
    found = _BY_NAME.get((name or "").strip().lower())
    if found is None:
        raise UnknownArchitecture(
            f"the CPU architecture {name!r} is not one the workshop supports: it runs on x86_64 (amd64) and "
            "aarch64 (arm64) Docker engines only; use an engine on one of those")
    return found
