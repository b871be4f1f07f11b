"""The strangler step of module 03 moves paths from the monolith to a service behind one load balancer: the service
must answer those paths as the monolith did, so a caller cannot tell which one answered (but for X-Served-By)."""

import pytest
from bookshop.main import create_app as create_monolith
from bookshop.settings import Settings as MonolithSettings
from catalog_service.main import create_app as create_catalog
from catalog_service.settings import Settings as CatalogSettings
from fastapi.testclient import TestClient
from users_service.main import create_app as create_users
from users_service.settings import Settings as UsersSettings


@pytest.fixture
def monolith(tmp_path):
    with TestClient(create_monolith(MonolithSettings(database_path=str(tmp_path / "bookshop.db")))) as client:
        yield client


@pytest.fixture
def services(tmp_path):
    users = TestClient(create_users(UsersSettings(database_path=str(tmp_path / "users.db"))))
    catalog = TestClient(create_catalog(CatalogSettings(database_path=str(tmp_path / "catalog.db"))))
    with users, catalog:
        yield {"users": users, "catalog": catalog}


@pytest.mark.parametrize("service, path", [
    ("users", "/users"), ("users", "/users/2"), ("users", "/users/999"),
    ("catalog", "/catalog/books"), ("catalog", "/catalog/books/5"), ("catalog", "/catalog/books/999"),
])
def test_a_moved_path_answers_as_the_monolith_did(monolith, services, service, path):
    before, after = monolith.get(path), services[service].get(path)
    assert (after.status_code, after.json()) == (before.status_code, before.json())
    assert after.headers["X-Served-By"].startswith(f"{service}/")
    assert before.headers["X-Served-By"].startswith("monolith/")


def test_creating_moves_too(monolith, services):
    book = {"title": "Emma", "author": "Jane Austen", "price": 8.5, "stock": 3}
    moved = services["catalog"].post("/catalog/books", json=book)
    assert moved.json() == monolith.post("/catalog/books", json=book).json()
    user = {"name": "Noor Haddad", "email": "noor@example.com"}
    assert services["users"].post("/users", json=user).json() == monolith.post("/users", json=user).json()
