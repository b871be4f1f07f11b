def reserve(client, book_id, reservation_id, quantity):
    return client.put(f"/catalog/books/{book_id}/reservations/{reservation_id}", json={"quantity": quantity})


def test_a_reservation_takes_stock_at_todays_price(client):
    response = reserve(client, 2, "r-1", 3)
    assert response.status_code == 201
    assert response.json() == {"id": "r-1", "book_id": 2, "quantity": 3, "unit_price": 12.5}
    assert client.get("/catalog/books/2").json()["stock"] == 4


def test_repeating_a_reservation_answers_the_same_and_takes_stock_once(client):
    first = reserve(client, 2, "r-1", 3)
    again = reserve(client, 2, "r-1", 3)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert client.get("/catalog/books/2").json()["stock"] == 4


def test_the_same_key_for_another_quantity_is_409(client):
    reserve(client, 2, "r-1", 3)
    response = reserve(client, 2, "r-1", 1)
    assert response.status_code == 409
    assert response.json() == {"detail": "Reservation r-1 already exists for another book or quantity"}


def test_reserving_more_than_stock_is_409_and_changes_nothing(client):
    response = reserve(client, 8, "r-1", 3)
    assert response.status_code == 409
    assert response.json() == {"detail": "Not enough stock for book 8: 3 requested, 2 left"}
    assert client.get("/catalog/books/8").json()["stock"] == 2
    assert reserve(client, 8, "r-1", 2).status_code == 201  # the failed attempt did not keep the key


def test_reserving_an_unknown_book_is_404(client):
    response = reserve(client, 999, "r-1", 1)
    assert response.status_code == 404
    assert response.json() == {"detail": "Book not found"}


def test_a_quantity_below_one_is_422(client):
    response = reserve(client, 1, "r-1", 0)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "quantity"]
