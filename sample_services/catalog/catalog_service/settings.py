"""Configuration, read once from environment variables."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .faults import FaultSwitch


@dataclass(frozen=True)
class Settings:
    database_path: str = "/tmp/catalog.db"
    version: str = "1.0"
    fault: FaultSwitch = field(default_factory=FaultSwitch)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from DATABASE_PATH, APP_VERSION and the fault switch's FAULT, FAULT_SECONDS, FAULT_RATE."""
        return cls(
            database_path=environ.get("DATABASE_PATH", cls.database_path),
            version=environ.get("APP_VERSION", cls.version),
            fault=FaultSwitch.from_env(environ),
        )
