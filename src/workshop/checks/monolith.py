"""Module 01's exercise: a second copy of the monolith, to scale it the only way a monolith scales.

`check_second_copy(second, first)` asks the Docker engine and both containers: the copy must run, publish its own
port, and serve the same image and version as the first.
"""
import httpx

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.containers import published_port, url
from workshop.exercises import exercise_check


def short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def version_at(port: int) -> str:
    """The version a copy's /health reports."""
    return httpx.get(url(port, "/health"), timeout=5).raise_for_status().json()["version"]


@exercise_check("01.1")
def check_second_copy(second, first) -> None:
    """`second`: the learner's `second_monolith`'s container; `first`: the monolith serving on its usual port."""
    require_answer("second_monolith", second)
    if not hasattr(second, "reload"):
        raise ExerciseIncomplete(f"`second_monolith` must be the container run_service returned; got {type(second).__name__}")
    second.reload()
    first.reload()
    if second.status != "running":
        raise ExerciseIncomplete(f"container {second.name} is {second.status}: run the cell again and read its message")
    if second.id == first.id:
        raise ExerciseIncomplete(f"`second_monolith` is the first copy ({first.name}): start another container, SECOND_COPY")
    versions = version_at(published_port(first)), version_at(published_port(second))
    if second.image.id != first.image.id or versions[0] != versions[1]:
        raise ExerciseIncomplete(f"the second copy serves version {versions[1]} (image {short(second.image.id)}), the "
                                 f"shop {versions[0]} (image {short(first.image.id)}): a copy runs what the shop runs "
                                 f"— release.image, with the same APP_VERSION")
    print(f"✔ {second.name} serves version {versions[1]} on 127.0.0.1:{published_port(second)}, beside "
          f"{first.name} on {published_port(first)}: the same image, a second process")
