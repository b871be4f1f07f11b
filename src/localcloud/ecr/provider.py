"""The ECR operations the registry plane owns: repository URIs and tokens for the local registry, and image writes
and deletes that reach the registry as well as moto's state."""
import hashlib
import json

from moto.ecr import exceptions as moto_errors
from moto.ecr.responses import ECRResponse

from localcloud.ecr import errors, images, lifecycle_rules, registry_api
from localcloud.providers import Call, Provider


class EcrProvider(Provider):
    app = "ecr"
    response_class = ECRResponse

    def handlers(self):
        return {"CreateRepository": self.create_repository, "GetAuthorizationToken": self.get_authorization_token,
                "PutImage": self.put_image, "BatchDeleteImage": self.batch_delete_image,
                "DeleteRepository": self.delete_repository, "PutLifecyclePolicy": self.put_lifecycle_policy}

    def create_repository(self, call: Call):
        # moto's repositoryUri is `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: the local registry serves it.
        result = call.moto_result()
        repository = result.result["repository"]
        repository.uri = f"{self._plane.registry_host}/{repository.name}"
        return result

    def put_lifecycle_policy(self, call: Call):
        lifecycle_rules.check(call.params.get("lifecyclePolicyText"))  # moto checks each rule, not the policy
        return call.moto()

    def get_authorization_token(self, call: Call) -> dict:
        # moto's token (`<account>-auth-token`, expired 2015) is for an https endpoint that is not there.
        credentials = self._plane.credentials
        token = {"authorizationToken": credentials.authorization_token(), "expiresAt": credentials.expires_at(),
                 "proxyEndpoint": self._plane.proxy_endpoint}
        return {"authorizationData": [dict(token) for _ in call.params.get("registryIds") or [call.account_id]]}

    def put_image(self, call: Call) -> dict:
        # moto stores the manifest only, with a digest made up from the layers: the registry must hold it too.
        backend = self._plane.backend()
        name, tag = call.params["repositoryName"], call.params.get("imageTag")
        repository = backend._get_repository(name)
        body = call.params["imageManifest"].encode()
        try:
            media_type = call.params.get("imageManifestMediaType") or json.loads(body)["mediaType"]
        except (ValueError, KeyError, TypeError):
            raise moto_errors.InvalidParameterException(
                "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'a JSON manifest with a "
                "mediaType (or give imageManifestMediaType)'") from None
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if tag:
            existing = images.tagged_digest(repository, tag)
            if existing == digest:
                raise moto_errors.ImageAlreadyExistsException(name, repository.registry_id, digest, tag)
            if existing and images.tag_is_immutable(repository, tag):
                raise errors.ImageTagAlreadyExistsException(tag, name)
        response = registry_api.put_manifest(self._plane.registry_url, name, tag or digest, body, media_type)
        if response.status_code != 201:
            detail = _registry_message(response)
            if "BLOB_UNKNOWN" in response.text:
                raise errors.LayersNotFoundException(name, repository.registry_id, detail)
            raise moto_errors.InvalidParameterException(
                f"Invalid parameter at 'imageManifest' failed to satisfy constraint: '{detail}'")
        image = images.record_push(backend, repository, tag or digest, body, media_type,
                                   response.headers.get("docker-content-digest", digest))
        return {"image": image}

    def batch_delete_image(self, call: Call):
        # moto forgets the images, the registry would still serve them: each manifest that is gone goes there too.
        return self._deleting_from_registry(call, call.params["repositoryName"])

    def delete_repository(self, call: Call):
        # With force, moto drops the images from its state only.
        return self._deleting_from_registry(call, call.params["repositoryName"])

    def _deleting_from_registry(self, call: Call, name: str):
        backend = self._plane.backend()
        with images.images_lock:
            before = _digests(backend, name)
            answer = call.moto()
            gone = before - _digests(backend, name)
        for digest in gone:
            registry_api.delete_manifest(self._plane.registry_url, name, digest)
        return answer


def _digests(backend, repository_name: str) -> set[str]:
    repository = backend.repositories.get(repository_name)
    return {image.get_image_digest() for image in repository.images} if repository else set()


def _registry_message(response) -> str:
    try:
        return "; ".join(f"{e['code']}: {e['message']}" for e in response.json()["errors"])
    except (ValueError, KeyError, TypeError):
        return f"registry answered {response.status_code}"
