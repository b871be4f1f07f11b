"""Make the base images present: pull the official ones, or build labelled local stand-ins from Debian packages.

`python -m setup.base_images` — skips images already present. Set WORKSHOP_OFFLINE=1 to skip the pull attempt.

A stand-in starts from a trimmed Debian trixie root filesystem (debootstrap → `docker import`), so it behaves
like the official image for what the workshop uses: `python` and `pip` on PATH, pip allowed to install, `useradd`.
The Lambda base image's stand-in is the python one plus the official runtime interface client (`awslambdaric`,
from the wheelhouse) and the official image's layout: LAMBDA_TASK_ROOT=/var/task, an entrypoint that runs the
handler named by CMD.
"""
import contextlib
import datetime
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

from localcloud import engine as docker_engine
from localcloud.cpu import UnknownArchitecture
from setup._console import SetupError, done, fail, step
from setup.wheelhouse import ensure_wheelhouse, pinned_lines
from workshop.paths import BUILD, SETUP, WHEELHOUSE
from workshop.settings import LAMBDA_PYTHON_BASE_IMAGE, PYTHON_BASE_IMAGE, REGISTRY_IMAGE, STANDIN_LABEL

DEBIAN_SUITE = "trixie"
DEBIAN_MIRROR = os.environ.get("WORKSHOP_DEBIAN_MIRROR", "http://deb.debian.org/debian")
ROOTFS_IMAGE = f"workshop-standin/debian-{DEBIAN_SUITE}:python3"
ROOTFS_PACKAGES = "python3,python3-pip,python3-venv,python-is-python3,ca-certificates"
WHEELHOUSE_LABEL = f"{STANDIN_LABEL}.wheelhouse"
LAMBDA_CONTEXT = SETUP / "images/lambda-python"
RECIPE_LABEL = f"{STANDIN_LABEL}.recipe"  # what the Lambda stand-in was built from; a change rebuilds it
MIN_FREE_GB = 2
# Trimmed like the official slim images: no docs, man pages, locales, package lists or caches.
TRIM_PATHS = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
              "var/lib/apt/lists", "var/cache/apt", "var/cache/debconf/templates.dat-old", "var/log")
LOGS = BUILD / "logs"


def image_labels(client: docker.DockerClient, name: str) -> dict | None:
    """The image's labels ({} when it has none), or None when the image is absent."""
    try:
        return client.images.get(name).labels or {}
    except docker.errors.ImageNotFound:
        return None


def try_pull(client: docker.DockerClient, name: str) -> bool:
    if os.environ.get("WORKSHOP_OFFLINE") == "1":
        return False
    step(f"pulling {name}")
    try:
        client.images.pull(name)
        return True
    except docker.errors.APIError as error:
        print(f"  cannot pull {name} ({str(error.explanation or error).splitlines()[0][:120]}); "
              "building a local stand-in instead", flush=True)
        return False


def check_disk(client: docker.DockerClient, path: Path) -> None:
    docker_root = client.info().get("DockerRootDir", "/var/lib/docker")
    for where in (path, Path(docker_root)):
        probe = where if where.exists() else Path("/")
        free_gb = shutil.disk_usage(probe).free / 1e9
        if free_gb < MIN_FREE_GB:
            raise SetupError(f"only {free_gb:.1f} GB free on {probe}; building the base images needs {MIN_FREE_GB} GB: "
                             "free some space (e.g. `docker system prune`) and run this again")


def require_debootstrap() -> None:
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        raise SetupError("the base images cannot be pulled, and building stand-ins needs root on Debian/Ubuntu: "
                         f"connect to the internet once and run `docker pull {PYTHON_BASE_IMAGE}` and "
                         f"`docker pull {REGISTRY_IMAGE}`")
    if shutil.which("debootstrap"):
        return
    step("installing debootstrap")
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "debootstrap"],
                            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), capture_output=True, text=True)
    if result.returncode != 0:
        raise SetupError(f"could not install debootstrap: {result.stderr.strip().splitlines()[-1:]}")


def require_engine_cpu(client: docker.DockerClient) -> None:
    """debootstrap builds for this machine's CPU: a stand-in for an engine with another CPU would not run there."""
    try:
        wanted = docker_engine.architecture(client)
    except UnknownArchitecture as error:
        raise SetupError(str(error)) from None
    here = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    if here != wanted.debian:
        raise SetupError(
            f"the Docker engine runs {wanted.debian} images but this machine is {here or 'of another architecture'}, "
            f"so stand-ins built here would not run there: pull the official images on that engine "
            f"(`docker pull {PYTHON_BASE_IMAGE}`, `docker pull {REGISTRY_IMAGE}`), or run the setup on its machine")


