"""An Image function runs on the architecture it names (`Architectures`, x86_64 unless set), whatever its image was
built for. Lambda accepts the function either way; an image built for the other architecture fails at each invoke,
when its entrypoint cannot be executed: `Runtime.InvalidEntrypoint`, "exec format error"
(https://docs.aws.amazon.com/lambda/latest/dg/images-create.html, "the image must target only one of the
architectures"; https://repost.aws/knowledge-center/lambda-docker-image-error).

Locally an image runs on the engine it was built on, whatever the function names, so the mismatch is played here: an
invoke answers as AWS's does, and the function's log group gets AWS's launch error lines.
"""
import dataclasses
import json
import logging
import threading
import uuid

import httpx

from localcloud.awslambda.invocation import Invocation
from localcloud.awslambda.local_function import local_image, split_image_uri
from localcloud.awslambda.logs import EnvironmentLog, report_line

log = logging.getLogger(__name__)

# An image config's `architecture` (OCI names) → Lambda's.
LAMBDA_ARCHITECTURE = {"amd64": "x86_64", "arm64": "arm64"}


@dataclasses.dataclass(frozen=True)
class ImagePlatform:
    architecture: str  # as the image config names it (amd64, arm64…)
    entry_point: list[str]
    command: list[str]
    working_directory: str


_platforms: dict[str, ImagePlatform] = {}  # by image digest: an image's config never changes
_platforms_lock = threading.Lock()


def launch_failure(plane, fn) -> Invocation | None:
    """AWS's answer to an invoke of an Image function whose image is for another architecture, or None."""
    if (fn.package_type or "Zip") != "Image":
        return None
    platform = image_platform(plane, fn.code.get("ImageUri") or "", fn.code_sha_256 or "")
    wanted = (fn.architectures or ["x86_64"])[0]
    if platform is None or not platform.architecture or LAMBDA_ARCHITECTURE.get(platform.architecture) == wanted:
        return None
    return _exec_format_error(plane.cloud, fn, platform)


def image_platform(plane, image_uri: str, digest: str) -> ImagePlatform | None:
    """The pushed image's platform, read from its config in the local registry; None if it is not there."""
    with _platforms_lock:
        if digest in _platforms:
            return _platforms[digest]
    platform = _read_platform(plane, image_uri, digest)
    if platform is not None:
        with _platforms_lock:
            _platforms[digest] = platform
    return platform


def _read_platform(plane, image_uri: str, digest: str) -> ImagePlatform | None:
    ecr = plane.cloud.part("ecr")
    found = split_image_uri(image_uri)
    if ecr is None or found is None or not digest:
        return None
    image = local_image(plane, f"{found[0]}@sha256:{digest}")
    if image is None:
        return None
    config_digest = json.loads(image.image_manifest).get("config", {}).get("digest")
    if not config_digest:
        return None  # an image index: several platforms, which Lambda does not take
    try:
        response = httpx.get(f"{ecr.registry_url}/v2/{image.repository_name}/blobs/{config_digest}", timeout=10,
                             follow_redirects=True)
        response.raise_for_status()
        config = response.json()
    except (httpx.HTTPError, ValueError) as error:
        log.warning("could not read the config of %s: %s", image_uri, error)
        return None
    settings = config.get("config") or {}
    return ImagePlatform(config.get("architecture") or "", list(settings.get("Entrypoint") or []),
                         list(settings.get("Cmd") or []), settings.get("WorkingDir") or "")


def _exec_format_error(cloud, fn, platform: ImagePlatform) -> Invocation:
    image_config = fn.image_config
    entry_point = list(image_config.entry_point or platform.entry_point)
    command = list(image_config.cmd or platform.command)
    working_directory = image_config.working_directory or platform.working_directory
    request_id = str(uuid.uuid4())
    executable = entry_point[0] if entry_point else (command[0] if command else "")
    failure = f"fork/exec {executable}: exec format error"
    version = str(fn.version)
    environment = EnvironmentLog(cloud.backend("logs"), fn.function_name, version)
    environment.init_line(f"INIT_REPORT Init Duration: 0.00 ms\tPhase: init\tStatus: error\t"
                          f"Error Type: Runtime.InvalidEntrypoint")
    environment.init_line(f"IMAGE\tLaunch error: {failure}\tEntrypoint: [{' '.join(entry_point)}]\t"
                          f"Cmd: [{' '.join(command)}]\tWorkingDir: [{working_directory}]")
    entry = environment.begin(request_id, version)
    entry.closing = lambda: [f"END RequestId: {request_id}",
                             report_line(request_id, 0.0, int(fn.memory_size or 128), None, None,
                                         status="error\tError Type: Runtime.InvalidEntrypoint")]
    environment.flush(entry)
    payload = json.dumps({"errorType": "Runtime.InvalidEntrypoint",
                          "errorMessage": f"RequestId: {request_id} Error: {failure}"}).encode()
    return Invocation(status_code=200, payload=payload, function_error="Unhandled", log_tail=entry.tail(),
                      executed_version=version, request_id=request_id)
