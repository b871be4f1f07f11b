"""The deployed bookshop, through its front door: each service answers its paths, and an order crosses services."""
import pytest

SERVICES = ("users", "catalog", "orders")
LISTS = {"users": "/users", "catalog": "/catalog/books", "orders": "/orders"}


@pytest.mark.parametrize("service", SERVICES)
def test_each_path_is_answered_by_its_own_service(bookshop, service):
    response = bookshop.get(LISTS[service])

    assert response.status_code == 200
    assert response.headers["x-served-by"].split("/")[0] == service


@pytest.mark.parametrize("service", SERVICES)
def test_no_fault_is_left_switched_on(bookshop, service):
    assert bookshop.get(f"/{service}/admin/faults").json()["mode"] == "off"


def test_an_order_takes_stock_from_the_catalog(bookshop, correlation_id):
    book = next(b for b in bookshop.get("/catalog/books").json() if b["stock"] >= 2)

    response = bookshop.post("/orders", json={"user_id": 1, "book_id": book["id"], "quantity": 2},
                             headers={"X-Correlation-Id": correlation_id})

    assert response.status_code == 201
    assert response.json()["total"] == round(2 * book["price"], 2)
    assert bookshop.get(f"/catalog/books/{book['id']}").json()["stock"] == book["stock"] - 2


def test_the_order_can_be_read_back(bookshop):
    book = next(b for b in bookshop.get("/catalog/books").json() if b["stock"] >= 1)
    placed = bookshop.post("/orders", json={"user_id": 1, "book_id": book["id"], "quantity": 1}).json()

    assert bookshop.get(f"/orders/{placed['id']}").json() == placed


def test_the_correlation_id_comes_back(bookshop, correlation_id):
    response = bookshop.get("/catalog/books", headers={"X-Correlation-Id": correlation_id})

    assert response.headers["x-correlation-id"] == correlation_id


def test_an_unknown_book_is_not_found_through_orders(bookshop):
    response = bookshop.post("/orders", json={"user_id": 1, "book_id": 999_999, "quantity": 1})

    assert response.status_code == 404
    assert response.json() == {"detail": "Book not found"}


def test_too_many_copies_is_a_conflict_and_takes_nothing(bookshop):
    book = next(b for b in bookshop.get("/catalog/books").json() if b["stock"] < 100)

    response = bookshop.post("/orders", json={"user_id": 1, "book_id": book["id"], "quantity": 100})

    assert response.status_code == 409
    assert bookshop.get(f"/catalog/books/{book['id']}").json()["stock"] == book["stock"]


def test_the_catalog_breaker_is_closed(bookshop):
    assert bookshop.get("/orders/admin/catalog-breaker").json()["state"] == "closed"
