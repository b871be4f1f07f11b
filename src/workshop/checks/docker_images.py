"""Module 02's exercises: a Dockerfile for sample_services/hello, and its HEALTHCHECK.

`check_dockerfile(dockerfile)` writes the learner's Dockerfile next to a fresh copy of the service, builds it,
runs it, and passes only when GET /health answers 200 on container port 8000 and the process is not root.
`check_healthcheck(instruction)` adds the learner's HEALTHCHECK line to a known-good hello Dockerfile, and passes
only when Docker says healthy soon after the start, would notice a dead server soon, tolerates one failed probe,
and the probe fails in a container where no server runs.
Every problem comes back as one `ExerciseIncomplete` line that says what to change. The checks remove their
containers and images afterwards (the images' cached layers stay, so the next attempt builds quickly).
"""
import shutil
import time
from pathlib import Path

import httpx

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.containers import CannotStart, ContainerExited, NotServing, run_service, stop, url
from workshop.images import BuildFailed, build_image, explain, remove_image
from workshop.paths import BUILD, SAMPLE_SERVICES
from workshop.docker_client import get_client
from workshop.settings import EXERCISE_PORT, PYTHON_BASE_IMAGE, WORKSHOP_LABEL

SERVICE = SAMPLE_SERVICES / "hello"
BUILD_FOLDER = BUILD / "exercises" / "02_hello"
IMAGE_TAG = "workshop-exercise/hello:check"
CONTAINER_NAME = "workshop-exercise-hello"
CONTAINER_PORT = 8000
START_HINT = (f"does CMD start uvicorn on 0.0.0.0:{CONTAINER_PORT} "
              f"(`uvicorn hello.main:app --host 0.0.0.0 --port {CONTAINER_PORT}`)?")


def prepare_build_folder(dockerfile: str, folder: Path = BUILD_FOLDER) -> Path:
    """A fresh copy of the hello service in `folder`, with the learner's Dockerfile next to it."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(SERVICE, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    (folder / "Dockerfile").write_text(dockerfile if dockerfile.endswith("\n") else dockerfile + "\n")
    return folder


def build_failure_line(failure: BuildFailed) -> str:
    """The build failure in one line: which step, its last output line, and the likely fix when we know it."""
    last = failure.tail[-1] if failure.tail else failure.reason.splitlines()[0]
    where = (f"the build failed at step {failure.step} ({_short(failure.instruction)})" if failure.step
             else "the build failed before its first step")
    hint = explain(failure.reason, "\n".join(failure.tail), failure.instruction)
    return f"{where}: {_short(last, 160)}" + (f" — {hint}" if hint else "")


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@exercise_check("02.1")
def check_dockerfile(dockerfile, *, port: int = EXERCISE_PORT, name: str = CONTAINER_NAME, tag: str = IMAGE_TAG,
                     folder: Path = BUILD_FOLDER, timeout: float = 30, display=None) -> None:
    """Build, run and verify the learner's Dockerfile for the hello service; print ✔ or raise ExerciseIncomplete."""
    require_answer("dockerfile", dockerfile)
    if not isinstance(dockerfile, str) or not dockerfile.strip():
        raise ExerciseIncomplete("`dockerfile` should be the text of a Dockerfile: a string that starts with FROM.")
    prepare_build_folder(dockerfile, folder)
    try:
        try:
            build_image(folder, tag, display=display)
        except BuildFailed as failure:
            raise ExerciseIncomplete(build_failure_line(failure)) from None
        try:
            container = run_service(tag, name, port, container_port=CONTAINER_PORT, timeout=timeout)
        except ContainerExited as exited:
            last = exited.logs.splitlines()[-1] if exited.logs else "no output"
            fix = ("COPY the hello/ folder into the image's WORKDIR, the folder CMD runs in"
                   if "No module named" in last else START_HINT)
            raise ExerciseIncomplete(f"the container stopped right after starting (exit code {exited.exit_code}; "
                                     f"last output: {_short(last, 120)}): {fix}") from None
        except CannotStart as refused:
            raise ExerciseIncomplete(f"{refused} — does the USER you name exist (create it with useradd)?") from None
        except NotServing as silent:
            detail = silent.problem or f"{START_HINT} (no answer after {timeout:.0f} s)"
            raise ExerciseIncomplete(f"nothing answers on port {CONTAINER_PORT}: {detail}") from None
        response = httpx.get(url(port, "/health"), timeout=5)
        if response.status_code != 200 or response.json().get("service") != "hello":
            raise ExerciseIncomplete(f"/health answered {response.status_code} {response.text[:80]!r}, not the "
                                     "hello service's 200: does the image copy hello/ and start hello.main:app?")
        uid = container.exec_run(["id", "-u"]).output.decode().strip()
        if uid == "0":
            raise ExerciseIncomplete("the container runs as root (uid 0): add a USER line, e.g. create a user with "
                                     "`RUN useradd --uid 10001 app` and switch to it with `USER app` before CMD.")
    finally:
        stop(name)
        remove_image(tag, keep_cache=True)
    print(f"✔ the image builds, GET /health answers 200 on port {CONTAINER_PORT}, and the server runs as uid {uid}, "
          "not root. Well done!")


