"""ECR's registry credentials: user `AWS` and a password from `get_authorization_token`, sent as HTTP Basic auth."""
import base64
import binascii
import secrets
from datetime import datetime, timedelta, timezone

USERNAME = "AWS"
TOKEN_LIFETIME = timedelta(hours=12)  # as ECR's tokens


class Credentials:
    """The one password this registry accepts (new per start of the plane, like a token nobody kept)."""

    def __init__(self):
        self.password = secrets.token_urlsafe(48)

    def authorization_token(self) -> str:
        """What `get_authorization_token` returns: base64 of `AWS:<password>`."""
        return base64.b64encode(f"{USERNAME}:{self.password}".encode()).decode()

    @staticmethod
    def expires_at() -> datetime:
        return datetime.now(timezone.utc) + TOKEN_LIFETIME

    def auth_config(self) -> dict[str, str]:
        """For the docker SDK's `push`/`pull(auth_config=…)`."""
        return {"username": USERNAME, "password": self.password}

    def accepts(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header carries these credentials."""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == USERNAME and secrets.compare_digest(password, self.password)
