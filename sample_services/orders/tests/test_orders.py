import pytest
from fastapi.testclient import TestClient

from orders_service.main import create_app
from orders_service.settings import Settings


def test_no_orders_at_first(client):
    response = client.get("/orders")
    assert response.status_code == 200
    assert response.json() == []


def test_place_order_takes_the_price_and_the_stock_from_catalog(client, catalog):
    response = client.post("/orders", json={"user_id": 1, "book_id": 2, "quantity": 3})
    assert response.status_code == 201
    assert response.json() == {"id": 1, "user_id": 1, "book_id": 2, "quantity": 3, "total": 37.5}
    assert catalog.stock[2] == 4
    assert client.get("/orders/1").json() == response.json()
    assert client.get("/orders").json() == [response.json()]


def test_get_unknown_order_is_404(client):
    response = client.get("/orders/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Order not found"}


def test_order_more_than_stock_is_catalogs_409_and_records_nothing(client, catalog):
    response = client.post("/orders", json={"user_id": 1, "book_id": 8, "quantity": 3})
    assert response.status_code == 409
    assert response.json() == {"detail": "Not enough stock for book 8: 3 requested, 2 left"}
    assert client.get("/orders").json() == []


def test_order_for_unknown_book_is_404(client):
    response = client.post("/orders", json={"user_id": 1, "book_id": 999, "quantity": 1})
    assert response.status_code == 404
    assert response.json() == {"detail": "Book not found"}


def test_order_quantity_below_one_is_422_without_asking_catalog(client, catalog):
    response = client.post("/orders", json={"user_id": 1, "book_id": 1, "quantity": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "quantity"]
    assert catalog.calls == []


def test_orders_does_not_start_without_catalog_url(tmp_path):
    app = create_app(Settings(database_path=str(tmp_path / "o.db")))
    with pytest.raises(RuntimeError, match="CATALOG_URL is not set: orders needs the catalog's address"):
        with TestClient(app):
            pass


def test_catalog_settings_come_from_the_environment():
    settings = Settings.from_env({
        "CATALOG_URL": "http://catalog:8000", "CATALOG_TIMEOUT_SECONDS": "0.5", "CATALOG_RETRIES": "1",
        "CATALOG_CIRCUIT_BREAKER": "on", "CATALOG_BREAKER_FAILURES": "3", "CATALOG_BREAKER_RESET_SECONDS": "10",
    })
    assert (settings.catalog_url, settings.catalog_timeout_seconds, settings.catalog_retries) == (
        "http://catalog:8000", 0.5, 1)
    assert (settings.catalog_circuit_breaker, settings.catalog_breaker_failures,
            settings.catalog_breaker_reset_seconds) == (True, 3, 10.0)
    defaults = Settings.from_env({})
    assert (defaults.catalog_url, defaults.catalog_timeout_seconds, defaults.catalog_retries,
            defaults.catalog_circuit_breaker) == ("", 2.0, 2, False)


@pytest.mark.parametrize("environ, message", [
    ({"CATALOG_CIRCUIT_BREAKER": "maybe"}, "CATALOG_CIRCUIT_BREAKER must be on or off; got 'maybe'"),
    ({"CATALOG_RETRIES": "9"}, "CATALOG_RETRIES must be between 0 and 5; got 9"),
    ({"CATALOG_TIMEOUT_SECONDS": "0"}, "CATALOG_TIMEOUT_SECONDS must be more than 0; got 0.0"),
    ({"ORDER_EVENTS_TOPIC_ARN": "order-events"}, "ORDER_EVENTS_TOPIC_ARN must be an SNS topic ARN like"),
])
def test_a_bad_setting_fails_at_start_with_the_fix(environ, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(environ)


def test_catalog_url_must_be_a_url():
    with pytest.raises(ValueError, match="CATALOG_URL must start with http:// or https://; got 'catalog:8000'"):
        Settings.from_env({"CATALOG_URL": "catalog:8000"})