# --- 02.2: the health check ---------------------------------------------------------------------------------------

HEALTH_IMAGE_TAG = "workshop-exercise/hello:health"
HEALTH_CONTAINER = "workshop-exercise-hello-health"
NO_SERVER_CONTAINER = "workshop-exercise-hello-no-server"
HEALTH_BUILD_FOLDER = BUILD / "exercises" / "02_hello_health"
HEALTHY_WITHIN_S = 10       # the learner's target: healthy this soon after the start
HEALTHY_GRACE_S = 2         # container start-up, on a slow machine
DEAD_NOTICED_WITHIN_S = 15  # --interval × --retries: how long a dead server may still look healthy
DOCKER_DEFAULT_INTERVAL_S, DOCKER_DEFAULT_RETRIES = 30, 3
PROBE_TIMEOUT_S = 10
HELLO_WITH_HEALTHCHECK = f"""\
FROM {PYTHON_BASE_IMAGE}
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
RUN useradd --uid 10001 app
COPY hello ./hello
USER app
{{healthcheck}}
CMD ["uvicorn", "hello.main:app", "--host", "0.0.0.0", "--port", "8000"]
"""


def healthcheck_dockerfile(instruction: str) -> str:
    """The hello Dockerfile of exercise 02.1 with the learner's HEALTHCHECK instruction before CMD."""
    return HELLO_WITH_HEALTHCHECK.format(healthcheck=instruction.strip())


def health_settings(image) -> tuple[list[str], float, int]:
    """(test, interval in seconds, retries) of an image's HEALTHCHECK, with Docker's defaults filled in."""
    config = image.attrs["Config"].get("Healthcheck") or {}
    interval = (config.get("Interval") or DOCKER_DEFAULT_INTERVAL_S * 1e9) / 1e9
    return list(config.get("Test") or []), interval, config.get("Retries") or DOCKER_DEFAULT_RETRIES


def probe_command(test: list[str]) -> list[str]:
    """The command Docker runs for a HEALTHCHECK test (["CMD", ...] or ["CMD-SHELL", "..."])."""
    return ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]


def failed_probe_line(output: str) -> str:
    """Why Docker said unhealthy, in one line, with the fix when we know it."""
    last = _short(output.strip().splitlines()[-1] if output.strip() else "no output", 100)
    if "not found" in output or "No such file" in output or "executable file not found" in output:
        return (f"Docker says unhealthy: the probe failed with `{last}` — python:3.13-slim has no curl or wget; "
                "ask /health with the Python the image has (urllib.request.urlopen).")
    return (f"Docker says unhealthy: the probe failed with `{last}` — does it ask "
            f"http://127.0.0.1:{CONTAINER_PORT}/health inside the container?")


