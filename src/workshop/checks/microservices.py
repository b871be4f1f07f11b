"""Module 03's exercises: configure the orders service so it finds catalog, and give its catalog calls a budget.

`check_orders_environment(env, network, catalog_name, image)` starts orders with the learner's environment on
the network where catalog runs, places one order, and passes only when orders reached catalog (201, and
catalog's stock went down by one).
`check_catalog_call_settings(settings, ...)` starts orders with the learner's timeout and retries, places one order
with catalog well and one with catalog slowed down (its fault switch), and passes only when the first goes
through and the second comes back within the caller's budget after more than one attempt.
Each problem comes back as one `ExerciseIncomplete` line.
"""
import time

import httpx

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.containers import ContainerExited, NotServing, published_port, run_service, stop, url

CHECK_CONTAINER = "workshop-03-orders-check"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "0.0.0.0")


@exercise_check("03.1")
def check_orders_environment(orders_environment, *, network: str, catalog_name: str, catalog_port: int,
                             image: str, container_name: str = CHECK_CONTAINER) -> None:
    require_answer("orders_container_environment", orders_environment)
    if not isinstance(orders_environment, dict):
        raise ExerciseIncomplete("`orders_container_environment` must be a dict of environment variables, like "
                                 "{\"CATALOG_URL\": \"http://…\"}")
    catalog_url = str(orders_environment.get("CATALOG_URL", ""))
    if not catalog_url:
        raise ExerciseIncomplete("`orders_container_environment` has no CATALOG_URL: orders reads catalog's address from it")
    if any(name in catalog_url for name in LOOPBACK_NAMES):
        raise ExerciseIncomplete(f"CATALOG_URL is {catalog_url}, but inside the orders container that address is "
                                 f"orders itself: use the catalog container's name on the network, "
                                 f"http://{catalog_name}:8000")
    try:
        container = run_service(image, container_name, None, env=orders_environment, network=network)
    except (ContainerExited, NotServing) as error:
        raise ExerciseIncomplete(f"orders did not start with this environment: {str(error).splitlines()[0]}") from None
    try:
        before = httpx.get(url(catalog_port, "/catalog/books/1")).json()["stock"]
        order = httpx.post(url(published_port(container), "/orders"), json={"user_id": 1, "book_id": 1, "quantity": 1},
                           timeout=15)
        if order.status_code != 201:
            detail = order.json().get("detail", order.text) if order.headers.get("content-type", "").startswith(
                "application/json") else order.text
            raise ExerciseIncomplete(f"orders answered {order.status_code} ({detail}): is {catalog_url} where "
                                     f"catalog answers on the network? (its container is {catalog_name}, port 8000)")
        after = httpx.get(url(catalog_port, "/catalog/books/1")).json()["stock"]
        if after != before - 1:
            raise ExerciseIncomplete(f"the order succeeded but catalog's stock went from {before} to {after}: "
                                     f"orders is talking to another catalog than {catalog_name}")
    finally:
        stop(container_name)
    print(f"✔ orders reached catalog at {catalog_url}: order {order.json()['id']} placed, stock {before} → {after}")


# --- 03.2: a time budget for orders' calls to catalog ----------------------------------------------------------

BUDGET_CHECK_CONTAINER = "workshop-03-orders-budget-check"
CALLER_BUDGET_S = 3.0        # the shop's front end gives up on an order after this long
SLOW_CATALOG_S = 5.0         # how long each catalog request waits while the fault switch says slow
SETTINGS = ("CATALOG_TIMEOUT_SECONDS", "CATALOG_RETRIES")
RETRY_LOG_LINE = "catalog call failed"  # orders logs one per failed attempt
CHECK_BOOK = {"title": "Timeout drill (exercise 03.2)", "author": "The workshop", "price": 1.0, "stock": 10_000}


def number(settings: dict, name: str, kind):
    try:
        return kind(settings[name])
    except KeyError:
        raise ExerciseIncomplete(f"`catalog_call_settings` has no {name}: set both {' and '.join(SETTINGS)} "
                                 "(orders' defaults are 2 s and 2 retries)") from None
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number of seconds"
        raise ExerciseIncomplete(f"{name} is {settings[name]!r}: it must be {what}, written as a string like "
                                 "every environment variable") from None


