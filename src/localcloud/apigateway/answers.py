"""What the gateway answers: a response to encode, and the errors that API Gateway itself words.

HTTP APIs and REST APIs word their own errors differently (capitals, a space after the colon, headers), so each
error is spelt as the kind of API that gives it.
"""
import dataclasses
import json

HTTP_API, REST_API = "http", "rest"


@dataclasses.dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    error: str | None = None  # the message of an error the gateway itself gave ($context.error.message)


# (HTTP API message, REST API message, REST x-amzn-ErrorType)
ERRORS = {
    "not_found": (404, "Not Found", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"),
    "forbidden": (403, "Forbidden", 403, "Forbidden", "ForbiddenException"),  # the execute-api endpoint is disabled
    "function_error": (500, "Internal Server Error", 502, "Internal server error", None),
    "bad_function_output": (500, "Internal Server Error", 502, "Internal server error", None),
    "integration_failed": (500, "Internal Server Error", 500, "Internal server error", None),
    "timeout": (503, "Service Unavailable", 504, "Endpoint request timed out", None),
    "throttled": (429, "Too Many Requests", 429, "Too Many Requests", None),
    "payload_too_large": (413, "Request Entity Too Large", 413, "Request Entity Too Large", None),
}


def gateway_error(kind: str, flavour: str, request_id: str) -> GatewayResponse:
    http_status, http_message, rest_status, rest_message, rest_type = ERRORS[kind]
    if flavour == HTTP_API:
        return GatewayResponse(http_status, [("Content-Type", "application/json"), ("apigw-requestid", request_id)],
                               json.dumps({"message": http_message}, separators=(",", ":")).encode(), http_message)
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    if rest_type:
        headers.append(("x-amzn-ErrorType", rest_type))
    return GatewayResponse(rest_status, headers, json.dumps({"message": rest_message}).encode(), rest_message)
