def test_no_orders_at_first(client):
    response = client.get("/orders")
    assert response.status_code == 200
    assert response.json() == []


def test_place_order_computes_total_and_takes_stock(client):
    response = client.post("/orders", json={"user_id": 1, "book_id": 2, "quantity": 3})
    assert response.status_code == 201
    assert response.json() == {"id": 1, "user_id": 1, "book_id": 2, "quantity": 3, "total": 37.5}
    assert client.get("/catalog/books/2").json()["stock"] == 4
    assert client.get("/orders/1").json() == response.json()
    assert client.get("/orders").json() == [response.json()]


def test_get_unknown_order_is_404(client):
    response = client.get("/orders/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Order not found"}


def test_order_more_than_stock_is_409_and_changes_nothing(client):
    response = client.post("/orders", json={"user_id": 1, "book_id": 8, "quantity": 3})
    assert response.status_code == 409
    assert response.json() == {"detail": "Not enough stock for book 8: 3 requested, 2 left"}
    assert client.get("/catalog/books/8").json()["stock"] == 2
    assert client.get("/orders").json() == []


def test_order_the_last_copies_then_one_more(client):
    assert client.post("/orders", json={"user_id": 1, "book_id": 8, "quantity": 2}).status_code == 201
    assert client.get("/catalog/books/8").json()["stock"] == 0
    assert client.post("/orders", json={"user_id": 2, "book_id": 8, "quantity": 1}).status_code == 409


def test_order_for_unknown_user_is_404(client):
    response = client.post("/orders", json={"user_id": 999, "book_id": 1, "quantity": 1})
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_order_for_unknown_book_is_404(client):
    response = client.post("/orders", json={"user_id": 1, "book_id": 999, "quantity": 1})
    assert response.status_code == 404
    assert response.json() == {"detail": "Book not found"}


def test_order_quantity_below_one_is_422(client):
    response = client.post("/orders", json={"user_id": 1, "book_id": 1, "quantity": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "quantity"]
