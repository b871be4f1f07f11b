import sys
from pathlib import Path

from fastapi.testclient import TestClient

# Make `import hello` work when pytest runs from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hello.main import app  # noqa: E402

client = TestClient(app)


def test_health_reports_ok_and_version():
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "hello", "version": "1.0"}


def test_hello_greets_by_name():
    response = client.get("/hello/Ada")
    assert response.status_code == 200
    assert response.json()["message"] == "Hello, Ada!"
