"""One request as the gateway received it, with the views of it that both event formats need."""
import base64
import dataclasses
import time
import uuid
from urllib.parse import parse_qsl

# Bodies of these types reach a Lambda function as text; anything else is base64 (HTTP APIs decide this way).
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
              "application/x-www-form-urlencoded", "application/graphql", "application/ld+json")


@dataclasses.dataclass
class IncomingRequest:
    method: str
    path: str  # raw path as sent, stage prefix included
    query: str  # raw query string, without "?"
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    host: str
    protocol: str = "HTTP/1.1"
    request_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    received_at: float = dataclasses.field(default_factory=time.time)

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), default)

    def query_values(self) -> dict[str, list[str]]:
        """Each query parameter with all its values, in the order sent."""
        values: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            values.setdefault(key, []).append(value)
        return values

    def header_values(self, lower: bool = False) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for key, value in self.headers:
            values.setdefault(key.lower() if lower else key, []).append(value)
        return values

    def cookies(self) -> list[str]:
        return [part.strip() for key, value in self.headers if key.lower() == "cookie"
                for part in value.split(";") if part.strip()]

    def body_for_event(self, binary: bool | None = None) -> tuple[str | None, bool]:
        """(body, isBase64Encoded); `binary` forces the choice, else the content type decides."""
        if not self.body:
            return None, False
        if binary is None:
            content_type = (self.header("content-type") or "").lower()
            binary = not content_type.startswith(TEXT_TYPES) and not content_type.endswith(("+json", "+xml"))
        if not binary:
            try:
                return self.body.decode("utf-8"), False
            except UnicodeDecodeError:
                pass
        return base64.b64encode(self.body).decode("ascii"), True

    def request_time(self) -> str:
        """dd/Mon/yyyy:HH:MM:SS +0000, as requestContext carries it."""
        return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.received_at))
