"""The HTTP side: one server per API on its own port, each request read, answered by its API's handler."""
import asyncio
import logging
from collections.abc import Callable

from localcloud.apigateway.answers import GatewayResponse
from localcloud.apigateway.incoming import IncomingRequest
from localcloud.elbv2 import wire
from localcloud.serving import PortServers

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 60.0

# Given a port's key (an API id), an async function answering one request, or None once the API is gone.
Dispatcher = Callable[[str], Callable | None]


class ApiFront:
    def __init__(self, dispatcher: Dispatcher):
        self._dispatcher = dispatcher
        self._servers = PortServers(self._connection)
        self.serve, self.close, self.close_all = self._servers.serve, self._servers.close, self._servers.close_all

    async def _connection(self, key: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client_ip = writer.get_extra_info("peername")[0]
        local_port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                try:
                    async with asyncio.timeout(IDLE_TIMEOUT_S):
                        message = await wire.read_request(reader, writer)
                except TimeoutError:
                    break
                except (wire.MalformedMessage, ValueError):
                    writer.write(wire.encode_response(400, "", [("Content-Type", "application/json")],
                                                      b'{"message":"Bad Request"}', keep_alive=False))
                    break
                if message is None:
                    break
                handler = self._dispatcher(key)
                if handler is None:
                    break  # the API is gone: like a closed port
                method, target, version = message.start
                path, _, query = target.partition("?")
                request = IncomingRequest(method.upper(), path or "/", query, message.headers, message.body,
                                          client_ip, message.header("host") or f"127.0.0.1:{local_port}",
                                          protocol=version)
                try:
                    response = await handler(request)
                except Exception:
                    log.exception("API %s: %s %s failed", key, method, target)
                    response = GatewayResponse(500, [("Content-Type", "application/json")],
                                               b'{"message":"Internal Server Error"}')
                headers = [(k, v) for k, v in response.headers if k.lower() not in wire.HOP_BY_HOP]
                writer.write(wire.encode_response(response.status, "", headers, response.body, message.reusable,
                                                  head_only=method.upper() == "HEAD"))
                await writer.drain()
                if not message.reusable:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("API %s: connection failed", key)
