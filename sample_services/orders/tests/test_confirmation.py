import socket

ORDER = {"user_id": 1, "book_id": 1, "quantity": 1}


def test_a_synchronous_confirmation_waits_for_the_notifier(make_client, catalog):
    client = make_client(confirmation_url=f"{catalog.url}/confirmations")
    response = client.post("/orders", json=ORDER, headers={"X-Correlation-Id": "req-9"})
    assert response.status_code == 201
    assert response.headers["X-Confirmation"] == "sent"
    [confirmation] = catalog.confirmations
    assert confirmation["correlation_id"] == "req-9"
    assert (confirmation["event"]["type"], confirmation["event"]["order_id"]) == ("OrderPlaced", 1)


def test_a_failed_synchronous_confirmation_leaves_the_order_placed(make_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(confirmation_url=f"http://127.0.0.1:{closed_port}/confirmations")
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 201
    assert response.headers["X-Confirmation"] == "failed"
    assert client.get("/orders").json() == [response.json()]
