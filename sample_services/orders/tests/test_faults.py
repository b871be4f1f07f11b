import pytest

from orders_service import faults
from orders_service.settings import Settings


def test_settings_read_the_fault_switch_from_the_environment():
    fault = Settings.from_env({"FAULT": "slow", "FAULT_SECONDS": "0.5", "FAULT_RATE": "0.25"}).fault
    assert fault.model_dump() == {"mode": "slow", "seconds": 0.5, "rate": 0.25}
    assert Settings.from_env({}).fault.model_dump() == {"mode": "off", "seconds": 5.0, "rate": 1.0}


@pytest.mark.parametrize("environ, message", [
    ({"FAULT": "block"}, "FAULT must be one of off, crash, slow, errors; got 'block'"),
    ({"FAULT_SECONDS": "-1"}, "FAULT_SECONDS must be 0 or more; got -1.0"),
    ({"FAULT_RATE": "2"}, "FAULT_RATE must be between 0 and 1; got 2.0"),
])
def test_a_bad_fault_setting_fails_at_start_with_the_fix(environ, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(environ)


def test_fault_switch_starts_from_settings(make_client):
    client = make_client(fault=faults.FaultSwitch(mode="errors", rate=0.5))
    assert client.get("/admin/faults").json() == {"mode": "errors", "seconds": 5.0, "rate": 0.5}


def test_fault_switch_changes_at_runtime_also_through_the_service_prefix(client):
    assert client.put("/orders/admin/faults", json={"mode": "slow", "seconds": 0.1}).status_code == 200
    assert client.get("/admin/faults").json() == {"mode": "slow", "seconds": 0.1, "rate": 1.0}


def test_fault_switch_rejects_unknown_mode_and_out_of_range_values(client):
    assert client.put("/admin/faults", json={"mode": "block"}).status_code == 422
    assert client.put("/admin/faults", json={"mode": "slow", "seconds": -1}).status_code == 422
    assert client.put("/admin/faults", json={"mode": "errors", "rate": 1.5}).status_code == 422


def test_errors_break_the_service_routes_but_not_health_or_the_switch(client):
    client.put("/admin/faults", json={"mode": "errors"})
    response = client.get("/orders")
    assert response.status_code == 500
    assert "Injected fault" in response.json()["detail"]
    assert client.get("/health").status_code == 200
    assert client.put("/admin/faults", json={"mode": "off"}).status_code == 200
    assert client.get("/orders").status_code == 200


def test_a_rate_of_zero_affects_no_request(client):
    client.put("/admin/faults", json={"mode": "errors", "rate": 0})
    assert {client.get("/orders").status_code for _ in range(5)} == {200}


def test_slow_makes_each_request_wait(client, monkeypatch):
    waited = []

    async def record_wait(seconds):
        waited.append(seconds)

    monkeypatch.setattr(faults, "slow_down", record_wait)
    client.put("/admin/faults", json={"mode": "slow", "seconds": 0.3})
    assert client.get("/orders").status_code == 200
    assert waited == [0.3]


def test_crash_exits_the_process(client, monkeypatch):
    class ProcessExited(Exception):
        pass

    exit_codes = []

    def fake_exit(code):
        exit_codes.append(code)
        raise ProcessExited  # stands in for the real exit, which never returns

    monkeypatch.setattr(faults, "exit_process", fake_exit)
    client.put("/admin/faults", json={"mode": "crash"})
    with pytest.raises(ProcessExited):
        client.get("/orders")
    assert exit_codes == [1]
