"""Registry API errors as ECR words them (the docker CLI prints `<code, lower-cased>: <message>`)."""
import json

from moto.core.exceptions import ServiceException


class RegistryError(Exception):
    """An error of the registry API v2: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> bytes:
        return json.dumps({"errors": [{"code": self.code, "message": self.message, "detail": None}]}).encode()


def name_unknown(repository: str, registry_id: str) -> RegistryError:
    return RegistryError(404, "NAME_UNKNOWN", f"The repository with name '{repository}' does not exist "
                                              f"in the registry with id '{registry_id}'")


def tag_invalid(tag: str, repository: str) -> RegistryError:
    return RegistryError(400, "TAG_INVALID", f"The image tag '{tag}' already exists in the '{repository}' repository "
                                             f"and cannot be overwritten because the repository is immutable.")


def manifest_unknown(reference: str, repository: str) -> RegistryError:
    return RegistryError(404, "MANIFEST_UNKNOWN", f"Requested image not found: '{reference}' in '{repository}'")


def manifest_invalid(reason: str) -> RegistryError:
    return RegistryError(400, "MANIFEST_INVALID", reason)


# --- ECR API errors the control plane raises where moto has none --------------------------------------------------

class ImageTagAlreadyExistsException(ServiceException):
    code = "ImageTagAlreadyExistsException"

    def __init__(self, tag: str, repository: str):
        super().__init__(f"The image tag '{tag}' already exists in the '{repository}' repository and cannot be "
                         f"overwritten because the repository is immutable.")


class LayersNotFoundException(ServiceException):
    code = "LayersNotFoundException"

    def __init__(self, repository: str, registry_id: str, detail: str):
        super().__init__(f"Layers required for pushing image into repository with name '{repository}' in registry "
                         f"with id '{registry_id}' do not exist: {detail}")
