"""The fault switch (modules 05 and 08) behaves the same in users, catalog and orders: each carries a copy."""

import pytest
from fastapi.testclient import TestClient


def test_settings_read_the_fault_switch_from_the_environment(split_service):
    Settings = split_service.module("settings").Settings
    fault = Settings.from_env({"FAULT": "slow", "FAULT_SECONDS": "0.5", "FAULT_RATE": "0.25"}).fault
    assert fault.model_dump() == {"mode": "slow", "seconds": 0.5, "rate": 0.25}
    assert Settings.from_env({}).fault.model_dump() == {"mode": "off", "seconds": 5.0, "rate": 1.0}


@pytest.mark.parametrize("environ, message", [
    ({"FAULT": "block"}, "FAULT must be one of off, crash, slow, errors; got 'block'"),
    ({"FAULT_SECONDS": "-1"}, "FAULT_SECONDS must be 0 or more; got -1.0"),
    ({"FAULT_RATE": "2"}, "FAULT_RATE must be between 0 and 1; got 2.0"),
], ids=["unknown-mode", "negative-seconds", "rate-above-1"])
def test_a_bad_fault_setting_fails_at_start_with_the_fix(split_service, environ, message):
    with pytest.raises(ValueError, match=message):
        split_service.module("settings").Settings.from_env(environ)


def test_fault_switch_starts_from_settings(split_service, tmp_path):
    fault = split_service.module("faults").FaultSwitch(mode="errors", rate=0.5)
    with TestClient(split_service.create_app(split_service.settings(tmp_path, fault=fault))) as client:
        assert client.get("/admin/faults").json() == {"mode": "errors", "seconds": 5.0, "rate": 0.5}


def test_fault_switch_changes_at_runtime_also_through_the_service_prefix(split_service, client):
    assert client.put(f"/{split_service.name}/admin/faults", json={"mode": "slow", "seconds": 0.1}).status_code == 200
    assert client.get("/admin/faults").json() == {"mode": "slow", "seconds": 0.1, "rate": 1.0}


def test_fault_switch_rejects_unknown_mode_and_out_of_range_values(client):
    assert client.put("/admin/faults", json={"mode": "block"}).status_code == 422
    assert client.put("/admin/faults", json={"mode": "slow", "seconds": -1}).status_code == 422
    assert client.put("/admin/faults", json={"mode": "errors", "rate": 1.5}).status_code == 422


def test_errors_break_the_service_routes_but_not_health_or_the_switch(split_service, client):
    client.put("/admin/faults", json={"mode": "errors"})
    response = client.get(split_service.listing)
    assert response.status_code == 500
    assert "Injected fault" in response.json()["detail"]
    assert client.get("/health").status_code == 200
    assert client.put("/admin/faults", json={"mode": "off"}).status_code == 200
    assert client.get(split_service.listing).status_code == 200


def test_a_rate_of_zero_affects_no_request(split_service, client):
    client.put("/admin/faults", json={"mode": "errors", "rate": 0})
    assert {client.get(split_service.listing).status_code for _ in range(5)} == {200}


def test_slow_makes_each_request_wait(split_service, client, monkeypatch):
    waited = []

    async def record_wait(seconds):
        waited.append(seconds)

    monkeypatch.setattr(split_service.module("faults"), "slow_down", record_wait)
    client.put("/admin/faults", json={"mode": "slow", "seconds": 0.3})
    assert client.get(split_service.found).status_code == 200
    assert waited == [0.3]


def test_crash_exits_the_process(split_service, client, stop_exits):
    exit_codes = stop_exits(split_service.module("faults"))
    client.put("/admin/faults", json={"mode": "crash"})
    with pytest.raises(stop_exits.exited):
        client.get(split_service.listing)
    assert exit_codes == [1]
