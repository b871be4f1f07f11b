"""`catch_up("05")`: build the state that the modules before 05 would have left, so any module can start cold.

Each module's setup cell calls it; a learner who skipped a module, or an instructor starting mid-way, gets the
same starting point. It only adds what is missing, so running it again changes nothing.
"""
from dataclasses import dataclass, field

from workshop.api import PROBE_PATH, Api, ensure_api
from workshop.deploy import SERVICES, build_and_push
from workshop.functions import Functions, ensure_functions
from workshop.stack import Stack, ensure_stack

IMAGES = "images in ECR"
SERVICES_RUNNING = "users, catalog and orders on ECS behind the load balancer"
FUNCTIONS = "the Lambda functions, and orders' events reaching the notifier"
API = "the HTTP API in front of the services and the recommendations function"
# What each module needs from the ones before it.
NEEDS = {
    "03": (),
    "04": (),
    "05": (IMAGES,),
    "06": (IMAGES, SERVICES_RUNNING),
    "07": (IMAGES, SERVICES_RUNNING, FUNCTIONS),
    "08": (IMAGES, SERVICES_RUNNING, FUNCTIONS, API),
    "09": (),
}


@dataclass
class StartingPoint:
    done: list[str] = field(default_factory=list)   # one line per thing checked or built
    stack: Stack | None = None                       # the running services, for modules 06 onwards
    functions: Functions | None = None               # module 06's functions and messaging, for 07 and 08
    api: Api | None = None                           # module 07's HTTP API, for 08


def catch_up(module: str, session) -> StartingPoint:
    """Make sure what `module` starts from exists, and say what was there and what was built."""
    if module not in NEEDS:
        raise ValueError(f"no module {module!r}: choose one of {', '.join(NEEDS)}")
    start = StartingPoint()
    if IMAGES in NEEDS[module]:
        for service in SERVICES:
            result = build_and_push(session, service, quiet=True)
            start.done.append(f"{service}: " + (f"already in ECR ({result[:19]}…)" if isinstance(result, str)
                                                else f"built and pushed ({result.digest[:19]}…)"))
    if SERVICES_RUNNING in NEEDS[module]:
        start.stack = ensure_stack(session)
        start.done.append(f"users, catalog and orders running, every target healthy behind {start.stack.base_url}")
    if FUNCTIONS in NEEDS[module]:
        start.functions = ensure_functions(session, start.stack)
        start.done.append(f"functions {start.functions.recommendations_name} and {start.functions.notifier_name}, "
                          f"orders publishing to {start.functions.topic_arn.split(':')[-1]}")
    if API in NEEDS[module]:
        start.api = ensure_api(session, start.stack, start.functions)
        start.done.append(f"HTTP API {session.name('api')} answering GET {PROBE_PATH} at {start.api.endpoint}")
    for line in start.done:
        print(f"✔ {line}")
    return start
