"""ApiGatewayPlane: every API's own port, served by one event loop thread; requests go to Lambda or HTTP."""
import asyncio

from localcloud.apigateway.access_log import AccessLogWriter
from localcloud.apigateway.front import ApiFront
from localcloud.apigateway.http_api import HttpApiHandler
from localcloud.apigateway.integrations import HttpCaller, LambdaCaller
from localcloud.apigateway.provider import HttpApiProvider, RestApiProvider
from localcloud.apigateway.rest_api import RestApiHandler
from localcloud.apigateway.throttling import StageLimits
from localcloud.apigateway.unenforced import UnenforcedNotices
from localcloud.config import API_HOST
from localcloud.elbv2.ports import PortBook
from localcloud.serving import LoopThread, repeat_on_loop


# Without API calls to wake it, the reconcile pass still runs this often (deleted APIs close their ports).
RECONCILE_INTERVAL_S = 1.0


class ApiGatewayPlane:
    name = "apigateway"

    def __init__(self):
        self.cloud = None
        self._ports = PortBook()
        self._runner: LoopThread | None = None
        self._front: ApiFront | None = None
        self._lambdas: LambdaCaller | None = None
        self._http: HttpCaller | None = None
        self._access_log: AccessLogWriter | None = None
        self.limits = StageLimits()
        self.notices = UnenforcedNotices()
        self._http_apis: HttpApiHandler | None = None
        self._rest_apis: RestApiHandler | None = None
        self._providers: list = []

    # --- lifecycle --------------------------------------------------------------------------------------------------
    def start(self, cloud) -> None:
        self.cloud = cloud
        # Exposed through the edge: the notebook on this host and the tasks and functions in containers all reach
        # an API at the same URL, as everyone reaches execute-api.amazonaws.com on AWS.
        self._ports = PortBook(exposure=cloud)
        self._front = ApiFront(self._handler_for)
        self._lambdas = LambdaCaller(cloud)
        self._http = HttpCaller(cloud)
        self._access_log = AccessLogWriter(lambda: cloud.backend("logs")).start()
        account = cloud.config.account_id
        self._http_apis = HttpApiHandler(account, self._lambdas, self._http, self.limits, self.notices,
                                         self._access_log)
        self._rest_apis = RestApiHandler(account, self._lambdas, self._http, self.limits, self.notices,
                                         self._access_log)
        self._runner = LoopThread("apigateway-data-plane").start(self._begin, on_stop=self._forget_everything)
        self._providers = [provider(self, account, cloud.config.region)
                           for provider in (HttpApiProvider, RestApiProvider)]
        for provider in self._providers:
            cloud.providers.register(provider)
        self.reconcile_once()

    def _begin(self) -> None:
        self._reconciler = asyncio.get_running_loop().create_task(self._reconcile_forever())

    def stop(self) -> None:
        for provider in self._providers:
            self.cloud.providers.unregister(provider)
        self._providers = []
        if self._runner:
            self._runner.stop()
        if self._access_log:
            self._access_log.stop()
        if self._lambdas:
            self._lambdas.close()
        for key in self._ports.keys():
            self._ports.release(key)

    def reset(self) -> None:
        self._runner.call(self._forget_everything)
        self.limits.clear()
        self.notices.clear()

    def _forget_everything(self) -> None:
        self._front.close_all()
        self._http.close()
        for key in self._ports.keys():
            self._ports.release(key)

    def status(self) -> dict:
        running = bool(self._runner and self._runner.running)
        http_apis, rest_apis = {}, {}
        if running:
            http_apis = {api.api_id: api.api_endpoint for api in list(self._http_backend().apis.values())}
            rest_apis = {rest_api.id: {stage: self.invoke_url(rest_api.id, stage) for stage in list(rest_api.stages)}
                         for rest_api in list(self._rest_backend().apis.values())}
        return {"ready": running, "endpoint": self.endpoint("<a port per API>"),
                "http_apis": http_apis, "rest_apis": rest_apis}

    # --- what learners' helpers and tests use -----------------------------------------------------------------------
    def endpoint(self, port: int | str) -> str:
        """An API's root URL: `execute-api.localhost` (this host's loopback, the edge in containers) and its port."""
        return f"http://{API_HOST}:{port}"

    def invoke_url(self, rest_api_id: str, stage: str) -> str | None:
        """Where a REST API's stage answers: http://execute-api.localhost:<the API's port>/<stage>."""
        port = self._ports.port(rest_api_id)
        return f"{self.endpoint(port)}/{stage}" if port else None

    def reconcile_once(self) -> None:
        self._runner.call(self._reconcile)

    # --- called by the providers ------------------------------------------------------------------------------------
    def claim_port(self, key: str) -> int:
        """Reserve and serve a port for an API id (any thread)."""
        port, sock = self._ports.reserve(key)
        if sock is not None:
            self._runner.submit(self._front.serve(key, sock))
        return port

    # --- requests ---------------------------------------------------------------------------------------------------
    def _handler_for(self, key: str):
        if (api := self._http_backend().apis.get(key)) is not None:
            return lambda request: self._http_apis.handle(api, request)
        if (rest_api := self._rest_backend().apis.get(key)) is not None:
            return lambda request: self._rest_apis.handle(rest_api, request)
        return None

    # --- the reconcile loop -----------------------------------------------------------------------------------------
    async def _reconcile_forever(self) -> None:
        await repeat_on_loop(self._reconcile, RECONCILE_INTERVAL_S, "apigateway reconcile pass")

    def _reconcile(self) -> None:
        """Observe moto's APIs; open ports for new ones (made before this plane started), close deleted ones."""
        http_apis = {api.api_id: api for api in list(self._http_backend().apis.values()) if api.protocol_type == "HTTP"}
        rest_apis = set(self._rest_backend().apis)
        for key in self._ports.keys() - http_apis.keys() - rest_apis:
            self._front.close(key)
            self._ports.release(key)
        for key in (http_apis.keys() | rest_apis) - self._ports.keys():
            port = self.claim_port(key)
            if key in http_apis:
                http_apis[key].api_endpoint = self.endpoint(port)

    # --- helpers ----------------------------------------------------------------------------------------------------
    def _http_backend(self):
        return self.cloud.backend("apigatewayv2")

    def _rest_backend(self):
        return self.cloud.backend("apigateway")

