"""The few registry API calls the control plane makes itself (the front passes everything else through)."""
import logging

import httpx

log = logging.getLogger(__name__)


def delete_manifest(registry_url: str, repository: str, digest: str) -> None:
    """Delete a manifest by digest (its tags go with it); a manifest already gone is fine."""
    try:
        response = httpx.delete(f"{registry_url}/v2/{repository}/manifests/{digest}", timeout=10)
    except httpx.TransportError as error:
        log.error("registry unreachable: %s@%s stays in the registry (%s)", repository, digest, error)
        return
    if response.status_code not in (202, 404):
        log.error("registry refused to delete %s@%s: %s %s", repository, digest, response.status_code,
                  response.text[:200])


def put_manifest(registry_url: str, repository: str, reference: str, body: bytes, media_type: str) -> httpx.Response:
    return httpx.put(f"{registry_url}/v2/{repository}/manifests/{reference}", content=body,
                     headers={"Content-Type": media_type}, timeout=30)
