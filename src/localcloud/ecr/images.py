"""What a push means to ECR, over moto's backend: which tags may be written, and the pushed image recorded."""
import fnmatch
import json
import threading

from moto.ecr.models import Image, RepoTagMutability

from localcloud.ecr import errors

# moto's image lists change from the front's thread and from API calls; one lock keeps each change whole.
images_lock = threading.RLock()

IMMUTABLE_SETTINGS = (RepoTagMutability.IMMUTABLE, RepoTagMutability.IMMUTABLE_WITH_EXCLUSION)


class PushedImage(Image):
    """An image the registry holds; its size is ECR's (config plus layers), where moto counts the config alone."""
    size_in_bytes: int | None = None

    def get_image_size_in_bytes(self) -> int | None:
        return self.size_in_bytes if self.size_in_bytes is not None else super().get_image_size_in_bytes()


def is_digest(reference: str) -> bool:
    return ":" in reference  # tags cannot hold a colon; digests are `algorithm:hex`


def require_repository(backend, name: str):
    repository = backend.repositories.get(name)
    if repository is None:
        raise errors.name_unknown(name, backend.account_id)
    return repository


def tag_is_immutable(repository, tag: str) -> bool:
    """IMMUTABLE, unless an exclusion filter matches; MUTABLE, unless one matches (filters use `*` wildcards)."""
    patterns = [entry["filter"] for entry in repository.image_tag_mutability_exclusion_filters or []]
    excluded = any(fnmatch.fnmatchcase(tag, pattern) for pattern in patterns)
    return (repository.image_tag_mutability in IMMUTABLE_SETTINGS) != excluded


def require_writable_tag(repository, tag: str, digest: str) -> None:
    """An immutable tag may be pushed again only with the image it already names."""
    if not tag_is_immutable(repository, tag):
        return
    with images_lock:
        if any(tag in image.image_tags and image.get_image_digest() != digest for image in repository.images):
            raise errors.tag_invalid(tag, repository.name)


def tagged_digest(repository, tag: str) -> str | None:
    with images_lock:
        return next((image.get_image_digest() for image in repository.images if tag in image.image_tags), None)


def tags_of(repository) -> list[str]:
    with images_lock:
        return sorted(tag for image in repository.images for tag in image.image_tags)


def image_size(manifest: dict, repository) -> int:
    """ECR's imageSizeInBytes: config plus layers; for an index, the images it lists."""
    if "layers" in manifest:
        return manifest.get("config", {}).get("size", 0) + sum(layer.get("size", 0) for layer in manifest["layers"])
    sizes = {image.get_image_digest(): image.get_image_size_in_bytes() or 0 for image in repository.images}
    return sum(sizes.get(entry.get("digest"), entry.get("size", 0)) for entry in manifest.get("manifests", []))


def record_push(backend, repository, reference: str, manifest_bytes: bytes, media_type: str, digest: str) -> Image:
    """The image as ECR lists it after `docker push`: real digest, manifest, media type and size; the tag moved."""
    manifest = json.loads(manifest_bytes)
    tag = None if is_digest(reference) else reference
    with images_lock:
        image = next((image for image in repository.images if image.get_image_digest() == digest), None)
        if image is None:
            image = PushedImage(backend.account_id, tag, manifest_bytes.decode(), repository.name,
                          media_type or manifest.get("mediaType"), digest, repository.registry_id)
            image.artifact_media_type = manifest.get("config", {}).get("mediaType")
            image.size_in_bytes = image_size(manifest, repository)
            repository.images.append(image)
        elif tag:
            image.update_tag(tag)
        if tag:
            for other in repository.images:
                if other is not image and tag in other.image_tags:
                    untag(other, tag)  # the tag moved: the old image stays, untagged if it was its last tag
    return image


def untag(image: Image, tag: str) -> None:
    image.remove_tag(tag)
    if not image.image_tags:
        image.image_tag = None


def forget_images(backend) -> None:
    """A new registry is empty: images moto still lists from an earlier cloud in this process are gone."""
    with images_lock:
        for repository in list(backend.repositories.values()):
            repository.images.clear()
