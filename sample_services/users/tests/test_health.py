import json
import logging
import socket

from users_service.settings import Settings


def test_health_reports_ok_service_and_version(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "users", "version": "9.9-test"}


def test_every_response_names_the_process_that_served_it(client):
    expected = f"users/9.9-test/{socket.gethostname()}"
    assert client.get("/health").headers["X-Served-By"] == expected
    assert client.get("/users/999").headers["X-Served-By"] == expected


def test_version_comes_from_app_version_and_defaults_to_1_0():
    assert Settings.from_env({}).version == "1.0"
    assert Settings.from_env({"APP_VERSION": "2.1"}).version == "2.1"


def test_a_given_correlation_id_is_returned_and_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="users_service"):
        response = client.get("/users/1", headers={"X-Correlation-Id": "req-42"})
    assert response.headers["X-Correlation-Id"] == "req-42"
    [line] = [r for r in caplog.records if r.getMessage() == "request"]
    assert line.correlation_id == "req-42"
    assert (line.fields["method"], line.fields["path"], line.fields["status"]) == ("GET", "/users/1", 200)


def test_a_missing_or_unusable_correlation_id_is_replaced_by_a_new_one(client):
    first = client.get("/users").headers["X-Correlation-Id"]
    unusable = {"X-Correlation-Id": "bad id\twith spaces"}
    second = client.get("/users", headers=unusable).headers["X-Correlation-Id"]
    assert len(first) == len(second) == 32 and first != second


def test_log_lines_are_json_with_service_version_and_correlation_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="users_service"):
        client.get("/users/999", headers={"X-Correlation-Id": "req-7"})
    [handler] = logging.getLogger("users_service").handlers
    [record] = [r for r in caplog.records if r.getMessage() == "request"]
    line = json.loads(handler.formatter.format(record))
    assert {k: line[k] for k in ("level", "service", "version", "correlation_id", "message", "status")} == {
        "level": "INFO", "service": "users", "version": "9.9-test", "correlation_id": "req-7",
        "message": "request", "status": 404,
    }


def test_health_checks_are_not_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="users_service"):
        client.get("/health")
    assert [r for r in caplog.records if r.getMessage() == "request"] == []


def test_an_unhandled_error_is_logged_with_its_correlation_id(settings, caplog):
    from fastapi.testclient import TestClient

    from users_service.db import get_db
    from users_service.main import create_app

    def broken_db():
        raise RuntimeError("disk on fire")

    app = create_app(settings)
    app.dependency_overrides[get_db] = broken_db
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO, "users_service"):
        assert client.get("/users/1", headers={"X-Correlation-Id": "req-500"}).status_code == 500
    [record] = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert (record.correlation_id, record.fields["path"]) == ("req-500", "/users/1")
    [handler] = logging.getLogger("users_service").handlers
    assert "disk on fire" in json.loads(handler.formatter.format(record))["error"]
