def test_list_books_returns_the_seeded_catalog(client):
    response = client.get("/catalog/books")
    assert response.status_code == 200
    books = response.json()
    assert len(books) == 8
    assert books[0] == {"id": 1, "title": "Pride and Prejudice", "author": "Jane Austen", "price": 9.99, "stock": 12}


def test_get_book(client):
    response = client.get("/catalog/books/2")
    assert response.status_code == 200
    assert response.json()["title"] == "Moby-Dick"


def test_get_unknown_book_is_404(client):
    response = client.get("/catalog/books/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Book not found"}


def test_create_book(client):
    book = {"title": "Emma", "author": "Jane Austen", "price": 8.5, "stock": 3}
    response = client.post("/catalog/books", json=book)
    assert response.status_code == 201
    assert response.json() == {"id": 9, **book}
    assert client.get("/catalog/books/9").json() == {"id": 9, **book}


def test_create_book_with_zero_price_is_422(client):
    response = client.post("/catalog/books", json={"title": "Emma", "author": "Jane Austen", "price": 0, "stock": 3})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "price"]


def test_create_book_with_negative_stock_is_422(client):
    response = client.post("/catalog/books", json={"title": "Emma", "author": "Jane Austen", "price": 5, "stock": -1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "stock"]
