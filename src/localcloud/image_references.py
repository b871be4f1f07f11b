"""Image references as the engine reads them: which registry one names, and its repository and tag or digest."""


def registry_host(image: str) -> str | None:
    """`host:port` or `host.domain` before the first slash; None for Docker Hub names (`nginx`, `library/nginx`)."""
    first, slash, _ = image.partition("/")
    return first if slash and ("." in first or ":" in first or first == "localhost") else None


def split_reference(image: str) -> tuple[str, str]:
    """`repo:tag` or `repo@digest` → (repository, tag or digest) as the SDK's pull wants them."""
    if "@" in image:
        repository, _, digest = image.partition("@")
        return repository, digest
    repository, _, tag = image.rpartition(":")
    return (repository, tag) if repository and "/" not in tag else (image, "latest")
