"""Identity-based policies, enforced on calls signed with an IAM user's access key (`LOCALCLOUD_IAM=enforce`).

On AWS an IAM user may call only what its policies allow, while the account's root may call anything. The local
cloud plays the same: a call signed with an access key that `iam create-access-key` issued is checked against its
user's policies (inline, attached, and its groups'); a call with any other key (the cloud's own `test` key, which
tasks and functions use too) is the account's root. moto has this check too, but only for the calls moto itself
answers and only for every key at once; here it covers the calls the data planes answer as well.

What is checked: the action (`ecs:CreateService`), Allow and Deny, Action and NotAction with wildcards, and the
`iam:PermissionsBoundary` condition of CreateRole. What is not: resources and other conditions (each statement
applies as if its Resource were "*"), so a policy scoped by resource is proved only on AWS. Each principal's calls are recorded, allowed or not: a rehearsal derives the policy from them.
"""
import fnmatch
import io
import functools
import json
import re
import threading
from collections import defaultdict

from moto.backends import get_backend
from moto.core.routing import NotFound, get_service_router
from moto.moto_server.werkzeug_app import BackendRequest
from werkzeug.wrappers import Request, Response

from localcloud.providers import buffered_body, replayable

# https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html:
# an action's prefix is the service's, which is its signing name except for these.
ACTION_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag", "api.ecr": "ecr"}
# AWS words a refusal differently per protocol; botocore reads the code from the body or `x-amzn-ErrorType`.
QUERY_SERVICES = {"iam", "sts", "elasticloadbalancing", "sns", "autoscaling", "cloudformation"}
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")
POLICY_VARIABLE = re.compile(r"\$\{([^}]+)\}")
# Condition keys a request here carries; statements conditioned on others are not judged.
JUDGED_KEYS = {"iam:PermissionsBoundary"}
CBOR_OPERATION = re.compile(r"/service/[^/]+/operation/([^/?]+)")


class Enforcer:
    """Decides each call of the cloud's account; remembers who called what."""

    def __init__(self, account_id: str):
        self._account_id = account_id
        self._lock = threading.Lock()
        self._calls: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: {
            "allowed": 0, "denied": 0}))

    def refusal(self, environ: dict) -> Response | None:
        """The AccessDenied answer for a call its signer may not make; None lets it through."""
        signed = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if signed is None:
            return None  # unsigned (or presigned): nothing to check it against
        key_id, _region, service = signed.groups()
        user = self._user_of(key_id)
        if user is None:
            return None  # the account's root: the cloud's own key
        # Reading a query call's form consumes the body: keep it for moto or the provider that answers.
        body = buffered_body(environ)
        replayable(environ, body)
        request = Request(dict(environ, **{"wsgi.input": io.BytesIO(body)}))
        action = f"{ACTION_PREFIX.get(service, service)}:{_operation(request, service)}"
        context = {"aws:username": user.name, "aws:PrincipalAccount": self._account_id}
        if service == "iam" and (boundary := request.values.get("PermissionsBoundary")):
            context["iam:PermissionsBoundary"] = boundary
        allowed = action == "sts:GetCallerIdentity" or _permitted(self._policies(user), action, context)
        with self._lock:
            self._calls[user.arn][action]["allowed" if allowed else "denied"] += 1
        if allowed:
            return None
        return _access_denied(request, service, f"User: {user.arn} is not authorized to perform: {action} "
                                                f"because no identity-based policy allows the {action} action")

    def calls(self) -> dict:
        """{principal ARN: {action: {"allowed": n, "denied": n}}}, for `/_localcloud/iam/calls`."""
        with self._lock:
            return {principal: {action: dict(counts) for action, counts in sorted(actions.items())}
                    for principal, actions in self._calls.items()}

    def forget(self) -> None:
        with self._lock:
            self._calls.clear()

    def _iam(self):
        return get_backend("iam")[self._account_id]["aws"]

    def _user_of(self, key_id: str):
        for user in list(self._iam().users.values()):
            if any(key.access_key_id == key_id for key in user.access_keys):
                return user
        return None

    def _policies(self, user) -> list[dict]:
        iam = self._iam()
        documents = list(user.policies.values())
        documents += [_default_version(policy) for policy in user.managed_policies.values()]
        for group in iam.get_groups_for_user(user.name):
            documents += list(group.policies.values())
            documents += [_default_version(policy) for policy in group.managed_policies.values()]
        return [json.loads(document) if isinstance(document, str) else document for document in documents]


def _default_version(policy) -> str:
    return next(version.document for version in policy.versions if version.is_default)


