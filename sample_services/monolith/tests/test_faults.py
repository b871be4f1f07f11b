import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from bookshop import payments
from bookshop.main import create_app
from bookshop.settings import Settings

ORDER = {"user_id": 1, "book_id": 1, "quantity": 1}


def test_settings_read_the_fault_switch_from_the_environment():
    settings = Settings.from_env({"ORDERS_FAULT": "block", "ORDERS_FAULT_SECONDS": "0.5"})
    assert (settings.orders_fault, settings.orders_fault_seconds) == ("block", 0.5)
    assert (Settings.from_env({}).orders_fault, Settings.from_env({}).orders_fault_seconds) == ("off", 5.0)


def test_unknown_fault_mode_fails_at_start_with_the_allowed_values():
    with pytest.raises(ValueError, match="ORDERS_FAULT must be one of off, block, crash; got 'slow'"):
        Settings.from_env({"ORDERS_FAULT": "slow"})


def test_fault_switch_starts_from_settings(tmp_path):
    settings = Settings(database_path=str(tmp_path / "b.db"), orders_fault="block", orders_fault_seconds=0.2)
    with TestClient(create_app(settings)) as client:
        assert client.get("/admin/faults/orders").json() == {"mode": "block", "seconds": 0.2}


def test_fault_switch_changes_at_runtime(client):
    assert client.get("/admin/faults/orders").json() == {"mode": "off", "seconds": 5.0}
    response = client.put("/admin/faults/orders", json={"mode": "block", "seconds": 0.1})
    assert response.status_code == 200
    assert client.get("/admin/faults/orders").json() == {"mode": "block", "seconds": 0.1}


def test_fault_switch_rejects_unknown_mode_and_negative_seconds(client):
    assert client.put("/admin/faults/orders", json={"mode": "slow"}).status_code == 422
    assert client.put("/admin/faults/orders", json={"mode": "block", "seconds": -1}).status_code == 422


def test_block_makes_each_order_wait_for_the_payment_provider(client):
    client.put("/admin/faults/orders", json={"mode": "block", "seconds": 0.2})
    started = time.monotonic()
    response = client.post("/orders", json=ORDER)
    assert response.status_code == 201
    assert time.monotonic() - started >= 0.2


def test_crash_exits_the_process(client, stop_exits):
    exit_codes = stop_exits(payments)
    client.put("/admin/faults/orders", json={"mode": "crash"})
    with pytest.raises(stop_exits.exited):
        client.post("/orders", json=ORDER)
    assert exit_codes == [1]
    assert client.get("/orders").json() == []


@pytest.fixture
def live_server(settings):
    """The app served by a real uvicorn on a free loopback port, in a thread of this process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start within 5 s"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def test_block_stalls_catalog_requests_in_the_same_process(live_server, monkeypatch):
    seconds = 0.5
    provider_called = threading.Event()
    real_wait = payments.wait_for_provider

    def wait_and_tell(delay):
        provider_called.set()
        real_wait(delay)

    monkeypatch.setattr(payments, "wait_for_provider", wait_and_tell)
    with httpx.Client(base_url=live_server, timeout=5) as http:
        started = time.monotonic()
        assert http.get("/catalog/books").status_code == 200
        unblocked = time.monotonic() - started
        http.put("/admin/faults/orders", json={"mode": "block", "seconds": seconds})

        order = threading.Thread(target=lambda: httpx.post(f"{live_server}/orders", json=ORDER, timeout=5))
        order.start()
        assert provider_called.wait(timeout=5)
        started = time.monotonic()
        assert http.get("/catalog/books").status_code == 200
        blocked = time.monotonic() - started
        order.join(timeout=5)

    # The catalog never calls the payment provider, yet it waits for the order that does.
    assert unblocked < seconds / 2
    assert blocked >= seconds * 0.8
