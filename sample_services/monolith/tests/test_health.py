import socket

from bookshop.settings import Settings


def test_health_reports_ok_and_version(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "9.9-test"}


def test_every_response_names_the_process_that_served_it(client):
    expected = f"monolith/9.9-test/{socket.gethostname()}"
    assert client.get("/health").headers["X-Served-By"] == expected
    assert client.get("/catalog/books/999").headers["X-Served-By"] == expected


def test_version_comes_from_app_version_and_defaults_to_1_0():
    assert Settings.from_env({}).version == "1.0"
    assert Settings.from_env({"APP_VERSION": "2.1"}).version == "2.1"
