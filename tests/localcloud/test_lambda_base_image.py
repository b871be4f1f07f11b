"""The Lambda base image learners start FROM behaves like the official one; its runtime client comes pinned."""
import pytest

from localcloud import engine as docker_engine
from setup.wheelhouse import wheelhouse_requirements
from workshop.settings import LAMBDA_PYTHON_BASE_IMAGE, STANDIN_LABEL


def test_the_wheelhouse_carries_the_pinned_runtime_interface_client():
    pins = [line for line in wheelhouse_requirements() if line.startswith("awslambdaric")]
    assert len(pins) == 1 and "==" in pins[0]


@pytest.mark.docker
def test_the_base_image_has_the_official_layout():
    config = docker_engine.client().images.get(LAMBDA_PYTHON_BASE_IMAGE).attrs["Config"]
    assert "LAMBDA_TASK_ROOT=/var/task" in config["Env"]
    assert config["WorkingDir"] == "/var/task"
    if STANDIN_LABEL in (config.get("Labels") or {}):
        assert config["Entrypoint"] == ["/lambda-entrypoint.sh"]


@pytest.mark.docker
def test_the_base_image_says_what_to_do_when_run_without_the_local_cloud():
    engine = docker_engine.client()
    if STANDIN_LABEL not in (engine.images.get(LAMBDA_PYTHON_BASE_IMAGE).labels or {}):
        pytest.skip("the official image runs its emulator instead")
    container = engine.containers.run(LAMBDA_PYTHON_BASE_IMAGE, ["app.handler"], detach=True)
    try:
        assert container.wait(timeout=30)["StatusCode"] == 1
        assert b"create a Lambda function from this image in the local cloud" in container.logs()
    finally:
        container.remove(force=True)
