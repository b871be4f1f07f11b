"""The registry front on the host: the registry API passed through, plus what ECR adds (auth, repositories, tags).

Blob bodies stream both ways; only manifests (small JSON) are read whole, to check and record them.
"""
import asyncio
import hashlib
import json
import logging
import re
import socket
import threading
import time
from urllib.parse import unquote

import httpx
import uvicorn

from localcloud.ecr import errors, images
from localcloud.ecr.auth import Credentials

log = logging.getLogger(__name__)

REPOSITORY_PATH = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>blobs|manifests|tags)/(?P<rest>.*)$")
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
              b"transfer-encoding", b"upgrade"}
MANIFEST_LIMIT = 4 * 1024 * 1024  # as the registry's own limit for a manifest body
START_TIMEOUT_S = 10


class ClientGone(Exception):
    """The client hung up in the middle of its request body."""


class RegistryFront:
    """An ASGI app served by uvicorn in a thread of its own, on 127.0.0.1:<port>.

    Clients (the engine, `docker login`) reach it at `public_host`, the registry port the edge publishes.
    """

    def __init__(self, credentials: Credentials, backend_of, upstream_url: str):
        self.credentials = credentials
        self._backend_of = backend_of  # called per request: moto's ECR backend of the cloud now
        self.upstream_url = upstream_url  # the registry container; replaced when it is recreated
        self._client: httpx.AsyncClient | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self.public_host: str | None = None

    # --- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self, http="h11", ws="none", lifespan="off", log_level="error", access_log=False,
                                timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(sock)), name="ecr-registry-front",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not self._server.started:
            self.stop()
            raise RuntimeError("the registry front did not start")

    async def _serve(self, sock: socket.socket) -> None:
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=5.0), follow_redirects=False,
                                         limits=httpx.Limits(max_connections=64, max_keepalive_connections=16))
        try:
            await self._server.serve(sockets=[sock])
        finally:
            await self._client.aclose()
            sock.close()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join()
        self._thread = None

    @property
    def serving(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._server.started

    # --- requests --------------------------------------------------------------------------------------------------
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        head = scope["method"] == "HEAD"  # the status and headers only
        started = False

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)
        try:
            await self._handle(scope, receive, tracked_send)
        except errors.RegistryError as error:
            await respond(send, error.status, error.body(), b"application/json", head=head)
        except (ClientGone, httpx.ReadError, httpx.WriteError):
            pass  # a client that hangs up mid-push retries on its own
        except httpx.TransportError as error:
            log.error("registry container unreachable: %s", error)
            if started:
                return
            unavailable = errors.RegistryError(503, "UNAVAILABLE", "The registry is not available: "
                                               "check `localcloud status`")
            await respond(send, 503, unavailable.body(), b"application/json", head=head)

    async def _handle(self, scope, receive, send) -> None:
        method, path = scope["method"], unquote(scope["path"])
        if not self.credentials.accepts(header(scope, b"authorization")):
            challenge = f'Basic realm="http://{self.public_host}/",service="ecr.amazonaws.com"'.encode()
            await respond(send, 401, b"Not Authorized\n", b"text/plain; charset=utf-8",
                          [(b"www-authenticate", challenge)], head=method == "HEAD")
            return
        if path in ("/v2", "/v2/"):
            await self._forward(scope, receive, send)
            return
        match = REPOSITORY_PATH.match(path)
        if match is None:
            raise errors.RegistryError(404, "UNSUPPORTED", "The operation is unsupported.")
        backend = self._backend_of()
        repository = images.require_repository(backend, match["name"])
        kind, rest = match["kind"], match["rest"]
        if kind == "tags":
            await respond(send, 200, json.dumps({"name": repository.name, "tags": images.tags_of(repository)}).encode(),
                          b"application/json", head=method == "HEAD")
        elif kind == "manifests" and method == "PUT":
            await self._put_manifest(scope, receive, send, backend, repository, rest)
        elif kind == "manifests" and method == "DELETE":
            raise errors.RegistryError(405, "UNSUPPORTED", "Delete images with the ECR API: BatchDeleteImage.")
        elif kind == "manifests" and not images.is_digest(rest) and images.tagged_digest(repository, rest) is None:
            raise errors.manifest_unknown(rest, repository.name)  # a tag ECR no longer lists is gone, as on ECR
        else:
            await self._forward(scope, receive, send)

    async def _put_manifest(self, scope, receive, send, backend, repository, reference: str) -> None:
        body = b""
        async for chunk in request_body(receive):
            body += chunk
            if len(body) > MANIFEST_LIMIT:
                raise errors.manifest_invalid("The manifest is larger than 4 MiB.")
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if not images.is_digest(reference):
            images.require_writable_tag(repository, reference, digest)
        status, headers, content = await self._exchange(scope, body)
        if status == 201:
            # Recorded before the client hears back, so describe_images lists it the moment `docker push` returns.
            images.record_push(backend, repository, reference, body, header(scope, b"content-type", ""),
                               headers.get("docker-content-digest", digest))
        await respond(send, status, content, None, [(k.encode(), v.encode()) for k, v in headers.items()
                                                     if k.encode() not in HOP_BY_HOP])

    async def _exchange(self, scope, body: bytes) -> tuple[int, dict, bytes]:
        response = await self._client.send(self._upstream_request(scope, body))
        return response.status_code, {k: self._local_location(k, v) for k, v in response.headers.items()
                                       if k != "content-length"}, response.content

    async def _forward(self, scope, receive, send) -> None:
        has_body = header(scope, b"content-length", "0") != "0" or header(scope, b"transfer-encoding") is not None
        request = self._upstream_request(scope, request_body(receive) if has_body else b"")
        response = await self._client.send(request, stream=True)
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": [(k, self._local_location(k.decode(), v.decode()).encode())
                                    for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    def _upstream_request(self, scope, content) -> httpx.Request:
        # The client's Host goes along, so the registry's upload Locations point back at this front.
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP and k.lower() != b"authorization"]
        query = scope.get("query_string", b"")
        url = self.upstream_url + scope["raw_path"].decode() + ("?" + query.decode() if query else "")
        return self._client.build_request(scope["method"], url, headers=headers, content=content)

    def _local_location(self, name: str, value: str) -> str:
        if name.lower() == "location" and value.startswith(self.upstream_url):
            return f"http://{self.public_host}" + value[len(self.upstream_url):]
        return value


def header(scope, name: bytes, default=None):
    return next((value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name), default)


async def request_body(receive):
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        if message.get("body"):
            yield message["body"]
        if not message.get("more_body"):
            return


async def respond(send, status: int, body: bytes, content_type: bytes | None, extra=(), head=False) -> None:
    headers = [(b"content-type", content_type)] if content_type else []
    headers += [*extra, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})

