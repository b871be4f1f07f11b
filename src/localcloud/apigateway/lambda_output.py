"""A Lambda function's output turned into the HTTP response API Gateway gives (proxy integrations).

Format 2.0 is lenient: output without a `statusCode` is the body of a 200 JSON response. Format 1.0 (REST APIs and
HTTP APIs that ask for it) must be an object with a `statusCode`; anything else is an error, as on AWS.
"""
import base64
import json

from localcloud.apigateway.answers import GatewayResponse


class MalformedOutput(Exception):
    """The function's output is not a proxy response (API Gateway logs "Malformed Lambda proxy response")."""


def _body_bytes(output: dict, decode_base64: bool = True) -> bytes:
    body = output.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedOutput("body must be a string")
    if output.get("isBase64Encoded") and decode_base64:
        try:
            return base64.b64decode(body, validate=True)
        except ValueError as error:
            raise MalformedOutput("isBase64Encoded but body is not base64") from error
    return body.encode("utf-8")


def _status(output: dict) -> int:
    try:
        status = int(output["statusCode"])
    except (TypeError, ValueError) as error:
        raise MalformedOutput("statusCode must be an integer") from error
    if not 100 <= status <= 599:
        raise MalformedOutput("statusCode out of range")
    return status


def _single_headers(output: dict) -> list[tuple[str, str]]:
    headers = output.get("headers") or {}
    if not isinstance(headers, dict):
        raise MalformedOutput("headers must be an object")
    return [(str(key), str(value)) for key, value in headers.items()]


def from_format_v2(payload: bytes) -> GatewayResponse:
    try:
        output = json.loads(payload)
    except ValueError as error:
        raise MalformedOutput("output is not JSON") from error
    if not isinstance(output, dict) or "statusCode" not in output:
        return GatewayResponse(200, [("Content-Type", "application/json")], payload)
    headers = _single_headers(output)
    cookies = output.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedOutput("cookies must be a list")
    headers += [("Set-Cookie", str(cookie)) for cookie in cookies]
    return GatewayResponse(_status(output), headers, _body_bytes(output))


def from_format_v1(payload: bytes, decode_base64: bool = True) -> GatewayResponse:
    """`decode_base64=False`: a REST API without a matching binary media type returns the base64 text as is."""
    try:
        output = json.loads(payload)
    except ValueError as error:
        raise MalformedOutput("output is not JSON") from error
    if not isinstance(output, dict) or "statusCode" not in output:
        raise MalformedOutput("no statusCode")
    multi = output.get("multiValueHeaders") or {}
    if not isinstance(multi, dict) or not all(isinstance(values, list) for values in multi.values()):
        raise MalformedOutput("multiValueHeaders must map names to lists")
    single = [(key, value) for key, value in _single_headers(output)
              if key.lower() not in {name.lower() for name in multi}]
    headers = single + [(str(key), str(value)) for key, values in multi.items() for value in values]
    return GatewayResponse(_status(output), headers, _body_bytes(output, decode_base64))
