"""Prepare, on the host, the wheels that the sample services' image builds (and the Lambda base image) install.

Containers cannot always reach PyPI (no network at a venue, or a TLS proxy only the host trusts). So the host
downloads the wheels once, for the base image's Python and the engine's CPU, and `setup.base_images` puts them
into the local `python:3.13-slim` stand-in, where pip finds them with no network.

`python -m setup.wheelhouse` — skips when the wheelhouse already matches the requirements.
"""
import hashlib
import subprocess
import sys
from pathlib import Path

from setup._console import SetupError, done, fail, step
from workshop.paths import SAMPLE_SERVICES, SETUP, WHEELHOUSE

IMAGE_PYTHON = "3.13"
STAMP = WHEELHOUSE / ".requirements.sha256"
MANYLINUX_TAGS = ("manylinux2014", "manylinux_2_17", "manylinux_2_28", "manylinux_2_34")
# What base images built on the host install besides the sample services' pins (the Lambda runtime client).
IMAGE_REQUIREMENTS = (SETUP / "images/lambda-python/requirements.txt",)


def requirement_lines(root: Path = SAMPLE_SERVICES) -> list[str]:
    """Every pinned requirement of every sample service, sorted and de-duplicated."""
    return pinned_lines(sorted(root.rglob("requirements.txt")))


def wheelhouse_requirements() -> list[str]:
    """What the wheelhouse holds: the sample services' pins and the base images' own."""
    return sorted(set(requirement_lines()) | set(pinned_lines(IMAGE_REQUIREMENTS)))


def pinned_lines(paths) -> list[str]:
    lines = set()
    for path in paths:
        for line in Path(path).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                lines.add(line)
    return sorted(lines)


def cpu_of_engine() -> str:
    """The engine's CPU as wheel tags name it (x86_64, aarch64)."""
    from localcloud import engine
    from localcloud.cpu import UnknownArchitecture

    try:
        return engine.architecture().wheel
    except UnknownArchitecture as error:
        raise SetupError(str(error)) from None


def fingerprint(requirements: list[str], cpu: str) -> str:
    return hashlib.sha256("\n".join([IMAGE_PYTHON, cpu, *requirements]).encode()).hexdigest()


def download(requirements: list[str], cpu: str, target: Path = WHEELHOUSE) -> None:
    target.mkdir(parents=True, exist_ok=True)
    platforms = [arg for tag in MANYLINUX_TAGS for arg in ("--platform", f"{tag}_{cpu}")]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
               "--python-version", IMAGE_PYTHON, "--implementation", "cp", *platforms, "-d", str(target),
               *requirements]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line] or result.stderr.splitlines()[-5:]
        raise SetupError("could not download the sample services' wheels from PyPI:\n" + "\n".join(errors)
                         + "\nCheck the network (the host needs PyPI once), then run `make lab` again.")


def ensure_wheelhouse() -> str:
    """Returns the fingerprint of the wheelhouse's content; images record it to know when they are stale."""
    requirements = wheelhouse_requirements()
    if not requirements:
        raise SetupError(f"no requirements.txt found under {SAMPLE_SERVICES}")
    cpu = cpu_of_engine()
    wanted = fingerprint(requirements, cpu)
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        done(f"wheelhouse up to date ({len(requirements)} requirements, {cpu})")
        return wanted
    step(f"downloading wheels for Python {IMAGE_PYTHON} on {cpu}: {', '.join(requirements)}")
    for old in WHEELHOUSE.glob("*.whl"):
        old.unlink()
    download(requirements, cpu)
    STAMP.write_text(wanted + "\n")
    done(f"wheelhouse ready: {len(list(WHEELHOUSE.glob('*.whl')))} wheels in {WHEELHOUSE.relative_to(WHEELHOUSE.parents[1])}")
    return wanted


def main() -> int:
    try:
        ensure_wheelhouse()
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
