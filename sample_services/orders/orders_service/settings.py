"""Configuration, read once from environment variables."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .faults import FaultSwitch

SWITCH_WORDS = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False, "": False}


def switch(name: str, environ: Mapping[str, str]) -> bool:
    value = environ.get(name, "off").strip().lower()
    if value not in SWITCH_WORDS:
        raise ValueError(f"{name} must be on or off; got {value!r}")
    return SWITCH_WORDS[value]


@dataclass(frozen=True)
class Settings:
    database_path: str = "/tmp/orders.db"
    version: str = "1.0"
    fault: FaultSwitch = field(default_factory=FaultSwitch)
    # No default address: where catalog runs is the deployment's business (a load balancer, a container name).
    catalog_url: str = ""
    catalog_timeout_seconds: float = 2.0
    catalog_retries: int = 2
    catalog_circuit_breaker: bool = False
    catalog_breaker_failures: int = 5
    catalog_breaker_reset_seconds: float = 30.0
    order_events_topic_arn: str = ""
    confirmation_url: str = ""
    confirmation_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        # Fail at start-up with the fix in the message, not on the first order.
        if self.catalog_timeout_seconds <= 0:
            raise ValueError(f"CATALOG_TIMEOUT_SECONDS must be more than 0; got {self.catalog_timeout_seconds}")
        if not 0 <= self.catalog_retries <= 5:
            raise ValueError(f"CATALOG_RETRIES must be between 0 and 5; got {self.catalog_retries}")
        if self.catalog_breaker_failures < 1:
            raise ValueError(f"CATALOG_BREAKER_FAILURES must be 1 or more; got {self.catalog_breaker_failures}")
        if self.catalog_breaker_reset_seconds <= 0:
            raise ValueError(
                f"CATALOG_BREAKER_RESET_SECONDS must be more than 0; got {self.catalog_breaker_reset_seconds}")
        if self.catalog_url and not self.catalog_url.startswith(("http://", "https://")):
            raise ValueError(f"CATALOG_URL must start with http:// or https://; got {self.catalog_url!r}")
        arn = self.order_events_topic_arn
        if arn and not (arn.startswith("arn:") and len(arn.split(":")) == 6 and arn.split(":")[2] == "sns"):
            raise ValueError(f"ORDER_EVENTS_TOPIC_ARN must be an SNS topic ARN like "
                             f"arn:aws:sns:us-east-1:123456789012:order-events; got {arn!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from the environment variables listed in the service's README."""
        return cls(
            database_path=environ.get("DATABASE_PATH", cls.database_path),
            version=environ.get("APP_VERSION", cls.version),
            fault=FaultSwitch.from_env(environ),
            catalog_url=environ.get("CATALOG_URL", "").strip(),
            catalog_timeout_seconds=float(environ.get("CATALOG_TIMEOUT_SECONDS", cls.catalog_timeout_seconds)),
            catalog_retries=int(environ.get("CATALOG_RETRIES", cls.catalog_retries)),
            catalog_circuit_breaker=switch("CATALOG_CIRCUIT_BREAKER", environ),
            catalog_breaker_failures=int(environ.get("CATALOG_BREAKER_FAILURES", cls.catalog_breaker_failures)),
            catalog_breaker_reset_seconds=float(
                environ.get("CATALOG_BREAKER_RESET_SECONDS", cls.catalog_breaker_reset_seconds)),
            order_events_topic_arn=environ.get("ORDER_EVENTS_TOPIC_ARN", "").strip(),
            confirmation_url=environ.get("CONFIRMATION_URL", "").strip(),
            confirmation_timeout_seconds=float(
                environ.get("CONFIRMATION_TIMEOUT_SECONDS", cls.confirmation_timeout_seconds)),
        )
