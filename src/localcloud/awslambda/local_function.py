"""LocalFunction: moto's function model, for the functions this cloud's CreateFunction creates, with what moto lacks.

moto's versions are copies of the function (`copy.copy`), so a published version is a LocalFunction too.
"""
import re

from moto.awslambda.models import LambdaFunction, lambda_backends

from localcloud.attached_planes import AttachedPlanes
from localcloud.awslambda.invoke_api import invoke_answer

# The running Lambda planes; a function finds the one that owns its backend (moto's state is per process).
planes = AttachedPlanes()

IMAGE_REFERENCE = re.compile(r"(?P<repository>[^:@]+(?::\d+/[^:@]+)?)(?::(?P<tag>[^@]+))?"
                             r"(?:@(?P<digest>sha256:[0-9a-f]+))?")


def plane_of(fn):
    return planes.plane_for(lambda_backends[fn.account_id][fn.region])


def split_image_uri(image_uri: str) -> tuple[str, dict] | None:
    """`host:port/repo:tag` or `…/repo@sha256:…` → (repository path with its registry, ECR image id)."""
    match = IMAGE_REFERENCE.fullmatch(image_uri)
    if match is None:
        return None
    image_id = {"imageDigest": match["digest"]} if match["digest"] else {"imageTag": match["tag"] or "latest"}
    return match["repository"], image_id


def local_image(plane, image_uri: str):
    """The ECR image an ImageUri names on the local registry, or None (then moto's stub hash stays)."""
    ecr = plane.cloud.part("ecr") if plane else None
    if ecr is None or not image_uri.startswith(f"{ecr.registry_host}/"):
        return None
    found = split_image_uri(image_uri.removeprefix(f"{ecr.registry_host}/"))
    if found is None:
        return None
    repository, image_id = found
    try:
        images = plane.cloud.backend("ecr").batch_get_image(repository_name=repository, image_ids=[image_id])["images"]
    except Exception:  # no such repository or image: AWS refuses it, moto's stub accepts it, and so do we
        return None
    return images[0] if images else None


class LocalFunction(LambdaFunction):
    def _set_function_code(self, updated_spec: dict) -> None:
        # moto hashes the ImageUri string (or, validating, splits it on ":" and breaks on `host:port/repo:tag`);
        # AWS resolves it to the image's digest: CodeSha256 and ResolvedImageUri name the pushed image.
        super()._set_function_code(updated_spec)
        image_uri = updated_spec.get("ImageUri")
        if image_uri and not updated_spec.get("DryRun"):
            image = local_image(plane_of(self), image_uri)
            if image is not None:
                self.code_sha_256 = image.image_id["imageDigest"].removeprefix("sha256:")
                self.code_size = int(getattr(image, "image_size_in_bytes", 0) or 0)

    def get_code(self) -> dict:
        code = super().get_code()
        image_uri = (code.get("Code") or {}).get("ImageUri")
        if image_uri:  # moto cuts the URI at its first ":", the registry's port
            found = split_image_uri(image_uri)
            repository = found[0] if found else image_uri
            code["Code"]["ResolvedImageUri"] = f"{repository}@sha256:{self.code_sha_256}"
        if self.reserved_concurrency is not None:  # moto omits 0, a function that must not run
            code["Concurrency"] = {"ReservedConcurrentExecutions": int(self.reserved_concurrency)}
        return code

    def invoke(self, body, request_headers, response_headers):
        # moto's own invokes (SNS, event streams, InvokeAsync) would pull an image and start a container per call.
        plane = plane_of(self)
        if plane is None:
            return super().invoke(body, request_headers, response_headers)
        _, headers, payload = invoke_answer(plane, self, body, request_headers.get("x-amz-invocation-type"),
                                            request_headers.get("x-amz-log-type"))
        response_headers.update(headers)
        return payload
