"""Orders and the real catalog service, each served by uvicorn on loopback, talking HTTP as in a deployment."""

import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from catalog_service.main import create_app as create_catalog
from catalog_service.settings import Settings as CatalogSettings
from orders_service.main import create_app as create_orders
from orders_service.settings import Settings as OrdersSettings


def serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start within 5 s"
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture
def shop(tmp_path):
    """Catalog, then orders pointed at it through CATALOG_URL."""
    running = []
    catalog_url, *handle = serve(create_catalog(CatalogSettings(database_path=str(tmp_path / "catalog.db"))))
    running.append(handle)
    orders_settings = OrdersSettings(database_path=str(tmp_path / "orders.db"), catalog_url=catalog_url,
                                     catalog_timeout_seconds=0.5, catalog_retries=1)
    orders_url, *handle = serve(create_orders(orders_settings))
    running.append(handle)
    yield {"catalog": httpx.Client(base_url=catalog_url), "orders": httpx.Client(base_url=orders_url)}
    for server, thread in reversed(running):
        server.should_exit = True
        thread.join(timeout=5)


def test_an_order_takes_the_stock_from_the_catalog_service(shop):
    response = shop["orders"].post("/orders", json={"user_id": 1, "book_id": 2, "quantity": 3})
    assert response.status_code == 201
    assert response.json() == {"id": 1, "user_id": 1, "book_id": 2, "quantity": 3, "total": 37.5}
    assert shop["catalog"].get("/catalog/books/2").json()["stock"] == 4


def test_catalogs_refusal_reaches_the_caller_unchanged(shop):
    response = shop["orders"].post("/orders", json={"user_id": 1, "book_id": 8, "quantity": 3})
    assert response.status_code == 409
    assert response.json() == {"detail": "Not enough stock for book 8: 3 requested, 2 left"}


def test_one_correlation_id_is_in_both_services_log_lines(shop, caplog):
    with caplog.at_level(logging.INFO):
        shop["orders"].post("/orders", json={"user_id": 1, "book_id": 1, "quantity": 1},
                            headers={"X-Correlation-Id": "trail-1"})
    logged_by = {record.name for record in caplog.records if getattr(record, "correlation_id", None) == "trail-1"}
    assert logged_by == {"orders_service", "catalog_service"}


def test_a_slow_catalog_makes_orders_answer_504_and_orders_recover_with_it(shop):
    shop["catalog"].put("/admin/faults", json={"mode": "slow", "seconds": 2})
    response = shop["orders"].post("/orders", json={"user_id": 1, "book_id": 1, "quantity": 1})
    assert response.status_code == 504
    shop["catalog"].put("/admin/faults", json={"mode": "off"})
    assert shop["orders"].post("/orders", json={"user_id": 1, "book_id": 1, "quantity": 1}).status_code == 201
