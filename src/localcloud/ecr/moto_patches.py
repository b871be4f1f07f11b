"""Fixes to moto's ECR (moto 5.2.5), applied once; each names the moto behaviour it works around.

A running plane attaches itself; for a backend no plane owns, moto behaves as it always did.
"""
import hashlib
import json

from moto.core.responses import ActionResult
from moto.ecr import exceptions as moto_errors
from moto.ecr.models import ECRBackend, Image, Repository, ecr_backends
from moto.ecr.responses import ECRResponse

from localcloud.attached_planes import AttachedPlanes

from localcloud.ecr import errors, images, registry_api
from localcloud.moto_patching import applied_once, wrap as _wrap

_attached = AttachedPlanes()
attach, detach, plane_for = _attached.attach, _attached.detach, _attached.plane_for


@applied_once
def apply() -> None:
    fix_repository_uri_points_to_aws()
    fix_authorization_token_unusable()
    fix_image_size_counts_config_only()
    fix_put_image_never_reaches_a_registry()
    fix_batch_delete_image_leaves_registry()
    fix_delete_repository_leaves_registry()




def fix_repository_uri_points_to_aws() -> None:
    # moto's repositoryUri is `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: point it at the local registry.
    def get_uri(self) -> str:
        plane = plane_for(ecr_backends[self.account_id][self.region_name])
        return f"{plane.registry_host}/{self.name}" if plane else self.__dict__.get("_moto_uri")

    def set_uri(self, value: str) -> None:
        self.__dict__["_moto_uri"] = value
    Repository.uri = property(get_uri, set_uri)


def fix_authorization_token_unusable() -> None:
    # moto's token (`<account>-auth-token`, expired 2015) is for an https endpoint on amazonaws.com that isn't there.
    def make(original):
        def get_authorization_token(self):
            plane = plane_for(ecr_backends[self.current_account][self.region])
            if plane is None:
                return original(self)
            registry_ids = self._get_param("registryIds") or [self.current_account]
            token = {"authorizationToken": plane.credentials.authorization_token(),
                     "expiresAt": plane.credentials.expires_at(), "proxyEndpoint": plane.proxy_endpoint}
            return ActionResult({"authorizationData": [dict(token) for _ in registry_ids]})
        return get_authorization_token
    _wrap(ECRResponse, "get_authorization_token", make)


def fix_image_size_counts_config_only() -> None:
    # moto reports imageSizeInBytes as the config blob's size alone (or 50 MiB); ECR sums the blobs of the image.
    def make(original):
        def get_image_size_in_bytes(self):
            if getattr(self, "size_in_bytes", None) is not None:
                return self.size_in_bytes
            manifest = json.loads(self.image_manifest)
            return images.image_size(manifest, None) if "layers" in manifest else original(self)
        return get_image_size_in_bytes
    _wrap(Image, "get_image_size_in_bytes", make)


def fix_put_image_never_reaches_a_registry() -> None:
    # moto's put_image stores the manifest only (digest made up from the layer digests): write it to the registry.
    def make(original):
        def put_image(self, repository_name, image_manifest, image_tag, image_manifest_mediatype=None, digest=None):
            plane = plane_for(self)
            if plane is None:
                return original(self, repository_name, image_manifest, image_tag, image_manifest_mediatype, digest)
            repository = self._get_repository(repository_name)
            body = image_manifest.encode()
            try:
                media_type = image_manifest_mediatype or json.loads(body)["mediaType"]
            except (ValueError, KeyError, TypeError):
                raise moto_errors.InvalidParameterException(
                    "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'a JSON manifest with a "
                    "mediaType (or give imageManifestMediaType)'") from None
            real_digest = "sha256:" + hashlib.sha256(body).hexdigest()
            if image_tag:
                existing = images.tagged_digest(repository, image_tag)
                if existing == real_digest:
                    raise moto_errors.ImageAlreadyExistsException(repository_name, repository.registry_id,
                                                                  real_digest, image_tag)
                if existing and images.tag_is_immutable(repository, image_tag):
                    raise errors.ImageTagAlreadyExistsException(image_tag, repository_name)
            response = registry_api.put_manifest(plane.registry_url, repository_name, image_tag or real_digest,
                                                 body, media_type)
            if response.status_code != 201:
                detail = _registry_message(response)
                if "BLOB_UNKNOWN" in response.text:
                    raise errors.LayersNotFoundException(repository_name, repository.registry_id, detail)
                raise moto_errors.InvalidParameterException(
                    f"Invalid parameter at 'imageManifest' failed to satisfy constraint: '{detail}'")
            return images.record_push(self, repository, image_tag or real_digest, body, media_type,
                                      response.headers.get("docker-content-digest", real_digest))
        return put_image
    _wrap(ECRBackend, "put_image", make)


def fix_batch_delete_image_leaves_registry() -> None:
    # moto forgets the images but the registry still serves them: delete each untagged-away manifest there too.
    def make(original):
        def batch_delete_image(self, repository_name, registry_id=None, image_ids=None):
            plane = plane_for(self)
            with images.images_lock:
                before = _digests(self, repository_name)
                result = original(self, repository_name, registry_id, image_ids)
                gone = before - _digests(self, repository_name)
            if plane:
                for digest in gone:
                    registry_api.delete_manifest(plane.registry_url, repository_name, digest)
            return result
        return batch_delete_image
    _wrap(ECRBackend, "batch_delete_image", make)


def fix_delete_repository_leaves_registry() -> None:
    # moto's delete_repository(force=True) drops the images from its state only: delete them in the registry too.
    def make(original):
        def delete_repository(self, repository_name, registry_id=None, force=False):
            plane = plane_for(self)
            with images.images_lock:
                digests = _digests(self, repository_name)
                repository = original(self, repository_name, registry_id, force)
            if plane:
                for digest in digests:
                    registry_api.delete_manifest(plane.registry_url, repository_name, digest)
            return repository
        return delete_repository
    _wrap(ECRBackend, "delete_repository", make)


def _digests(backend, repository_name: str) -> set[str]:
    repository = backend.repositories.get(repository_name)
    return {image.get_image_digest() for image in repository.images} if repository else set()


def _registry_message(response) -> str:
    try:
        return "; ".join(f"{e['code']}: {e['message']}" for e in response.json()["errors"])
    except (ValueError, KeyError, TypeError):
        return f"registry answered {response.status_code}"
