"""The engine the image and container tests use: the workshop's client, with the base image present, or a skip
that says what to do."""
import docker
import pytest

from workshop.docker_client import EngineUnavailable, get_client
from workshop.settings import PYTHON_BASE_IMAGE


def engine_with_base_image():
    try:
        client = get_client()
        client.images.get(PYTHON_BASE_IMAGE)
    except EngineUnavailable as error:
        pytest.skip(str(error))
    except docker.errors.ImageNotFound:
        pytest.skip(f"{PYTHON_BASE_IMAGE} is not present: `make lab` prepares it")
    return client
