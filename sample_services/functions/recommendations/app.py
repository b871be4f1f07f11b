"""Recommendations, an AWS Lambda function behind Amazon API Gateway: "books like this one".

GET /recommendations/{book_id}?limit=3 reaches it as an HTTP API event (payload format 2.0). It reads the catalog
over HTTP: from the stage variable `catalogUrl` when the API stage sets one, else from CATALOG_URL. Standard
library only, so the deployment package is this one file in a zip (handler `app.handler`).
"""

import json
import os
import re
import time
import urllib.error
import urllib.request
import uuid

CORRELATION_HEADER = "x-correlation-id"  # API Gateway's 2.0 events carry header names in lower case
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
CATALOG_TIMEOUT_SECONDS = float(os.environ.get("CATALOG_TIMEOUT_SECONDS", "2"))
DEFAULT_LIMIT, MAX_LIMIT = 3, 10


class CatalogUnavailable(Exception):
    pass


def handler(event, context):
    """Answer API Gateway with a proxy response: {"statusCode", "headers", "body"}."""
    started = time.perf_counter()
    headers = event.get("headers") or {}
    given_id = headers.get(CORRELATION_HEADER, "")
    correlation_id = given_id if ACCEPTED_ID.fullmatch(given_id) else uuid.uuid4().hex
    status, body = recommend(event, correlation_id)
    log(correlation_id, "recommendations", status=status, path=event.get("rawPath"),
        duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", "x-correlation-id": correlation_id},
        "body": json.dumps(body),
    }


def recommend(event: dict, correlation_id: str) -> tuple[int, dict]:
    """The status and body for one request."""
    book_id = (event.get("pathParameters") or {}).get("book_id", "")
    limit = (event.get("queryStringParameters") or {}).get("limit", str(DEFAULT_LIMIT))
    if not book_id.isdigit():
        return 400, {"message": f"book_id must be a whole number; got {book_id!r}"}
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        return 400, {"message": f"limit must be a whole number from 1 to {MAX_LIMIT}; got {limit!r}"}
    catalog_url = (event.get("stageVariables") or {}).get("catalogUrl") or os.environ.get("CATALOG_URL", "")
    if not catalog_url:
        return 500, {"message": "The function does not know where the catalog is: set the environment variable "
                                "CATALOG_URL (or the API stage variable catalogUrl) to the catalog's base URL"}
    try:
        books = fetch_books(catalog_url, correlation_id)
    except CatalogUnavailable as error:
        return 502, {"message": str(error)}
    book = next((b for b in books if b["id"] == int(book_id)), None)
    if book is None:
        return 404, {"message": f"Book {book_id} not found"}
    return 200, {"book_id": book["id"], "recommendations": similar_books(book, books, int(limit))}


def similar_books(book: dict, books: list[dict], limit: int) -> list[dict]:
    """Books in stock that are like `book`: the same author first, then the nearest in price."""
    others = [b for b in books if b["id"] != book["id"] and b.get("stock", 0) > 0]
    others.sort(key=lambda b: (b["author"] != book["author"], abs(b["price"] - book["price"]), b["id"]))
    return [{key: b[key] for key in ("id", "title", "author", "price")} for b in others[:limit]]


def fetch_books(catalog_url: str, correlation_id: str) -> list[dict]:
    """GET {catalog}/catalog/books, passing the correlation id on."""
    url = catalog_url.rstrip("/") + "/catalog/books"
    request = urllib.request.Request(url, headers={"X-Correlation-Id": correlation_id, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=CATALOG_TIMEOUT_SECONDS) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise CatalogUnavailable(f"Catalog answered {error.code} at {url}") from None
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise CatalogUnavailable(f"Catalog unreachable at {url} ({reason}); check CATALOG_URL") from None


def log(correlation_id: str, message: str, **fields) -> None:
    """One JSON line on stdout: Lambda sends it to CloudWatch Logs, where the correlation id finds it again."""
    print(json.dumps({"service": "recommendations", "correlation_id": correlation_id, "message": message, **fields}),
          flush=True)
