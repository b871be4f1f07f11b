"""Tests across the sample services: each package made importable as pytest runs from the repository root, and the
three split services offered one after the other to tests that check what they all do the same way."""

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

SAMPLE_SERVICES = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class SplitService:
    """One split service as the shared tests see it: its package and three of its own GET routes."""

    name: str
    listing: str  # answers 200 with a list
    found: str  # answers 200
    missing: str  # answers 404
    required_settings: dict = field(default_factory=dict)

    @property
    def package(self) -> str:
        return f"{self.name}_service"

    def module(self, name: str):
        """One of the service's own modules, e.g. module("faults") is users_service.faults."""
        return importlib.import_module(f"{self.package}.{name}")

    def settings(self, tmp_path: Path, **changes):
        return self.module("settings").Settings(database_path=str(tmp_path / f"{self.name}.db"), version="9.9-test",
                                                **self.required_settings, **changes)

    def create_app(self, settings):
        return self.module("main").create_app(settings)


SERVICES = (
    SplitService("users", listing="/users", found="/users/1", missing="/users/999"),
    SplitService("catalog", listing="/catalog/books", found="/catalog/books/1", missing="/catalog/books/999"),
    # Orders starts with no orders, so its listing is the route that answers 200. It refuses to start without a
    # catalog address; these tests place no order, so nothing needs to listen there.
    SplitService("orders", listing="/orders", found="/orders", missing="/orders/999",
                 required_settings={"catalog_url": "http://127.0.0.1:9"}),
)

for folder in ("monolith", *(service.name for service in SERVICES)):
    if str(SAMPLE_SERVICES / folder) not in sys.path:
        sys.path.insert(0, str(SAMPLE_SERVICES / folder))


@pytest.fixture(params=SERVICES, ids=lambda service: service.name)
def split_service(request) -> SplitService:
    return request.param


@pytest.fixture
def client(split_service, tmp_path):
    # The context manager runs the lifespan, which creates (and for users and catalog seeds) the database.
    with TestClient(split_service.create_app(split_service.settings(tmp_path))) as test_client:
        yield test_client
