"""The module 02 check: a good Dockerfile passes; root, a wrong port and a broken build each get one line."""
import os
import socket

import docker
import pytest

from workshop.checks import ExerciseIncomplete, unanswered
from workshop.checks.docker_images import check_dockerfile
from workshop.docker_client import EngineUnavailable, get_client
from workshop.images import BuildDisplay
from workshop.settings import PYTHON_BASE_IMAGE

GOOD = f"""FROM {PYTHON_BASE_IMAGE}
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
RUN useradd --uid 10001 app
COPY hello ./hello
USER app
CMD ["uvicorn", "hello.main:app", "--host", "0.0.0.0", "--port", "8000"]
"""


def test_the_placeholder_gets_the_unanswered_message():
    with pytest.raises(ExerciseIncomplete, match="still `...`") as incomplete:
        check_dockerfile(...)
    assert str(incomplete.value) == unanswered("dockerfile")


@pytest.fixture(scope="module")
def client():
    try:
        client = get_client()
        client.images.get(PYTHON_BASE_IMAGE)
    except EngineUnavailable as error:
        pytest.skip(str(error))
    except docker.errors.ImageNotFound:
        pytest.skip(f"{PYTHON_BASE_IMAGE} is not present: `make lab` prepares it")
    return client


@pytest.fixture
def check(client, tmp_path):
    """check_dockerfile with a name, tag, port and folder of this test's own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = dict(port=port, name=f"workshop-test-check-{os.getpid()}", tag=f"workshop-test/check:{os.getpid()}",
                   folder=tmp_path / "hello", display=BuildDisplay())

    def run(dockerfile):
        return check_dockerfile(dockerfile, **options)

    yield run
    for container in client.containers.list(all=True, filters={"name": options["name"]}):
        container.remove(force=True)


def assert_cleaned_up(client, name, tag):
    assert not client.containers.list(all=True, filters={"name": name})
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(tag)


@pytest.mark.docker
def test_a_good_dockerfile_passes_and_the_check_cleans_up(client, check, capsys):
    check(GOOD)
    assert "✔" in capsys.readouterr().out
    assert_cleaned_up(client, f"workshop-test-check-{os.getpid()}", f"workshop-test/check:{os.getpid()}")


@pytest.mark.docker
def test_a_container_running_as_root_is_caught(client, check):
    with pytest.raises(ExerciseIncomplete, match="runs as root .*add a USER line"):
        check(GOOD.replace("USER app\n", ""))
    assert_cleaned_up(client, f"workshop-test-check-{os.getpid()}", f"workshop-test/check:{os.getpid()}")


@pytest.mark.docker
def test_a_server_on_another_port_is_caught(check):
    with pytest.raises(ExerciseIncomplete, match="nothing answers on port 8000: .*8080"):
        check(GOOD.replace('"--port", "8000"', '"--port", "8080"'))


@pytest.mark.docker
def test_a_server_on_loopback_only_is_caught(check):
    with pytest.raises(ExerciseIncomplete, match="nothing answers on port 8000: .*127.0.0.1:8000 only"):
        check(GOOD.replace('"0.0.0.0"', '"127.0.0.1"'))


@pytest.mark.docker
def test_a_failing_build_names_its_step(check):
    with pytest.raises(ExerciseIncomplete, match=r"the build failed at step 3 \(COPY requirements.txt"):
        check(GOOD.replace("COPY requirements.txt .", "COPY requirements.txt missing.txt ."))


@pytest.mark.docker
def test_a_container_without_the_code_says_to_copy_it(check):
    with pytest.raises(ExerciseIncomplete, match="No module named 'hello'.*COPY the hello/ folder"):
        check(GOOD.replace("COPY hello ./hello\n", ""))
