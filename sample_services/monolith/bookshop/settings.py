"""Configuration, read once from environment variables."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

FaultMode = Literal["off", "block", "crash"]
FAULT_MODES = get_args(FaultMode)


@dataclass(frozen=True)
class Settings:
    database_path: str = "/tmp/bookshop.db"
    orders_fault: FaultMode = "off"
    orders_fault_seconds: float = 5.0
    version: str = "1.0"

    def __post_init__(self) -> None:
        # Fail at start-up with the fix in the message, not on the first order.
        if self.orders_fault not in FAULT_MODES:
            raise ValueError(f"ORDERS_FAULT must be one of {', '.join(FAULT_MODES)}; got {self.orders_fault!r}")
        if self.orders_fault_seconds < 0:
            raise ValueError(f"ORDERS_FAULT_SECONDS must be 0 or more; got {self.orders_fault_seconds}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from DATABASE_PATH, ORDERS_FAULT, ORDERS_FAULT_SECONDS and APP_VERSION."""
        return cls(
            database_path=environ.get("DATABASE_PATH", cls.database_path),
            orders_fault=environ.get("ORDERS_FAULT", cls.orders_fault).strip().lower(),
            orders_fault_seconds=float(environ.get("ORDERS_FAULT_SECONDS", cls.orders_fault_seconds)),
            version=environ.get("APP_VERSION", cls.version),
        )
