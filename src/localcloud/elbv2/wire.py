"""HTTP/1.1 messages on asyncio streams: read a request or a response whole, write one back. Bodies are buffered."""
import asyncio
import dataclasses
from http import HTTPStatus

# Headers that describe one connection, not the message: never passed through a proxy.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length", "expect"})
NO_BODY_STATUSES = frozenset({204, 304})
HEAD_END = b"\r\n\r\n"


class MalformedMessage(Exception):
    """The peer sent something that is not HTTP/1.x."""


@dataclasses.dataclass
class Message:
    start: tuple[str, str, str]  # request: method, target, version; response: version, status, reason
    headers: list[tuple[str, str]]
    body: bytes = b""
    reusable: bool = True  # whether the connection may carry another message afterwards

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), default)

    def headers_for_proxy(self) -> list[tuple[str, str]]:
        named_in_connection = {token.strip().lower() for token in (self.header("connection") or "").split(",")}
        return [(k, v) for k, v in self.headers if k.lower() not in HOP_BY_HOP and k.lower() not in named_in_connection]


def _parse_head(head: bytes) -> tuple[tuple[str, str, str], list[tuple[str, str]]]:
    try:
        lines = head.decode("latin-1").split("\r\n")
        first = lines[0].split(" ", 2)
        if len(first) == 2:  # a status line may omit its reason phrase
            first.append("")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if not _ or not name or name != name.strip():
                raise MalformedMessage(f"bad header line {line!r}")
            headers.append((name, value.strip()))
    except UnicodeDecodeError as error:
        raise MalformedMessage(str(error)) from error
    if len(first) != 3:
        raise MalformedMessage(f"bad start line {lines[0]!r}")
    return (first[0], first[1], first[2]), headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as error:
            raise MalformedMessage(f"bad chunk size {size_line!r}") from error
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, dropped
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """The bytes of a message head, or None if the peer closed the connection cleanly before one."""
    try:
        return (await reader.readuntil(HEAD_END))[:-4]
    except asyncio.IncompleteReadError as error:
        if not error.partial.strip():
            return None
        raise MalformedMessage("connection closed inside a message head") from error
    except asyncio.LimitOverrunError as error:
        raise MalformedMessage("message head too large") from error


def _keeps_alive(version: str, connection: str | None) -> bool:
    tokens = {token.strip().lower() for token in (connection or "").split(",")}
    return "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Message | None:
    head = await _read_head(reader)
    while head == b"":  # stray CRLF between requests
        head = await _read_head(reader)
    if head is None:
        return None
    start, headers = _parse_head(head)
    request = Message(start, headers)
    if (request.header("expect") or "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in (request.header("transfer-encoding") or "").lower():
        request.body = await _read_chunked(reader)
    elif length := request.header("content-length"):
        if not length.isdigit():
            raise MalformedMessage(f"bad Content-Length {length!r}")
        request.body = await reader.readexactly(int(length))
    request.reusable = _keeps_alive(start[2], request.header("connection"))
    return request


async def read_response(reader: asyncio.StreamReader, request_method: str) -> Message:
    while True:
        head = await _read_head(reader)
        if head is None:
            raise asyncio.IncompleteReadError(b"", None)
        start, headers = _parse_head(head)
        if not start[1].isdigit():
            raise MalformedMessage(f"bad status {start[1]!r}")
        if not start[1].startswith("1") or start[1] == "101":
            break  # interim 1xx responses are skipped
    response = Message(start, headers)
    response.reusable = _keeps_alive(start[0], response.header("connection"))
    status = int(start[1])
    if request_method == "HEAD" or status in NO_BODY_STATUSES or status < 200:
        return response
    if "chunked" in (response.header("transfer-encoding") or "").lower():
        response.body = await _read_chunked(reader)
    elif (length := response.header("content-length")) is not None:
        if not length.isdigit():
            raise MalformedMessage(f"bad Content-Length {length!r}")
        response.body = await reader.readexactly(int(length))
    else:  # the body runs to the end of the connection
        response.body = await reader.read()
        response.reusable = False
    return response


def encode_request(method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def encode_response(status: int, reason: str, headers: list[tuple[str, str]], body: bytes, keep_alive: bool,
                    head_only: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason or reason_phrase(status)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if status not in NO_BODY_STATUSES and status >= 200:
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else body)


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
