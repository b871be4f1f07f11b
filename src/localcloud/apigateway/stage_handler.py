"""What HTTP APIs and REST APIs do alike around each request: its id on the answer, and its access log line."""
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from localcloud.apigateway.access_log import AccessRecord
from localcloud.apigateway.answers import GatewayResponse
from localcloud.apigateway.integrations import IntegrationFailed, IntegrationTimedOut

log = logging.getLogger(__name__)


async def ready(response: GatewayResponse) -> GatewayResponse:
    """An answer made at once (a MOCK integration's), in the shape of an integration call."""
    return response


class StageHandler:
    def __init__(self, account_id: str, lambdas, http, limits, notices, access_log):
        self._account_id = account_id
        self._lambdas, self._http, self._limits, self._notices = lambdas, http, limits, notices
        self._access_log = access_log

    def _answered(self, record: AccessRecord, response: GatewayResponse, id_header: str) -> GatewayResponse:
        """The response with the request's id (unless the integration set it), its log line queued."""
        if not any(key.lower() == id_header.lower() for key, _ in response.headers):
            response.headers.append((id_header, record.request.request_id))
        record.response, record.responded_at = response, time.time()
        # Queued in the loop's next turn: the front has written the response by then, so logging never delays it.
        asyncio.get_running_loop().call_soon(self._access_log.submit, record)
        return response

    async def _integrated(self, record: AccessRecord, kind: str, calls: dict[str, Callable[[], Awaitable]],
                          error: Callable[[str], GatewayResponse]) -> GatewayResponse | None:
        """The answer of the integration of `kind`, its status and latency recorded; None for a kind not served."""
        call = calls.get(kind)
        if call is None:
            return None
        started = time.perf_counter()
        try:
            response = await call()
        except IntegrationTimedOut as failure:
            log.info("API %s: %s", record.api_id, failure)
            return error("timeout")
        except IntegrationFailed as failure:
            log.warning("API %s: %s", record.api_id, failure)
            return error("integration_failed")
        finally:
            record.integration_latency_ms = round((time.perf_counter() - started) * 1000)
        if kind == "AWS_PROXY":
            record.integration_status = 200  # Lambda's Invoke answered; the function's own status follows
            record.integration_answer_status = None if response.error else response.status
        elif kind == "HTTP_PROXY":
            record.integration_status = record.integration_answer_status = response.status
        return response
