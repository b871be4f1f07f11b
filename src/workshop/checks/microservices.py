"""Module 03's exercise: configure the orders service so it finds catalog on the Docker network.

`check_orders_environment(env, network, catalog_name, image)` starts orders with the learner's environment on
the network where catalog runs, places one order, and passes only when orders reached catalog (201, and
catalog's stock went down by one). Each problem comes back as one `ExerciseIncomplete` line.
"""
import httpx

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.containers import ContainerExited, NotServing, published_port, run_service, stop, url

CHECK_CONTAINER = "workshop-03-orders-check"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "0.0.0.0")


@exercise_check("03.1")
def check_orders_environment(orders_environment, *, network: str, catalog_name: str, catalog_port: int,
                             image: str) -> None:
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
        container = run_service(image, CHECK_CONTAINER, None, env=orders_environment, network=network)
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
        stop(CHECK_CONTAINER)
    print(f"✔ orders reached catalog at {catalog_url}: order {order.json()['id']} placed, stock {before} → {after}")
