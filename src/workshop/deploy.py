"""What modules 04 onwards share to get the bookshop's services into ECR: names, the CPU to build for, login, push.

Module 04 shows every step once for one service; `build_and_push` is the same steps for the others, and what
`catch_up` uses to build a later module's starting point.
"""
import base64

from docker import errors as docker_errors

from localcloud import engine
from localcloud.cpu import SUPPORTED, Cpu, UnknownArchitecture, cpu
from workshop.docker_client import WorkshopError, get_client
from workshop.images import BuildDisplay, build_image
from workshop.paths import SAMPLE_SERVICES
from workshop.push import PushResult, QuietPushDisplay, push_image

SERVICES = ("monolith", "users", "catalog", "orders")
IMAGE_TAG = "1.0"
# The `docker build --platform` for each ECS cpuArchitecture: notebooks build for PLATFORMS[cpu_architecture()].
PLATFORMS = {cpu.ecs: cpu.platform for cpu in SUPPORTED}


def service_dir(service: str):
    return SAMPLE_SERVICES / service


def repository_name(session, service: str) -> str:
    return f"{session.prefix}/{service}"


def local_tag(service: str, tag: str = IMAGE_TAG) -> str:
    return f"workshop/{service}:{tag}"


def engine_cpu(client=None) -> Cpu:
    """The CPU of the engine that builds, by every name: images are built for it, and task definitions and
    functions declare it, so Fargate and Lambda run what was built."""
    try:
        return engine.architecture(client or get_client())
    except UnknownArchitecture as error:
        raise WorkshopError(str(error)) from None


def image_cpu(image: str, client=None) -> Cpu:
    """The CPU an image was built for, read from the engine's copy of it (what Lambda's Architectures and ECS's
    cpuArchitecture must say); the engine's CPU when the engine has no copy (it was pushed from elsewhere)."""
    client = client or get_client()
    try:
        return cpu(client.images.get(image).attrs.get("Architecture", ""))
    except (docker_errors.ImageNotFound, UnknownArchitecture):
        return engine_cpu(client)


def cpu_architecture(client=None) -> str:
    """The engine's CPU as ECS's runtimePlatform names it (X86_64, ARM64)."""
    return engine_cpu(client).ecs


def ecr_login(ecr, client=None) -> dict:
    """Log the engine in to the account's registry with a 12-hour ECR token; returns the push credentials.
    `reauth=True`: otherwise the SDK answers with credentials a CLI `docker login` stored (an older token) and
    never asks the registry."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    username, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    (client or get_client()).login(username=username, password=password, registry=data["proxyEndpoint"], reauth=True)
    return {"username": username, "password": password}


def ensure_repository(ecr, session, service: str) -> dict:
    """The service's repository, created (scan on push, immutable tags, tagged) unless it exists."""
    name = repository_name(session, service)
    try:
        return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        return ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE",
                                     imageScanningConfiguration={"scanOnPush": True}, tags=session.tags)["repository"]


def pushed_digest(ecr, session, service: str, tag: str) -> str | None:
    try:
        details = ecr.describe_images(repositoryName=repository_name(session, service),
                                      imageIds=[{"imageTag": tag}])["imageDetails"]
    except (ecr.exceptions.ImageNotFoundException, ecr.exceptions.RepositoryNotFoundException):
        return None
    return details[0]["imageDigest"] if details else None


def build_and_push(session, service: str, tag: str = IMAGE_TAG, *, path=None, quiet: bool = False) -> PushResult | str:
    """Build the service for the engine's CPU and push it as `tag`; an already pushed tag is left as it is
    (tags are immutable) and its digest returned. `quiet` prints only the push's start and result."""
    ecr, client = session.client("ecr"), get_client()
    repository = ensure_repository(ecr, session, service)
    existing = pushed_digest(ecr, session, service, tag)
    if existing:
        return existing
    build = build_image(path or service_dir(service), local_tag(service, tag),
                        platform=engine_cpu(client).platform,
                        display=BuildDisplay() if quiet else None)
    build.image.tag(repository["repositoryUri"], tag)
    return push_image(client, repository["repositoryUri"], tag, ecr_login(ecr, client),
                      display=QuietPushDisplay() if quiet else None)
