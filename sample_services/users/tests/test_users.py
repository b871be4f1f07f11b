def test_list_users_returns_the_seeded_users(client):
    response = client.get("/users")
    assert response.status_code == 200
    users = response.json()
    assert len(users) == 4
    assert users[0] == {"id": 1, "name": "Ada Fernandes", "email": "ada@example.com"}


def test_get_user(client):
    response = client.get("/users/2")
    assert response.status_code == 200
    assert response.json()["email"] == "kenji@example.com"


def test_get_unknown_user_is_404(client):
    response = client.get("/users/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_create_user(client):
    response = client.post("/users", json={"name": "Noor Haddad", "email": "noor@example.com"})
    assert response.status_code == 201
    created = response.json()
    assert created == {"id": 5, "name": "Noor Haddad", "email": "noor@example.com"}
    assert client.get("/users/5").json() == created


def test_create_user_with_bad_email_is_422(client):
    response = client.post("/users", json={"name": "Noor", "email": "not-an-email"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_create_user_with_taken_email_is_409(client):
    response = client.post("/users", json={"name": "Ada Again", "email": "ada@example.com"})
    assert response.status_code == 409
    assert response.json() == {"detail": "Email ada@example.com is already registered"}
