"""Fixtures: a fresh database per test and a client for an app built with test settings."""

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

# Make `import users_service` work when pytest runs from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from users_service.main import create_app  # noqa: E402
from users_service.settings import Settings  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_path=str(tmp_path / "users.db"), version="9.9-test")


@pytest.fixture
def client(settings):
    # The context manager runs the lifespan, which creates and seeds the database.
    with TestClient(create_app(settings)) as test_client:
        yield test_client