def run_logged(command: list[str], log_name: str) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / log_name
    with log.open("w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-8:])
        raise SetupError(f"`{' '.join(command[:3])} …` failed (full log: {log}):\n{tail}")


def trim(rootfs: Path) -> None:
    for relative in TRIM_PATHS:
        target = rootfs / relative
        if target.is_dir():
            shutil.rmtree(target)
            target.mkdir()
    for cache in rootfs.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    # Debian marks its Python as system-managed (PEP 668); the official image lets pip install, so must we.
    for marker in rootfs.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    # Later `apt-get install`s in the stand-in stay slim, as in the official images.
    (rootfs / "etc/dpkg/dpkg.cfg.d/01-slim").write_text(
        "path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n")


def build_rootfs_image(client: docker.DockerClient, name: str = ROOTFS_IMAGE) -> float:
    """debootstrap → trim → `docker import`. Returns the seconds it took."""
    started = time.monotonic()
    require_debootstrap()
    require_engine_cpu(client)
    BUILD.mkdir(exist_ok=True)
    check_disk(client, BUILD)
    workdir = Path(tempfile.mkdtemp(prefix="rootfs-", dir=BUILD))
    try:
        rootfs = workdir / "rootfs"
        step(f"debootstrap Debian {DEBIAN_SUITE} with {ROOTFS_PACKAGES} (about a minute)")
        run_logged(["debootstrap", "--variant=minbase", f"--include={ROOTFS_PACKAGES}", DEBIAN_SUITE,
                    str(rootfs), DEBIAN_MIRROR], "debootstrap.log")
        trim(rootfs)
        python_version = subprocess.run(["chroot", str(rootfs), "python3", "-c",
                                         "import platform; print(platform.python_version())"],
                                        capture_output=True, text=True).stdout.strip()
        tarball = workdir / "rootfs.tar"
        run_logged(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], "rootfs-tar.log")
        step(f"importing the root filesystem as {name}")
        built_from = f"Debian {DEBIAN_SUITE} packages via debootstrap (python3 {python_version}) from {DEBIAN_MIRROR}"
        repository, tag = name.rsplit(":", 1)
        client.api.import_image(src=str(tarball), repository=repository, tag=tag, changes=[
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            f"ENV PYTHON_VERSION={python_version}",
            'CMD ["bash"]',
            f'LABEL {STANDIN_LABEL}="{built_from}"',
        ])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return time.monotonic() - started


def build_from_rootfs(client: docker.DockerClient, name: str, context: Path, labels: dict[str, str],
                      rootfs: str = ROOTFS_IMAGE, nocache: bool = False) -> None:
    step(f"building the stand-in {name}")
    try:
        client.images.build(path=str(context), tag=name, buildargs={"ROOTFS": rootfs}, labels=labels,
                            rm=True, forcerm=True, nocache=nocache)
    except docker.errors.BuildError as error:
        lines = [entry.get("stream", entry.get("error", "")).rstrip() for entry in error.build_log]
        tail = "\n".join(line for line in lines if line)[-1500:]
        raise SetupError(f"building {name} failed:\n{tail}") from None


def standin_description(client: docker.DockerClient, official: str) -> str:
    built_from = client.images.get(ROOTFS_IMAGE).labels.get(STANDIN_LABEL, "Debian packages")
    date = datetime.date.today().isoformat()
    return f"local stand-in for {official}, built {date} from {built_from}"


def ensure_rootfs(client: docker.DockerClient) -> None:
    if image_labels(client, ROOTFS_IMAGE) is None:
        seconds = build_rootfs_image(client)
        done(f"root filesystem image {ROOTFS_IMAGE} built in {seconds:.0f} s")


@contextlib.contextmanager
def python_standin_context():
    """A build context holding the stand-in's Dockerfile and the wheelhouse."""
    with tempfile.TemporaryDirectory(prefix="python-standin-", dir=BUILD) as context:
        shutil.copy(SETUP / "images/python/Dockerfile", context)
        shutil.copytree(WHEELHOUSE, Path(context) / "wheelhouse", ignore=shutil.ignore_patterns(".*"))
        yield Path(context)


def ensure_python_image(client: docker.DockerClient, wheelhouse_fingerprint: str) -> None:
    labels = image_labels(client, PYTHON_BASE_IMAGE)
    if labels is not None and STANDIN_LABEL not in labels:
        done(f"{PYTHON_BASE_IMAGE} present (official image)")
        return
    if labels is not None and labels.get(WHEELHOUSE_LABEL) == wheelhouse_fingerprint:
        done(f"{PYTHON_BASE_IMAGE} present ({labels[STANDIN_LABEL]})")
        return
    if labels is None and try_pull(client, PYTHON_BASE_IMAGE):
        done(f"{PYTHON_BASE_IMAGE} pulled")
        return
    ensure_rootfs(client)
    with python_standin_context() as context:
        build_from_rootfs(client, PYTHON_BASE_IMAGE, context, {
            STANDIN_LABEL: standin_description(client, PYTHON_BASE_IMAGE),
            WHEELHOUSE_LABEL: wheelhouse_fingerprint,
        })
    done(f"{PYTHON_BASE_IMAGE} built as a local stand-in")


