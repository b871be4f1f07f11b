"""Fixtures: a stand-in catalog served over real HTTP, a fresh database per test, and a client for orders."""

import asyncio
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient

# Make `import orders_service` work when pytest runs from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orders_service.main import create_app  # noqa: E402
from orders_service.settings import Settings  # noqa: E402


@dataclass
class FakeCatalog:
    """What the stand-in catalog does (tests change it) and what it was asked (tests read it)."""

    url: str = ""
    prices: dict = field(default_factory=lambda: {1: 9.99, 2: 12.5, 8: 18.9})
    stock: dict = field(default_factory=lambda: {1: 12, 2: 7, 8: 2})
    behaviour: str = "ok"  # ok | errors | slow | not-the-catalog
    delay: float = 1.0
    calls: list = field(default_factory=list)
    confirmations: list = field(default_factory=list)
    reservations: dict = field(default_factory=dict)


def fake_catalog_app(fake: FakeCatalog) -> FastAPI:
    """The catalog's reservation contract, plus a notifier endpoint for the synchronous confirmation."""
    app = FastAPI()

    @app.put("/catalog/books/{book_id}/reservations/{reservation_id}")
    async def reserve(book_id: int, reservation_id: str, request: Request):
        body = await request.json()
        fake.calls.append({"path": request.url.path, "correlation_id": request.headers.get("x-correlation-id")})
        if fake.behaviour == "errors":
            raise HTTPException(500, "Injected fault")
        if fake.behaviour == "slow":
            await asyncio.sleep(fake.delay)
        if fake.behaviour == "not-the-catalog":
            raise HTTPException(404, "Not Found")
        if reservation_id in fake.reservations:
            return fake.reservations[reservation_id]
        if book_id not in fake.stock:
            raise HTTPException(404, "Book not found")
        if fake.stock[book_id] < body["quantity"]:
            raise HTTPException(409, f"Not enough stock for book {book_id}: {body['quantity']} requested, "
                                     f"{fake.stock[book_id]} left")
        fake.stock[book_id] -= body["quantity"]
        reservation = {"id": reservation_id, "book_id": book_id, "quantity": body["quantity"],
                       "unit_price": fake.prices[book_id]}
        fake.reservations[reservation_id] = reservation
        return reservation

    @app.post("/confirmations")
    async def confirm(request: Request):
        fake.confirmations.append({"event": await request.json(),
                                   "correlation_id": request.headers.get("x-correlation-id")})
        return {"confirmed": True}

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def catalog_server():
    """One stand-in catalog for the whole run, on a free loopback port, served by uvicorn in a thread."""
    fake = FakeCatalog()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fake_catalog_app(fake), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start within 5 s"
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def catalog(catalog_server) -> FakeCatalog:
    """The stand-in catalog, reset to its seeded, healthy state for each test."""
    fresh = FakeCatalog(url=catalog_server.url)
    catalog_server.__dict__.update(fresh.__dict__)
    return catalog_server


@pytest.fixture
def settings(tmp_path, catalog) -> Settings:
    return Settings(database_path=str(tmp_path / "orders.db"), version="9.9-test", catalog_url=catalog.url,
                    catalog_timeout_seconds=0.3, catalog_retries=2)


@pytest.fixture
def make_client(settings):
    """Start orders with some settings changed; the clients close at the end of the test."""
    clients = []

    def start(**changes) -> TestClient:
        client = TestClient(create_app(Settings(**{**settings.__dict__, **changes})))
        clients.append(client.__enter__())  # runs the lifespan, which creates the database
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()
