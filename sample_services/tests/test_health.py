"""Health, X-Served-By, correlation ids and JSON log lines behave the same in users, catalog and orders."""

import json
import logging
import socket

from fastapi.testclient import TestClient


def test_health_reports_ok_service_and_version(split_service, client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": split_service.name, "version": "9.9-test"}


def test_every_response_names_the_process_that_served_it(split_service, client):
    expected = f"{split_service.name}/9.9-test/{socket.gethostname()}"
    assert client.get("/health").headers["X-Served-By"] == expected
    assert client.get(split_service.missing).headers["X-Served-By"] == expected


def test_version_comes_from_app_version_and_defaults_to_1_0(split_service):
    Settings = split_service.module("settings").Settings
    assert Settings.from_env({}).version == "1.0"
    assert Settings.from_env({"APP_VERSION": "2.1"}).version == "2.1"


def test_a_given_correlation_id_is_returned_and_logged(split_service, client, caplog):
    with caplog.at_level(logging.INFO, logger=split_service.package):
        response = client.get(split_service.found, headers={"X-Correlation-Id": "req-42"})
    assert response.headers["X-Correlation-Id"] == "req-42"
    [line] = [r for r in caplog.records if r.getMessage() == "request"]
    assert line.correlation_id == "req-42"
    assert (line.fields["method"], line.fields["path"], line.fields["status"]) == ("GET", split_service.found, 200)


def test_a_missing_or_unusable_correlation_id_is_replaced_by_a_new_one(split_service, client):
    first = client.get(split_service.listing).headers["X-Correlation-Id"]
    unusable = {"X-Correlation-Id": "bad id\twith spaces"}
    second = client.get(split_service.listing, headers=unusable).headers["X-Correlation-Id"]
    assert len(first) == len(second) == 32 and first != second


def test_log_lines_are_json_with_service_version_and_correlation_id(split_service, client, caplog):
    with caplog.at_level(logging.INFO, logger=split_service.package):
        client.get(split_service.missing, headers={"X-Correlation-Id": "req-7"})
    [handler] = logging.getLogger(split_service.package).handlers
    [record] = [r for r in caplog.records if r.getMessage() == "request"]
    line = json.loads(handler.formatter.format(record))
    assert {k: line[k] for k in ("level", "service", "version", "correlation_id", "message", "status")} == {
        "level": "INFO", "service": split_service.name, "version": "9.9-test", "correlation_id": "req-7",
        "message": "request", "status": 404,
    }


def test_health_checks_are_not_logged(split_service, client, caplog):
    with caplog.at_level(logging.INFO, logger=split_service.package):
        client.get("/health")
    assert [r for r in caplog.records if r.getMessage() == "request"] == []


def test_an_unhandled_error_is_logged_with_its_correlation_id(split_service, tmp_path, caplog):
    def broken_db():
        raise RuntimeError("disk on fire")

    app = split_service.create_app(split_service.settings(tmp_path))
    app.dependency_overrides[split_service.module("db").get_db] = broken_db
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO, split_service.package):
        assert client.get(split_service.found, headers={"X-Correlation-Id": "req-500"}).status_code == 500
    [record] = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert (record.correlation_id, record.fields["path"]) == ("req-500", split_service.found)
    [handler] = logging.getLogger(split_service.package).handlers
    assert "disk on fire" in json.loads(handler.formatter.format(record))["error"]
