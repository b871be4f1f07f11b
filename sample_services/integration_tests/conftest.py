"""Integration tests against a deployed bookshop: set BOOKSHOP_BASE_URL (the load balancer's http://<DNSName>).

Without it every test here is skipped, so the project's ordinary `pytest` run stays offline and fast. Module 08
runs them against what it deployed:

    BOOKSHOP_BASE_URL=http://<DNSName> python -m pytest sample_services/integration_tests
"""
import os
import uuid

import httpx
import pytest

BASE_URL_VARIABLE = "BOOKSHOP_BASE_URL"


def pytest_collection_modifyitems(config, items):
    if os.environ.get(BASE_URL_VARIABLE):
        return
    skip = pytest.mark.skip(reason=f"{BASE_URL_VARIABLE} is not set: no deployed bookshop to test")
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def base_url() -> str:
    return os.environ[BASE_URL_VARIABLE].rstrip("/")


@pytest.fixture(scope="session")
def bookshop(base_url):
    with httpx.Client(base_url=base_url, timeout=15) as client:
        yield client


@pytest.fixture
def correlation_id() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"