def _statements(document: dict) -> list[dict]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(patterns: list[str], action: str) -> bool:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html: case-insensitive,
    # `*` and `?` wildcards.
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def _applies(statement: dict, action: str, context: dict[str, str]) -> bool:
    if "NotAction" in statement:
        matched = not _matches(_listed(statement["NotAction"]), action)
    else:
        matched = _matches(_listed(statement.get("Action")), action)
    return matched and _conditions_hold(statement.get("Condition", {}), context)


def _conditions_hold(conditions: dict, context: dict[str, str]) -> bool:
    """String conditions on the keys the cloud knows (`iam:PermissionsBoundary` of CreateRole); a key it cannot
    know, or another operator, is not judged here (it holds).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String:
    a key absent from the request matches no StringEquals/StringLike."""
    for operator, keys in conditions.items():
        if operator not in ("StringEquals", "StringLike"):
            continue
        for key, wanted in keys.items():
            if key not in JUDGED_KEYS:
                continue
            value = context.get(key)
            patterns = [_substituted(pattern, context) for pattern in _listed(wanted)]
            if value is None or not any(pattern == value if operator == "StringEquals"
                                        else fnmatch.fnmatchcase(value, pattern) for pattern in patterns):
                return False
    return True


def _substituted(pattern: str, context: dict[str, str]) -> str:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    return POLICY_VARIABLE.sub(lambda match: context.get(match.group(1), match.group(0)), pattern)


def _permitted(documents: list[dict], action: str, context: dict[str, str] | None = None) -> bool:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html: an explicit Deny
    wins, then an Allow; nothing else is allowed. A Deny scoped to some resources cannot be judged here, so only a
    Deny on every resource counts."""
    statements = [statement for document in documents for statement in _statements(document)
                  if _applies(statement, action, context or {})]
    if any(statement.get("Effect") == "Deny" and _listed(statement.get("Resource", "*")) == ["*"]
           for statement in statements):
        return False
    return any(statement.get("Effect") == "Allow" for statement in statements)


def _operation(request: Request, service: str) -> str:
    if target := request.headers.get("X-Amz-Target"):
        return target.rsplit(".", 1)[-1]
    if action := request.values.get("Action"):
        return action
    if cbor := CBOR_OPERATION.search(request.path):
        return cbor.group(1)
    if service == "apigateway":
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-create-and-manage-api.html:
        # managing an API is authorised by HTTP method.
        return request.method
    try:  # REST-JSON (Lambda): the method and path, matched as botocore's model routes them
        operation, _ = get_service_router(service).match(BackendRequest(request.environ))
        return operation.name
    except (NotFound, NotImplementedError, KeyError):
        return "Unknown"


def _access_denied(request: Request, service: str, message: str) -> Response:
    if service == "ec2":
        # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
        body = (f"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>{_xml(message)}</Message>"
                f"</Error></Errors><RequestID>0</RequestID></Response>")
        return Response(body, 403, mimetype="text/xml")
    if service in QUERY_SERVICES:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{_xml(message)}"
                f"</Message></Error><RequestId>0</RequestId></ErrorResponse>")
        return Response(body, 403, mimetype="text/xml")
    code = "AccessDenied" if service == "sqs" else "AccessDeniedException"
    if request.path.count("/operation/"):
        return _cbor_denied(code, message)
    return Response(json.dumps({"__type": code, "message": message, "Message": message}), 403,
                    headers={"x-amzn-ErrorType": code}, mimetype="application/x-amz-json-1.1")


def _cbor_denied(code: str, message: str) -> Response:
    """The Smithy RPC v2 CBOR error shape: a CBOR map with `__type` and `message`."""
    body = _cbor_map({"__type": code, "message": message})
    return Response(body, 403, headers={"smithy-protocol": "rpc-v2-cbor"}, mimetype="application/cbor")


def _cbor_map(values: dict[str, str]) -> bytes:
    return _cbor_head(5, len(values)) + b"".join(_cbor_text(key) + _cbor_text(value) for key, value in values.items())


def _cbor_text(text: str) -> bytes:
    encoded = text.encode()
    return _cbor_head(3, len(encoded)) + encoded


def _cbor_head(major: int, length: int) -> bytes:
    # RFC 8949 section 3: the major type in the top three bits, the length inline or in the bytes after.
    if length < 24:
        return bytes([major << 5 | length])
    for extra, size in ((24, 1), (25, 2), (26, 4)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | extra]) + length.to_bytes(size, "big")
    raise ValueError("too long")


@functools.cache
def _xml_table() -> dict[int, str]:
    return str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _xml(text: str) -> str:
    return text.translate(_xml_table())
