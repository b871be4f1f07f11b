"""The provider layer: an AWS operation that a data plane owns is answered by that plane's handler, which uses moto's
backend as a library and adds the data plane's behaviour; every other operation goes to moto untouched.

moto parses each request and serializes each answer here too (its protocol parsers and serializers, driven by
botocore's service models), so a handler speaks in the operation's own shapes: it receives the parameters as boto3
sends them and returns the result as boto3 reads it, whatever the protocol (JSON, query/XML, REST-JSON).
"""
import dataclasses
import functools
import io
import logging
import threading
from collections.abc import Callable

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.routing import NotFound, get_service_router
from moto.core.utils import camelcase_to_underscores
from moto.moto_server.werkzeug_app import BackendRequest
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

# An HTTP answer as moto's response methods give it: status, headers, body.
Answer = tuple[int, dict, bytes | str]


@dataclasses.dataclass
class Call:
    """One AWS API call routed to a handler."""
    operation: str  # as AWS names it: "RunTask", "RegisterTargets", "Invoke"
    params: dict  # as boto3 sends them (botocore's shapes)
    account_id: str
    region: str
    request: BackendRequest
    moto_response: object  # moto's response object for this request (its own helpers, e.g. `_get_param`)
    _forward: Callable[[], Answer]

    def moto(self) -> Answer:
        """moto's own answer to this very call, as its server gives it."""
        return self._forward()

    def moto_result(self):
        """What moto's response method for this operation returns (often an `ActionResult` over model objects, which
        a handler may adjust before it is serialized)."""
        return getattr(self.moto_response, camelcase_to_underscores(self.operation))()


# A handler's result: the operation's output (a dict in botocore's shape, or moto's ActionResult), or an Answer.
Handler = Callable[[Call], "dict | ActionResult | Answer | str | None"]


class Provider:
    """The operations of one AWS service that a data plane owns.

    `app` is the name moto's dispatcher gives the service's server app ("ecs", "elb", "awslambda"); `response_class`
    is moto's response class for the service, which parses its requests and serializes its answers. A handler
    returns the operation's result (a dict in botocore's output shape), an `Answer`, or raises one of moto's
    exceptions, which reaches the client as AWS words it.
    """
    app: str = ""
    response_class: type | None = None

    def __init__(self, plane, account_id: str, region: str):
        self._plane = plane
        # The cloud's own account and region: a call for another is moto's alone, as before any plane started.
        self.account_id, self.region = account_id, region

    def handlers(self) -> dict[str, Handler]:
        return {}

    def claims(self, request: BackendRequest) -> bool:
        """Whether a request to `app` is for this provider's service (moto serves some services from one app)."""
        return True


class Providers:
    """The providers of the planes that run, by moto app; the control plane asks it before handing a call to moto."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_app: dict[str, list[tuple[Provider, dict[str, Handler]]]] = {}

    def register(self, provider: Provider) -> None:
        with self._lock:
            self._by_app.setdefault(provider.app, []).append((provider, provider.handlers()))

    def unregister(self, provider: Provider) -> None:
        with self._lock:
            entries = self._by_app.get(provider.app, [])
            self._by_app[provider.app] = [entry for entry in entries if entry[0] is not provider]

    def serves(self, app: str) -> bool:
        return bool(self._by_app.get(app))

    def answer(self, app: str, environ: dict, moto_app) -> Response | None:
        """The answer of the handler that owns this call, or None when moto answers it alone."""
        body = buffered_body(environ)
        request = BackendRequest(replayable(environ, body))
        for provider, handlers in list(self._by_app.get(app, [])):
            if not handlers or not provider.claims(request):
                continue
            if operation_of(request, provider.response_class) not in handlers:
                continue  # moto's alone: not parsed twice
            moto_response = provider.response_class()
            moto_response.setup_class(request, request.raw_url, dict(request.headers))
            handler = handlers.get(moto_response._get_action())
            if handler is not None and (moto_response.current_account, moto_response.region) == (
                    provider.account_id, provider.region):
                return _run(handler, moto_response, request, lambda: _moto_answer(moto_app, environ, body))
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads the body again
        return None


def operation_of(request: BackendRequest, response_class: type) -> str | None:
    """The operation a request asks for, found as moto finds it (the X-Amz-Target header, the query's Action, or
    the method and path in botocore's model), without parsing the rest of the request."""
    if target := request.headers.get("X-Amz-Target"):
        return target.rsplit(".", 1)[-1]
    if action := request.values.get("Action"):
        return action
    try:
        operation, _ = get_service_router(_service_name(response_class)).match(request)
    except (NotFound, NotImplementedError):
        return None
    return operation.name


@functools.cache
def _service_name(response_class: type) -> str:
    return response_class().boto3_service_name


def _run(handler: Handler, moto_response, request, forward: Callable[[], Answer]) -> Response:
    try:
        moto_response.parse_parameters(request)
        call = Call(moto_response._get_action(), dict(moto_response.params or {}), moto_response.current_account,
                    moto_response.region, request, moto_response, forward)
        result = handler(call)
        if isinstance(result, tuple) and len(result) == 2:  # moto's (body, headers with "status") form
            body, headers = result
            status = int(headers.get("status", 200))
        elif isinstance(result, tuple):
            status, headers, body = result
        elif isinstance(result, str):
            status, headers, body = 200, {}, result
        else:
            result = result if isinstance(result, ActionResult) else ActionResult(result or {})
            status, headers, body = moto_response.serialized(result)
    except ServiceException as error:
        status, headers, body = moto_response.serialized(ActionResult(error))
    except HTTPException as error:  # moto's older exception style carries its own AWS-shaped body
        return error.get_response()
    headers = {key: value for key, value in headers.items() if key.lower() != "status"}
    return Response(body, status=status, headers=headers)


def buffered_body(environ: dict) -> bytes:
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH")
    if stream is None:
        return b""
    if length:
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def replayable(environ: dict, body: bytes) -> dict:
    """The environ with its body in memory, so that both the handler and moto can read it."""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return dict(environ)


def _moto_answer(moto_app, environ: dict, body: bytes) -> Answer:
    replay = dict(environ, **{"wsgi.input": io.BytesIO(body)})
    response = Response.from_app(moto_app, replay)
    return response.status_code, dict(response.headers), response.get_data()
