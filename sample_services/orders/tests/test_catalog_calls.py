import socket

ORDER = {"user_id": 1, "book_id": 1, "quantity": 1}


def test_the_correlation_id_travels_to_catalog_and_back(client, catalog):
    response = client.post("/orders", json=ORDER, headers={"X-Correlation-Id": "req-42"})
    assert response.status_code == 201
    assert response.headers["X-Correlation-Id"] == "req-42"
    assert [call["correlation_id"] for call in catalog.calls] == ["req-42"]


def test_a_new_correlation_id_is_passed_on_when_the_caller_sent_none(client, catalog):
    response = client.post("/orders", json=ORDER)
    assert catalog.calls[0]["correlation_id"] == response.headers["X-Correlation-Id"]


def test_catalog_errors_are_retried_a_bounded_number_of_times(client, catalog):
    catalog.behaviour = "errors"
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 503
    assert response.json() == {"detail": "Catalog answered 500: Injected fault (3 attempts); try again later"}
    assert len(catalog.calls) == 3  # the first attempt and CATALOG_RETRIES=2 retries
    assert client.get("/orders").json() == []


def test_every_attempt_uses_one_reservation_key_so_stock_is_taken_once(make_client, catalog):
    client = make_client(catalog_timeout_seconds=0.2)
    catalog.behaviour, catalog.delay = "slow", 0.5
    assert client.post("/orders", json=ORDER).status_code == 504
    assert len(catalog.calls) == 3
    assert len({call["path"] for call in catalog.calls}) == 1  # however many arrive, they reserve once


def test_a_slow_catalog_makes_orders_answer_504_after_the_timeout(make_client, catalog):
    client = make_client(catalog_timeout_seconds=0.2, catalog_retries=1)
    catalog.behaviour, catalog.delay = "slow", 1.0
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 504
    assert response.json() == {"detail": "Catalog did not answer within 0.2 s (2 attempts); try again later"}
    assert len(catalog.calls) == 2


def test_an_unreachable_catalog_is_503(make_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(catalog_url=f"http://127.0.0.1:{closed_port}", catalog_retries=0)
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 503
    assert response.json()["detail"].startswith(f"Catalog unreachable at http://127.0.0.1:{closed_port} (ConnectError")


def test_a_404_that_is_not_catalogs_says_to_check_catalog_url(client, catalog):
    catalog.behaviour = "not-the-catalog"
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 502
    assert "check that CATALOG_URL" in response.json()["detail"]
    assert len(catalog.calls) == 1  # a retry would not help
