import time

ORDER = {"user_id": 1, "book_id": 1, "quantity": 1}


def test_the_breaker_is_off_by_default_so_every_order_calls_catalog(make_client, catalog):
    client = make_client(catalog_retries=0)
    catalog.behaviour = "errors"
    assert [client.post("/orders", json=ORDER).status_code for _ in range(6)] == [503] * 6
    assert len(catalog.calls) == 6
    assert client.get("/admin/catalog-breaker").json() == {"enabled": False, "state": "closed", "failures": 0}


def test_an_open_breaker_fails_fast_without_calling_catalog(make_client, catalog):
    client = make_client(catalog_retries=0, catalog_circuit_breaker=True, catalog_breaker_failures=2,
                         catalog_breaker_reset_seconds=30)
    catalog.behaviour = "errors"
    assert [client.post("/orders", json=ORDER).status_code for _ in range(2)] == [503, 503]
    assert len(catalog.calls) == 2
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Catalog circuit breaker is open after 2 failed calls")
    assert response.headers["Retry-After"] == "30"
    assert len(catalog.calls) == 2
    assert client.get("/orders/admin/catalog-breaker").json() == {
        "enabled": True, "state": "open", "failures": 2, "fail_max": 2, "reset_seconds": 30}


def test_the_call_that_opens_the_breaker_keeps_its_own_cause(make_client, catalog):
    client = make_client(catalog_timeout_seconds=0.1, catalog_retries=0, catalog_circuit_breaker=True,
                         catalog_breaker_failures=1)
    catalog.behaviour, catalog.delay = "slow", 0.5
    assert client.post("/orders", json=ORDER).status_code == 504
    assert client.get("/admin/catalog-breaker").json()["state"] == "open"


def test_after_the_reset_timeout_one_successful_call_closes_the_breaker(make_client, catalog):
    client = make_client(catalog_retries=0, catalog_circuit_breaker=True, catalog_breaker_failures=1,
                         catalog_breaker_reset_seconds=0.2)
    catalog.behaviour = "errors"
    client.post("/orders", json=ORDER)
    catalog.behaviour = "ok"
    time.sleep(0.3)  # the breaker's own clock: it lets a trial call through once reset_timeout has passed
    assert client.post("/orders", json=ORDER).status_code == 201
    assert client.get("/admin/catalog-breaker").json()["state"] == "closed"


def test_business_answers_do_not_count_as_failures(make_client, catalog):
    client = make_client(catalog_circuit_breaker=True, catalog_breaker_failures=1)
    assert client.post("/orders", json={"user_id": 1, "book_id": 8, "quantity": 5}).status_code == 409
    assert client.post("/orders", json={"user_id": 1, "book_id": 999, "quantity": 1}).status_code == 404
    assert client.get("/admin/catalog-breaker").json()["state"] == "closed"
    assert client.post("/orders", json=ORDER).status_code == 201
