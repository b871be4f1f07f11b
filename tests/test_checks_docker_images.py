"""The module 02 checks: a good Dockerfile passes; root, a wrong port and a broken build each get one line. A good
HEALTHCHECK passes; curl, slow or eager timing and a probe that tests nothing each get one line."""
import os
import socket

import docker
import pytest

from tests.engine_fixtures import engine_with_base_image
from workshop.checks import ExerciseIncomplete, unanswered
from workshop.checks.docker_images import check_dockerfile, check_healthcheck, healthcheck_dockerfile
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
    client = engine_with_base_image()
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


# --- 02.2: the health check ---------------------------------------------------------------------------------------

PROBE = ('CMD ["python", "-c", "import urllib.request; '
         'urllib.request.urlopen(\'http://127.0.0.1:8000/health\', timeout=1)"]')
GOOD_HEALTHCHECK = f"HEALTHCHECK --interval=2s --timeout=2s --retries=3 {PROBE}"


def test_the_healthcheck_placeholder_gets_the_unanswered_message():
    with pytest.raises(ExerciseIncomplete) as incomplete:
        check_healthcheck(...)
    assert str(incomplete.value) == unanswered("healthcheck_instruction")


@pytest.mark.parametrize("answer, message", [
    ('CMD ["python", "-c", "print(1)"]', "starts with HEALTHCHECK"),
    ("HEALTHCHECK NONE", "switches health checks off"),
])
def test_a_line_that_is_no_health_check_is_caught_before_any_build(answer, message):
    with pytest.raises(ExerciseIncomplete, match=message):
        check_healthcheck(answer)


def test_the_hello_dockerfile_gets_the_line_before_cmd():
    lines = healthcheck_dockerfile(f"  {GOOD_HEALTHCHECK}\n").splitlines()
    assert lines[-2] == GOOD_HEALTHCHECK and lines[-1].startswith("CMD ")


@pytest.fixture
def check_health(client, tmp_path):
    """check_healthcheck with container names, tag and folder of this test's own."""
    options = dict(name=f"workshop-test-health-{os.getpid()}", no_server_name=f"workshop-test-idle-{os.getpid()}",
                   tag=f"workshop-test/health:{os.getpid()}", folder=tmp_path / "hello", display=BuildDisplay())

    def run(instruction):
        return check_healthcheck(instruction, **options)

    yield run
    for name in (options["name"], options["no_server_name"]):
        for container in client.containers.list(all=True, filters={"name": name}):
            container.remove(force=True)


@pytest.mark.docker
def test_a_good_health_check_passes_and_the_check_cleans_up(client, check_health, capsys):
    check_health(GOOD_HEALTHCHECK)
    assert capsys.readouterr().out.startswith("✔ Docker said healthy")
    assert_cleaned_up(client, f"workshop-test-health-{os.getpid()}", f"workshop-test/health:{os.getpid()}")
    assert not client.containers.list(all=True, filters={"name": f"workshop-test-idle-{os.getpid()}"})


@pytest.mark.docker
def test_curl_which_the_slim_image_lacks_is_named(check_health):
    with pytest.raises(ExerciseIncomplete, match="curl: not found.*has no curl or wget"):
        check_health("HEALTHCHECK --interval=2s CMD curl -f http://127.0.0.1:8000/health || exit 1")


@pytest.mark.docker
@pytest.mark.parametrize("options, message", [
    ("", r"30 s × 3 retries = 90 s"),
    ("--interval=2s --retries=1", r"--retries=1: one slow or failed probe"),
])
def test_timing_that_notices_a_dead_server_late_or_too_eagerly_is_caught(check_health, options, message):
    with pytest.raises(ExerciseIncomplete, match=message):
        check_health(f"HEALTHCHECK {options} {PROBE}")


@pytest.mark.docker
def test_a_probe_that_passes_without_a_server_is_caught(check_health):
    with pytest.raises(ExerciseIncomplete, match="succeeds even in a container where no server runs"):
        check_health("HEALTHCHECK --interval=2s CMD true")


@pytest.mark.docker
def test_an_unknown_option_names_the_failed_build(check_health):
    with pytest.raises(ExerciseIncomplete, match="the build failed"):
        check_health(f"HEALTHCHECK --intervall=2s {PROBE}")
