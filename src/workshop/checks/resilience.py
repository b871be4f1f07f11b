"""Module 08's exercises: when orders' circuit breaker opens and how long it rests, then the breaker rolled out.

`check_breaker_thresholds(failures, reset_seconds, waiting_budget, recovery_seconds)` weighs the learner's two numbers
against what they cost users: orders that wait out a timeout before the breaker opens, and orders refused after
catalog has recovered; exercise 08.2's check then tests them on the running service.
`check_circuit_breaker(environment, revision, ecs, cluster, base_url, book_id, slow_seconds)` reads orders'
running task definition back from ECS, then makes catalog slow and places orders until the breaker answers: it must
answer 503 fast.
"""
import time

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.resilience import breaker_state, environment_of, place_order, running_task_definition, set_fault

PROBE_ORDERS = 12        # more than any sensible CATALOG_BREAKER_FAILURES for a demo
FAST_SECONDS = 0.5       # an open breaker answers in milliseconds; this leaves room for a busy machine
MIN_FAILURES = 2         # one slow call (a catalog task being replaced) must not stop every order
MIN_REST_SECONDS = 1.0   # a trial call every few hundred milliseconds would keep hitting a struggling catalog


def thresholds_problem(failures, reset_seconds, waiting_budget: int, recovery_seconds: float) -> str | None:
    """What is wrong with a breaker's failure count and reset time, or None."""
    if isinstance(failures, bool) or not isinstance(failures, int) or failures < 1:
        return f"`breaker_failures` must be a whole number of failed calls, like 3; got {failures!r}"
    if isinstance(reset_seconds, bool) or not isinstance(reset_seconds, (int, float)) or reset_seconds <= 0:
        return f"`breaker_reset_seconds` must be a number of seconds above 0, like 3; got {reset_seconds!r}"
    if failures < MIN_FAILURES:
        return (f"with {failures} failure the breaker opens on one slow call — a catalog task being replaced — and "
                f"refuses every order for {reset_seconds:g} s: let it take at least {MIN_FAILURES}")
    if failures > waiting_budget:
        return (f"with {failures} failures before it opens, {failures} orders wait out the timeout while catalog is "
                f"slow, more than MAX_WAITING_ORDERS ({waiting_budget}): open sooner")
    if reset_seconds < MIN_REST_SECONDS:
        return (f"a trial call every {reset_seconds:g} s keeps hitting a catalog that is struggling: rest at least "
                f"{MIN_REST_SECONDS:g} s")
    if reset_seconds > recovery_seconds:
        return (f"after catalog recovers, orders would go on refusing for up to {reset_seconds:g} s, longer than "
                f"RECOVERY_SECONDS ({recovery_seconds:g}): try again sooner")
    return None


@exercise_check("08.1")
def check_breaker_thresholds(failures, reset_seconds, waiting_budget: int, recovery_seconds: float) -> None:
    """`failures`, `reset_seconds`: the learner's `breaker_failures` and `breaker_reset_seconds`."""
    require_answer("breaker_failures", failures)
    require_answer("breaker_reset_seconds", reset_seconds)
    problem = thresholds_problem(failures, reset_seconds, waiting_budget, recovery_seconds)
    if problem:
        raise ExerciseIncomplete(problem)
    print(f"✔ the breaker opens after {failures} failed calls (at most {failures} orders wait out a timeout) and "
          f"tries catalog again after {reset_seconds:g} s: exercise 08.2 rolls it out and tests it")


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


def breaker_asked(environment) -> bool:
    return isinstance(environment, dict) and str(environment.get("CATALOG_CIRCUIT_BREAKER", "")).lower() in (
        "on", "true", "1")


@exercise_check("08.2")
def check_circuit_breaker(environment, revision, ecs, cluster: str, base_url: str, book_id: int,
                          slow_seconds: float) -> None:
    """`environment`, `revision`: the learner's `breaker_environment` and `orders_with_breaker`, the
    taskDefinitionArn of the new orders revision."""
    require_answer("breaker_environment", environment)
    require_answer("orders_with_breaker", revision)
    running = running_task_definition(ecs, cluster, "orders")
    shown = f"{running['family']}:{running['revision']}"
    if revision != running["taskDefinitionArn"]:
        raise ExerciseIncomplete(f"orders still runs {shown}, not {str(revision).rsplit('/', 1)[-1]}: "
                                 "orders_with_breaker = roll_orders(breaker_environment) registers and rolls it out")
    running_environment = environment_of(running)
    if breaker_asked(environment) and not breaker_asked(running_environment):
        raise ExerciseIncomplete(f"breaker_environment switches the breaker on, but orders runs {shown} without it: "
                                 "roll it out with orders_with_breaker = roll_orders(breaker_environment)")
    problem = configuration_problem(running_environment, slow_seconds)
    if problem:
        raise ExerciseIncomplete(problem)
    answers = probe(base_url, book_id, slow_seconds)
    fast_refusals = [seconds for status, seconds in answers if status == 503 and seconds < FAST_SECONDS]
    if not fast_refusals:
        last = ", ".join(f"{status} in {seconds:.1f} s" for status, seconds in answers[-3:])
        raise ExerciseIncomplete(f"while catalog was slow no order was refused fast (last answers: {last}): "
                                 "is the breaker's failure count reached by the timeouts?")
    print(f"✔ orders {shown} runs the breaker; with catalog slow, "
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