def wait_for_health_verdict(container, started: float, deadline_s: float) -> tuple[str, float, str]:
    """(status, seconds since `started`, last probe output), once healthy or unhealthy, or `deadline_s` after
    `started` (a time.monotonic() reading)."""
    while True:
        container.reload()
        health = container.attrs["State"].get("Health") or {}
        status, log = health.get("Status", "none"), health.get("Log") or []
        if status in ("healthy", "unhealthy") or time.monotonic() - started >= deadline_s:
            return status, time.monotonic() - started, (log[-1].get("Output", "") if log else "")
        time.sleep(0.25)


def run_without_server(tag: str, name: str):
    """A container of the image whose process only sleeps: a probe that passes here does not test the server."""
    stop(name)
    return get_client().containers.run(tag, command=["python", "-c", "import time; time.sleep(60)"], name=name,
                                       detach=True, labels={WORKSHOP_LABEL: "true"})


@exercise_check("02.2")
def check_healthcheck(healthcheck_instruction, *, name: str = HEALTH_CONTAINER,
                      no_server_name: str = NO_SERVER_CONTAINER, tag: str = HEALTH_IMAGE_TAG,
                      folder: Path = HEALTH_BUILD_FOLDER, display=None) -> None:
    """Build hello with the learner's HEALTHCHECK, run it, time Docker's verdict; print ✔ or raise."""
    require_answer("healthcheck_instruction", healthcheck_instruction)
    instruction = healthcheck_instruction.strip() if isinstance(healthcheck_instruction, str) else ""
    if not instruction.upper().startswith("HEALTHCHECK "):
        raise ExerciseIncomplete("`healthcheck_instruction` should be one Dockerfile line that starts with "
                                 "HEALTHCHECK, e.g. 'HEALTHCHECK --interval=… CMD …'")
    if instruction.split()[1].upper() == "NONE":
        raise ExerciseIncomplete("HEALTHCHECK NONE switches health checks off: give Docker a command to run, "
                                 "`HEALTHCHECK [options] CMD …`")
    prepare_build_folder(healthcheck_dockerfile(instruction), folder)
    try:
        try:
            image = build_image(folder, tag, display=display).image
        except BuildFailed as failure:
            raise ExerciseIncomplete(build_failure_line(failure)) from None
        test, interval, retries = health_settings(image)
        if retries < 2:
            raise ExerciseIncomplete(f"--retries={retries}: one slow or failed probe would already mark the "
                                     "container unhealthy (and an orchestrator would replace it); allow 2 or more")
        if interval * retries > DEAD_NOTICED_WITHIN_S:
            raise ExerciseIncomplete(
                f"a dead server would look healthy for up to {interval:g} s × {retries} retries = "
                f"{interval * retries:g} s (Docker's default --interval is {DOCKER_DEFAULT_INTERVAL_S} s): choose "
                f"--interval and --retries so that it is {DEAD_NOTICED_WITHIN_S} s or less")
        started = time.monotonic()
        container = run_service(image.id, name, None, timeout=30)
        status, seconds, output = wait_for_health_verdict(container, started, HEALTHY_WITHIN_S + HEALTHY_GRACE_S)
        if status == "unhealthy":
            raise ExerciseIncomplete(failed_probe_line(output))
        if status != "healthy":
            raise ExerciseIncomplete(f"Docker still says `{status}` {seconds:.0f} s after the start: its first probe "
                                     f"runs one --interval after the start ({interval:g} s here); choose a shorter "
                                     f"--interval so it is healthy within {HEALTHY_WITHIN_S} s")
        idle = run_without_server(image.id, no_server_name)
        result = idle.exec_run(["timeout", str(PROBE_TIMEOUT_S), *probe_command(test)])
        if result.exit_code == 0:
            raise ExerciseIncomplete("the probe succeeds even in a container where no server runs: make it ask "
                                     f"http://127.0.0.1:{CONTAINER_PORT}/health and fail when that gets no 200")
    finally:
        stop(name)
        stop(no_server_name, timeout=0)  # its process only sleeps: nothing to shut down gracefully
        remove_image(tag, keep_cache=True)
    print(f"✔ Docker said healthy {seconds:.1f} s after the start; a dead server is noticed within "
          f"{interval * retries:g} s ({retries} failed probes, {interval:g} s apart); and the probe fails where no "
          f"server runs (exit code {result.exit_code}).")
