"""What the ECR tests and benchmark share: a cloud with the ECR plane, tiny images, the docker CLI with its own config."""
import base64
import contextlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import uuid
from pathlib import Path

import boto3
import docker
import httpx

import localcloud
from localcloud import engine as docker_engine
from localcloud.config import Config
from localcloud.ecr import EcrPlane

IMAGE_LABEL = "localcloud.test-image"
AWS_CLI = str(Path(sys.executable).parent / "aws")  # installed next to this Python
MANIFEST_TYPES = ", ".join(["application/vnd.docker.distribution.manifest.v2+json",
                            "application/vnd.oci.image.manifest.v1+json"])


@contextlib.contextmanager
def ecr_cloud():
    with localcloud.running(Config(port=0, instance=f"t-ecr-{uuid.uuid4().hex[:8]}"),
                            data_planes=[EcrPlane()]) as cloud:
        yield cloud


def ecr_client(cloud):
    return boto3.client("ecr", endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def build_image(engine: docker.DockerClient, tag: str, content: str | None = None, base: str = "scratch") -> str:
    """A small image (one file layer) that pushes in a blink; labelled so the tests remove it."""
    content = content if content is not None else uuid.uuid4().hex
    dockerfile = f"FROM {base}\nLABEL {IMAGE_LABEL}=ecr\nCOPY stamp.txt /stamp.txt\n"
    archive_bytes = io.BytesIO()
    with tarfile.open(fileobj=archive_bytes, mode="w") as archive:
        for name, text in (("Dockerfile", dockerfile), ("stamp.txt", content)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    archive_bytes.seek(0)
    image, _ = engine.images.build(fileobj=archive_bytes, custom_context=True, tag=tag, rm=True, forcerm=True)
    return image.id


def remove_test_images(engine: docker.DockerClient) -> None:
    for image in engine.images.list(filters={"label": f"{IMAGE_LABEL}=ecr"}):
        with contextlib.suppress(docker.errors.APIError):
            engine.images.remove(image.id, force=True)


def login_password(cloud) -> tuple[str, str, str]:
    """(user, password, proxyEndpoint) as a learner gets them from get_authorization_token."""
    data = ecr_client(cloud).get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return user, password, data["proxyEndpoint"]


def docker_cli(config_dir, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The docker CLI with its own config directory: the machine's logins stay untouched."""
    # Its engine named outright: in the new config directory the CLI would not find the machine's docker context.
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **docker_engine.environment(), DOCKER_CONFIG=str(config_dir)))


def aws_cli(cloud, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The AWS CLI with nothing but the local cloud's client environment."""
    env = {"PATH": os.environ["PATH"], "HOME": tempfile.gettempdir(), **cloud.config.client_environment()}
    return subprocess.run([AWS_CLI, *args], input=stdin, capture_output=True, text=True, timeout=60, env=env)


def registry_get(cloud, path: str, auth: bool = True) -> httpx.Response:
    """A registry API GET through the front, with ECR's credentials."""
    plane = cloud.part("ecr")
    credentials = ("AWS", plane.credentials.password) if auth else None
    return httpx.get(f"{plane.proxy_endpoint}{path}", auth=credentials, headers={"Accept": MANIFEST_TYPES},
                     timeout=10)


def pushed_digest(output: str) -> str:
    """The digest `docker push` prints: `<tag>: digest: sha256:… size: …`."""
    return next(line.split("digest: ")[1].split()[0] for line in output.splitlines() if "digest: " in line)
