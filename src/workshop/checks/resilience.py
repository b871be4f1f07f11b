"""Module 08's exercise: orders with a timeout and a circuit breaker in front of a slow catalog.

`check_circuit_breaker(ecs, cluster, base_url, book_id, slow_seconds)` reads orders' running task definition back
from ECS, then makes catalog slow and places orders until the breaker answers: it must answer 503 fast.
"""
import time

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.resilience import breaker_state, environment_of, place_order, running_task_definition, set_fault

PROBE_ORDERS = 12        # more than any sensible CATALOG_BREAKER_FAILURES for a demo
FAST_SECONDS = 0.5       # an open breaker answers in milliseconds; this leaves room for a busy machine


def configuration_problem(environment: dict[str, str], slow_seconds: float) -> str | None:
    """What is wrong with orders' environment for failing fast, or None."""
    if environment.get("CATALOG_CIRCUIT_BREAKER", "off").lower() not in ("on", "true", "1"):
        return "orders runs without the breaker: set CATALOG_CIRCUIT_BREAKER to \"on\" in the new revision"
    if not environment.get("CATALOG_URL"):
        return "the new revision has no CATALOG_URL: start from orders_environment, which has it"
    try:
        timeout = float(environment.get("CATALOG_TIMEOUT_SECONDS", "2"))
    except ValueError:
        return f"CATALOG_TIMEOUT_SECONDS must be a number of seconds; got {environment['CATALOG_TIMEOUT_SECONDS']!r}"
    if timeout >= slow_seconds:
        return (f"CATALOG_TIMEOUT_SECONDS is {timeout:g}, but catalog answers after {slow_seconds:g} s: with a "
                f"timeout that long every call still waits; choose one well below {slow_seconds:g}")
    if int(environment.get("CATALOG_BREAKER_FAILURES", "5")) > PROBE_ORDERS // 2:
        return f"CATALOG_BREAKER_FAILURES is high for a demo: choose {PROBE_ORDERS // 2} or fewer"
    return None


@exercise_check("08.1")
def check_circuit_breaker(revision, ecs, cluster: str, base_url: str, book_id: int, slow_seconds: float) -> None:
    """`revision`: the learner's `orders_with_breaker`, the taskDefinitionArn of the new orders revision."""
    require_answer("orders_with_breaker", revision)
    running = running_task_definition(ecs, cluster, "orders")
    if revision != running["taskDefinitionArn"]:
        raise ExerciseIncomplete(f"orders still runs {running['family']}:{running['revision']}, not "
                                 f"{str(revision).rsplit('/', 1)[-1]}: roll_orders(...) registers and rolls it out")
    problem = configuration_problem(environment_of(running), slow_seconds)
    if problem:
        raise ExerciseIncomplete(problem)
    answers = probe(base_url, book_id, slow_seconds)
    fast_refusals = [seconds for status, seconds in answers if status == 503 and seconds < FAST_SECONDS]
    if not fast_refusals:
        shown = ", ".join(f"{status} in {seconds:.1f} s" for status, seconds in answers[-3:])
        raise ExerciseIncomplete(f"while catalog was slow no order was refused fast (last answers: {shown}): "
                                 "is the breaker's failure count reached by the timeouts?")
    print(f"✔ orders {running['family']}:{running['revision']} runs the breaker; with catalog slow, "
          f"{len(fast_refusals)} of {len(answers)} orders were refused with 503 in under {FAST_SECONDS:g} s")


def probe(base_url: str, book_id: int, slow_seconds: float) -> list[tuple[int | None, float]]:
    """Orders placed one after another while catalog is slow: (status, seconds) each; the fault is off after."""
    answers = []
    set_fault(base_url, "catalog", "slow", slow_seconds)
    try:
        for _ in range(PROBE_ORDERS):
            started = time.monotonic()
            status = place_order(base_url, book_id, timeout=slow_seconds * 4).status_code
            answers.append((status, time.monotonic() - started))
            if breaker_state(base_url)["state"] == "open" and len(answers) > 1 and answers[-1][0] == 503:
                break
    finally:
        set_fault(base_url, "catalog", "off")
    return answers
