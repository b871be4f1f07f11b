"""An OpenAPI document as API Gateway reads it, made readable to moto's REST API importer (moto 5.2.5).

API Gateway imports Swagger 2.0 and OpenAPI 3 with its `x-amazon-apigateway-*` extensions
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-import-api.html); moto's importer reads a
subset of OpenAPI 3 only: it refuses Swagger 2.0, needs `info.description` (else a KeyError, a 500), reads
`x-amazon-apigateway-any-method` and path-level keys (`parameters`) as methods, needs a `uri` and `httpMethod` even
for MOCK integrations (else a TypeError, a 500), keeps lower-case integration types and ignores binary media types.
"""
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "any"}
BINARY_MEDIA_TYPES = "x-amazon-apigateway-binary-media-types"


def normalised_openapi(document: dict) -> dict:
    """What moto's importer can read: OpenAPI 3 header, ANY methods, nothing but methods under a path."""
    document = dict(document)
    if str(document.get("swagger", "")).startswith("2"):
        document.pop("swagger")
        document["openapi"] = "3.0.1"  # the path and integration parts moto reads are the same in Swagger 2.0
    document["info"] = {"description": "", **(document.get("info") or {})}
    paths = {}
    for path, item in (document.get("paths") or {}).items():
        methods = {}
        for key, operation in (item or {}).items():
            key = "any" if key == "x-amazon-apigateway-any-method" else key.lower()
            if key in HTTP_METHODS:
                methods[key] = _normalised_operation(operation or {})
        paths[path] = methods
    document["paths"] = paths
    return document


def _normalised_operation(operation: dict) -> dict:
    integration = operation.get("x-amazon-apigateway-integration")
    if not integration:
        return operation
    integration = {"uri": "", "httpMethod": "POST", **integration}  # moto needs both, even for MOCK
    integration["type"] = str(integration.get("type", "")).upper()
    return {**operation, "x-amazon-apigateway-integration": integration}


def add_binary_media_types(rest_api, document: dict) -> None:
    """The document's binary media types join the API's (moto's importer ignores them)."""
    binary = document.get(BINARY_MEDIA_TYPES) or []
    rest_api.binaryMediaTypes = list(dict.fromkeys([*(rest_api.binaryMediaTypes or []), *binary]))
