"""The HTTP side: one server per API on its own port, each request read, answered by its API's handler."""
import asyncio
import functools
import logging
from collections.abc import Callable

from localcloud.apigateway.answers import GatewayResponse
from localcloud.apigateway.incoming import IncomingRequest
from localcloud.elbv2 import wire

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 60.0

# Given a port's key (an API id), an async function answering one request, or None once the API is gone.
Dispatcher = Callable[[str], Callable | None]


class ApiFront:
    def __init__(self, dispatcher: Dispatcher):
        self._dispatcher = dispatcher
        self._servers: dict[str, asyncio.Server] = {}
        self._writers: set[asyncio.StreamWriter] = set()  # open client connections, closed on shutdown

    async def serve(self, key: str, sock) -> None:
        self._servers[key] = await asyncio.start_server(functools.partial(self._connection, key), sock=sock)

    def close(self, key: str) -> None:
        if server := self._servers.pop(key, None):
            server.close()

    def close_all(self) -> None:
        """Close every port and every open client connection (their tasks then end on their own)."""
        for key in list(self._servers):
            self.close(key)
        for writer in list(self._writers):
            writer.close()

    async def _connection(self, key: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client_ip = writer.get_extra_info("peername")[0]
        local_port = writer.get_extra_info("sockname")[1]
        self._writers.add(writer)
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
        finally:
            self._writers.discard(writer)
            writer.close()
