"""Module 02's exercise: a Dockerfile for sample_services/hello.

`check_dockerfile(dockerfile)` writes the learner's Dockerfile next to a fresh copy of the service, builds it,
runs it, and passes only when GET /health answers 200 on container port 8000 and the process is not root.
Every problem comes back as one `ExerciseIncomplete` line that says what to change. The check removes its
container and image afterwards (the image's cached layers stay, so the next attempt builds quickly).
"""
import shutil
from pathlib import Path

import httpx

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.containers import CannotStart, ContainerExited, NotServing, run_service, stop, url
from workshop.images import BuildFailed, build_image, explain, remove_image
from workshop.paths import BUILD, SAMPLE_SERVICES
from workshop.settings import EXERCISE_PORT

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
