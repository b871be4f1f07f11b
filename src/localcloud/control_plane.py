"""The AWS API endpoint: moto's server app, in-process, on loopback, plus the local cloud's own `/_localcloud/` routes."""
import functools
import json
import logging
import threading
from collections.abc import Callable

from moto import settings as moto_settings
from moto.core import responses as moto_responses
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from localcloud import moto_patching
from localcloud.iam_enforcement import Enforcer
from localcloud.plane_loader import MOTO_IMPORTS
from localcloud.providers import Providers

INTERNAL_PREFIX = "/_localcloud/"
HOSTS_REMEMBERED = 1024  # a client naming ever new hosts (S3 virtual-host buckets) must not grow the cache unbounded

# An internal route answers with a JSON-able value for a request.
InternalRoute = Callable[[Request], object]
# Waits until a moto backend (as moto's dispatcher names it) may serve calls; a reason to refuse them if it may not.
Hold = Callable[[str], str | None]


class HeldBackendApp:
    """moto's app for one backend, made on its first call once `hold` lets that call through; a call that a data
    plane's provider owns is answered by the provider."""

    def __init__(self, backend: str, hold: Hold, providers: Providers):
        self._backend = backend
        self._hold = hold
        self._providers = providers
        self._app = None

    def __call__(self, environ, start_response):
        refusal = self._hold(self._backend)
        if refusal is not None:
            body = json.dumps({"__type": "ServiceUnavailableException", "message": refusal})
            return Response(body, 503, mimetype="application/x-amz-json-1.1")(environ, start_response)
        if self._app is None:
            with MOTO_IMPORTS:  # making the app imports the service's moto modules
                if self._app is None:
                    self._app = create_backend_app(self._backend)
        if self._providers.serves(self._backend):
            answer = self._providers.answer(self._backend, environ, self._app)
            if answer is not None:
                return answer(environ, start_response)
        return self._app(environ, start_response)


class RememberingDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host: moto lists its package directory (a stat per
    service) and tries every backend's URL pattern on each call, a millisecond of every API call."""

    def __init__(self, create_app):
        super().__init__(create_app)
        self._backend_of_host: dict = {}

    def get_backend_for_host(self, host):
        # Called under the dispatcher's lock; the answer depends only on moto's installed modules and URL patterns.
        try:
            return self._backend_of_host[host]
        except KeyError:
            backend = super().get_backend_for_host(host)
            if len(self._backend_of_host) < HOSTS_REMEMBERED:
                self._backend_of_host[host] = backend
            return backend


class OneWriteRequestHandler(MotoRequestHandler):
    """Buffers the response so its headers and body leave in one write (werkzeug flushes after each response)."""
    wbufsize = 64 * 1024

    def handle_expect_100(self) -> bool:
        sent = super().handle_expect_100()
        self.wfile.flush()  # the client sends the body only once it has this interim answer
        return sent

    def log_request(self, code="-", size="-") -> None:
        if logging.getLogger("werkzeug").isEnabledFor(logging.INFO):  # else werkzeug formats a line nobody reads
            super().log_request(code, size)


@functools.cache
def _method_names(clazz, shape: tuple[int, ...]) -> list[str]:
    return _moto_method_names(clazz)


_moto_method_names = moto_responses.method_names_from_class


def method_names_from_class(clazz) -> list[str]:
    """moto runs inspect.getmembers over the response class on every call; the names change only when a class
    gains or loses attributes, which the count of each class's own attributes tells."""
    return _method_names(clazz, tuple(len(vars(klass)) for klass in clazz.__mro__))


class ControlPlane:
    def __init__(self, host: str, port: int, routes: dict[str, InternalRoute], hold: Hold = lambda backend: None,
                 providers: Providers | None = None, enforcer: Enforcer | None = None):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per API call drowns what matters
        self._routes = routes
        self._enforcer = enforcer
        # moto's dispatcher makes each backend's app once, under its lock: what it makes must not wait there.
        self.providers = providers or Providers()
        self._moto = RememberingDispatcher(lambda backend: HeldBackendApp(backend, hold, self.providers))
        moto_patching.replace(moto_responses, "method_names_from_class", method_names_from_class,
                              why="moto lists a response class's methods on every call (inspect.getmembers): a "
                                  "millisecond of each API call, for names that change only with the class")
        self._server = make_server(host, port, self._app, threaded=True, request_handler=OneWriteRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="control-plane", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        # moto knows no AWS managed IAM policies unless asked; ECS's task execution role needs one attached.
        moto_settings.default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(INTERNAL_PREFIX):
            refusal = self._enforcer.refusal(environ) if self._enforcer else None
            return (refusal or self._moto)(environ, start_response)
        route = self._routes.get(path.removeprefix(INTERNAL_PREFIX))
        if route is None:
            response = Response(json.dumps({"message": f"no such route {path}"}), 404, mimetype="application/json")
        else:
            response = Response(json.dumps(route(Request(environ)), default=str), 200, mimetype="application/json")
        return response(environ, start_response)
