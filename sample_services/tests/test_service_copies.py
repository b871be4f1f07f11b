"""Files that each service carries its own copy of (an image is built from one folder) must stay the same."""

from pathlib import Path

import pytest

SAMPLE_SERVICES = Path(__file__).resolve().parents[1]
SERVICES = ("users", "catalog", "orders")


@pytest.mark.parametrize("name", ["faults.py", "observability.py"])
def test_the_copies_in_every_service_are_identical(name):
    copies = {service: (SAMPLE_SERVICES / service / f"{service}_service" / name).read_text() for service in SERVICES}
    different = [service for service, text in copies.items() if text != copies["users"]]
    assert not different, f"{name} differs in {different} from users: change all copies together"


def test_every_service_image_is_built_the_same_way():
    shapes = []
    for service in SERVICES:
        lines = (SAMPLE_SERVICES / service / "Dockerfile").read_text().replace(service, "SERVICE").splitlines()
        shapes.append([line for line in lines if not line.startswith("#")])
    assert shapes[0] == shapes[1] == shapes[2]
