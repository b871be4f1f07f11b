"""MOCK integrations of REST APIs: the request template gives a status code, an integration response the answer.

Mapping templates are taken as they are written (static JSON or text); Velocity (VTL) expressions in them are not
evaluated locally, which `has_vtl` lets the caller say.
"""
import json
import re

from localcloud.apigateway.answers import GatewayResponse

VTL_MARKERS = re.compile(r"\$[{a-zA-Z!]|#(set|if|foreach|end|else)\b")


def has_vtl(template: str | None) -> bool:
    return bool(template and VTL_MARKERS.search(template))


def pick_template(templates: dict | None, content_type: str | None) -> str | None:
    templates = templates or {}
    wanted = (content_type or "application/json").split(";")[0].strip().lower()
    return templates.get(wanted, templates.get("application/json"))


def status_from_request_template(template: str | None, body: bytes) -> int | None:
    """The `statusCode` the request template (or, without one, the passed-through body) sets."""
    text = template if template is not None else body.decode("utf-8", "replace")
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        return None
    status = value.get("statusCode", 200) if isinstance(value, dict) else None
    try:
        return int(status)
    except (TypeError, ValueError):
        return None


def pick_integration_response(responses: dict | None, status: int) -> dict | None:
    """The integration response whose selectionPattern matches the status, else the default (no pattern)."""
    responses = responses or {}
    default = None
    for response in responses.values():
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or response
        elif re.fullmatch(pattern, str(status)):
            return response
    return default


def static_header_values(parameters: dict | None) -> list[tuple[str, str]]:
    """method.response.header.X = "'literal'" mappings (other sources need a backend response: skipped)."""
    headers = []
    for target, source in (parameters or {}).items():
        if target.startswith("method.response.header.") and len(source) >= 2 and source[0] == source[-1] == "'":
            headers.append((target.removeprefix("method.response.header."), source[1:-1]))
    return headers


def answer(integration_response: dict) -> GatewayResponse:
    templates = integration_response.get("responseTemplates") or {}
    content_type, body = next(iter(templates.items()), ("application/json", None))
    headers = [("Content-Type", content_type)] + static_header_values(integration_response.get("responseParameters"))
    return GatewayResponse(int(integration_response["statusCode"]), headers, (body or "").encode())