def ensure_registry_image(client: docker.DockerClient) -> None:
    labels = image_labels(client, REGISTRY_IMAGE)
    if labels is not None:
        done(f"{REGISTRY_IMAGE} present ({labels.get(STANDIN_LABEL, 'official image')})")
        return
    if try_pull(client, REGISTRY_IMAGE):
        done(f"{REGISTRY_IMAGE} pulled")
        return
    ensure_rootfs(client)
    build_from_rootfs(client, REGISTRY_IMAGE, SETUP / "images/registry",
                      {STANDIN_LABEL: standin_description(client, REGISTRY_IMAGE)})
    done(f"{REGISTRY_IMAGE} built as a local stand-in")


def lambda_recipe() -> str:
    """A fingerprint of the Lambda stand-in's Dockerfile, entrypoint and pins, on top of the python image's id."""
    digest = hashlib.sha256()
    for path in sorted(LAMBDA_CONTEXT.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def lambda_standin_context():
    """The stand-in's recipe plus just the wheels its pins need (the python image may be the official one)."""
    with tempfile.TemporaryDirectory(prefix="lambda-standin-", dir=BUILD) as context:
        shutil.copytree(LAMBDA_CONTEXT, context, dirs_exist_ok=True)
        shutil.copytree(WHEELHOUSE, Path(context) / "wheelhouse", ignore=shutil.ignore_patterns(".*"))
        yield Path(context)


def ensure_lambda_image(client: docker.DockerClient) -> None:
    labels = image_labels(client, LAMBDA_PYTHON_BASE_IMAGE)
    recipe = f"{lambda_recipe()} on {client.images.get(PYTHON_BASE_IMAGE).id}"
    if labels is not None and STANDIN_LABEL not in labels:
        done(f"{LAMBDA_PYTHON_BASE_IMAGE} present (official image)")
        return
    if labels is not None and labels.get(RECIPE_LABEL) == recipe:
        done(f"{LAMBDA_PYTHON_BASE_IMAGE} present ({labels[STANDIN_LABEL]})")
        return
    if labels is None and try_pull(client, LAMBDA_PYTHON_BASE_IMAGE):
        done(f"{LAMBDA_PYTHON_BASE_IMAGE} pulled")
        return
    runtime = ", ".join(pinned_lines([LAMBDA_CONTEXT / "requirements.txt"]))
    with lambda_standin_context() as context:
        build_from_rootfs(client, LAMBDA_PYTHON_BASE_IMAGE, context, rootfs=PYTHON_BASE_IMAGE, labels={
            STANDIN_LABEL: f"local stand-in for {LAMBDA_PYTHON_BASE_IMAGE}, built {datetime.date.today().isoformat()} "
                           f"on {PYTHON_BASE_IMAGE} with {runtime}",
            RECIPE_LABEL: recipe})
    done(f"{LAMBDA_PYTHON_BASE_IMAGE} built as a local stand-in")


def image_ids(client: docker.DockerClient | None, names) -> dict[str, str | None]:
    """Each image's id, or None where the engine (or the engine itself) is absent."""
    ids = {}
    for name in names:
        try:
            ids[name] = client.images.get(name).id if client else None
        except docker.errors.ImageNotFound:
            ids[name] = None
    return ids


def images_to_copy(source_ids: dict, target_ids: dict) -> list[str]:
    """What the source engine has and the target lacks or holds under another id (same id: same image)."""
    return [name for name, image_id in source_ids.items() if image_id and target_ids.get(name) != image_id]


def docker_cli(host: str | None) -> list[str]:
    return ["docker", "-H", host] if host else ["docker"]


def copy_images(names: list[str], target_host: str, source_host: str | None = None) -> float:
    """`docker save | docker load` from one engine into another (shared layers travel once). Returns the seconds."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as save_errors:
        save = subprocess.Popen([*docker_cli(source_host), "save", *names], stdout=subprocess.PIPE, stderr=save_errors)
        load = subprocess.run([*docker_cli(target_host), "load", "--quiet"], stdin=save.stdout,
                              capture_output=True, text=True)
        save.stdout.close()
        save.wait()
        save_errors.seek(0)
        errors = "\n".join(filter(None, (save_errors.read().decode(errors="replace").strip(), load.stderr.strip())))
    if save.returncode or load.returncode:
        raise SetupError(f"copying {', '.join(names)} into {target_host} failed: {errors[-800:]}")
    return time.monotonic() - started


def ensure_base_images(client: docker.DockerClient | None = None) -> None:
    client = client or docker_engine.client()
    ensure_python_image(client, ensure_wheelhouse())
    ensure_registry_image(client)
    ensure_lambda_image(client)


def main() -> int:
    try:
        ensure_base_images()
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