def set_catalog_fault(catalog_port: int, mode: str) -> None:
    fault = {"mode": mode, "seconds": SLOW_CATALOG_S} if mode == "slow" else {"mode": mode}
    httpx.put(url(catalog_port, "/admin/faults"), json=fault, timeout=5).raise_for_status()


def check_book(catalog_port: int) -> int:
    """The id of a book kept for this check, with stock for any number of attempts (created on first use)."""
    books = httpx.get(url(catalog_port, "/catalog/books"), timeout=5).json()
    kept = [book["id"] for book in books if book["title"] == CHECK_BOOK["title"]]
    if kept:
        return kept[0]
    return httpx.post(url(catalog_port, "/catalog/books"), json=CHECK_BOOK, timeout=5).json()["id"]


def timed_order(orders_port: int, book_id: int) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(url(orders_port, "/orders"), json={"user_id": 1, "book_id": book_id, "quantity": 1},
                          timeout=60)
    return response, time.monotonic() - started


def detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))[:120]
    except ValueError:
        return response.text[:120]


@exercise_check("03.2")
def check_catalog_call_settings(catalog_call_settings, *, network: str, catalog_name: str, catalog_port: int,
                                image: str, container_name: str = BUDGET_CHECK_CONTAINER) -> None:
    require_answer("catalog_call_settings", catalog_call_settings)
    if not isinstance(catalog_call_settings, dict):
        raise ExerciseIncomplete("`catalog_call_settings` must be a dict of environment variables, like "
                                 "{\"CATALOG_TIMEOUT_SECONDS\": \"…\", \"CATALOG_RETRIES\": \"…\"}")
    timeout = number(catalog_call_settings, "CATALOG_TIMEOUT_SECONDS", float)
    retries = number(catalog_call_settings, "CATALOG_RETRIES", int)
    environment = {**{key: str(value) for key, value in catalog_call_settings.items()},
                   "CATALOG_URL": f"http://{catalog_name}:8000"}
    try:
        container = run_service(image, container_name, None, env=environment, network=network)
    except (ContainerExited, NotServing) as error:
        last = getattr(error, "logs", "").splitlines()[-1:] or [str(error).splitlines()[0]]
        raise ExerciseIncomplete(f"orders did not start with these settings: {last[0][:160]}") from None
    try:
        orders_port, book_id = published_port(container), check_book(catalog_port)
        well, _ = timed_order(orders_port, book_id)
        if well.status_code in (503, 504):
            raise ExerciseIncomplete(f"with catalog answering normally, orders answered {well.status_code} "
                                     f"({detail(well)}): a {timeout:g} s timeout is shorter than a healthy "
                                     "catalog needs; allow it a few hundred milliseconds at least")
        if well.status_code != 201:
            raise ExerciseIncomplete(f"with catalog answering normally, orders answered {well.status_code} "
                                     f"({detail(well)}): run the cells above again to restart catalog and orders")
        set_catalog_fault(catalog_port, "slow")
        try:
            slow, seconds = timed_order(orders_port, book_id)
        finally:
            set_catalog_fault(catalog_port, "off")
        attempts = container.logs().decode(errors="replace").count(RETRY_LOG_LINE)
    finally:
        stop(container_name)
    if seconds > CALLER_BUDGET_S:
        raise ExerciseIncomplete(
            f"with catalog slow, orders answered {slow.status_code} only after {seconds:.1f} s, over the "
            f"{CALLER_BUDGET_S:g} s budget: the worst case is (1 + CATALOG_RETRIES) attempts × "
            f"CATALOG_TIMEOUT_SECONDS = {1 + retries} × {timeout:g} s; make that fit the budget")
    if attempts < 2:
        raise ExerciseIncomplete(f"with catalog slow, orders gave up after {attempts or 1} attempt: a catalog that is "
                                 "restarting gets no second chance; set CATALOG_RETRIES to 1 or more and keep "
                                 "the worst case within the budget")
    print(f"✔ with catalog well, the order went through; with catalog slow, orders answered {slow.status_code} "
          f"after {seconds:.1f} s ({attempts} attempts of at most {timeout:g} s), within the "
          f"{CALLER_BUDGET_S:g} s budget.")
