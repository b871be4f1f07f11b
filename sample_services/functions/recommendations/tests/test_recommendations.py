import importlib
import json
import socket
import sys
import zipfile
from pathlib import Path

import pytest


def api_event(book_id="1", limit=None, headers=None, stage_variables=None) -> dict:
    """An HTTP API (payload format 2.0) event as API Gateway sends it for GET /recommendations/{book_id}."""
    event = {
        "version": "2.0",
        "routeKey": "GET /recommendations/{book_id}",
        "rawPath": f"/recommendations/{book_id}",
        "rawQueryString": f"limit={limit}" if limit else "",
        "headers": headers or {},
        "pathParameters": {"book_id": book_id},
        "requestContext": {"http": {"method": "GET", "path": f"/recommendations/{book_id}"}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    if limit:
        event["queryStringParameters"] = {"limit": limit}
    if stage_variables:
        event["stageVariables"] = stage_variables
    return event


@pytest.fixture
def catalog_url(catalog, monkeypatch):
    monkeypatch.setenv("CATALOG_URL", catalog["url"])
    return catalog["url"]


def test_same_author_comes_first_then_the_nearest_price_and_only_books_in_stock(recommendations, catalog_url):
    response = recommendations.handler(api_event("1"), None)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    body = json.loads(response["body"])
    assert body["book_id"] == 1
    assert [book["id"] for book in body["recommendations"]] == [5, 6, 3]
    assert body["recommendations"][0] == {"id": 5, "title": "Persuasion", "author": "Jane Austen", "price": 15.0}


def test_limit_caps_the_list(recommendations, catalog_url):
    body = json.loads(recommendations.handler(api_event("2", limit="1"), None)["body"])
    assert [book["id"] for book in body["recommendations"]] == [6]


def test_the_correlation_id_is_passed_to_catalog_returned_and_logged(recommendations, catalog, catalog_url, capsys):
    response = recommendations.handler(api_event("1", headers={"x-correlation-id": "req-42"}), None)
    assert response["headers"]["x-correlation-id"] == "req-42"
    assert catalog["seen"][-1] == ("/catalog/books", "req-42")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["service"], line["correlation_id"], line["status"]) == ("recommendations", "req-42", 200)


def test_a_stage_variable_names_the_catalog_before_the_environment(recommendations, catalog, monkeypatch):
    monkeypatch.setenv("CATALOG_URL", "http://127.0.0.1:9/nowhere")
    event = api_event("1", stage_variables={"catalogUrl": catalog["url"]})
    assert recommendations.handler(event, None)["statusCode"] == 200


def test_unknown_book_is_404(recommendations, catalog_url):
    response = recommendations.handler(api_event("999"), None)
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "Book 999 not found"}


@pytest.mark.parametrize("book_id, limit, message", [
    ("abc", None, "book_id must be a whole number; got 'abc'"),
    ("1", "0", "limit must be a whole number from 1 to 10; got '0'"),
    ("1", "many", "limit must be a whole number from 1 to 10; got 'many'"),
])
def test_bad_input_is_400_with_what_is_wrong(recommendations, catalog_url, book_id, limit, message):
    response = recommendations.handler(api_event(book_id, limit=limit), None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": message}


def test_an_unreachable_catalog_is_502(recommendations, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("CATALOG_URL", f"http://127.0.0.1:{closed_port}")
    response = recommendations.handler(api_event("1"), None)
    assert response["statusCode"] == 502
    assert json.loads(response["body"])["message"].startswith(f"Catalog unreachable at http://127.0.0.1:{closed_port}")


def test_a_catalog_url_that_is_not_the_catalog_is_502(recommendations, catalog, monkeypatch):
    monkeypatch.setenv("CATALOG_URL", catalog["url"] + "/elsewhere")
    response = recommendations.handler(api_event("1"), None)
    assert response["statusCode"] == 502
    expected = f"Catalog answered 404 at {catalog['url']}/elsewhere/catalog/books"
    assert json.loads(response["body"]) == {"message": expected}


def test_without_a_catalog_address_the_answer_says_what_to_set(recommendations, monkeypatch):
    monkeypatch.delenv("CATALOG_URL", raising=False)
    response = recommendations.handler(api_event("1"), None)
    assert response["statusCode"] == 500
    assert "set the environment variable CATALOG_URL" in json.loads(response["body"])["message"]


def test_the_zip_deployment_package_is_app_py_alone(recommendations, catalog_url, tmp_path, monkeypatch):
    package = tmp_path / "recommendations.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(Path(recommendations.__file__), "app.py")
    # Lambda puts the package's root on the import path and imports the handler's module, `app`, from it.
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    try:
        handler = importlib.import_module("app").handler
        assert handler(api_event("1"), None)["statusCode"] == 200
    finally:
        sys.modules.pop("app", None)
