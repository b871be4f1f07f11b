"""What each module creates in AWS mode, and an estimate of what it costs while it stays running.

The prices are a dated table in `data/aws_prices.json` (us-east-1 on-demand, copied from the AWS pricing pages it
names); the quantities are the workshop's own (task size from `stack.py`, two Availability Zones from
`network.py`). `python -m workshop costs` prints the table a facilitator budgets with; `connect("aws", …,
module="05")` shows one module's part of it before anything is created.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from workshop.tables import Table

PRICES_FILE = Path(__file__).parent / "data" / "aws_prices.json"
HOURS_PER_MONTH = 730  # how AWS turns monthly prices into hourly ones
TASK_VCPU, TASK_GB = 0.25, 0.5  # each task's size (the task definitions' cpu "256", memory "512")
SERVICES = 3
LOAD_BALANCER_ZONES = 2  # an internet-facing load balancer holds a public IPv4 address in each of its zones

# What each module creates, in a learner's words.
CREATES = {
    "03": ["nothing in AWS: the services run as containers on your Docker engine"],
    "04": ["3 ECR repositories (users, catalog, orders) and one image in each"],
    "05": ["a VPC with 2 public subnets, an internet gateway, a route table and 2 security groups",
           "an Application Load Balancer, a listener with 3 path rules, 3 target groups",
           f"an ECS cluster with {SERVICES} Fargate services × 1 task ({TASK_VCPU} vCPU, {TASK_GB} GB; "
           "up to 3 tasks each while you scale)",
           "a Cloud Map private DNS namespace (a Route 53 hosted zone), a log group, 2 IAM roles"],
    "06": ["2 Lambda functions (recommendations in the VPC, notifier from an image) and their IAM role",
           "an SNS topic, an SQS queue and the event source mapping that polls it, an ECR repository (notifier)"],
    "07": ["an HTTP API (API Gateway) with routes to the services and a function, one more function (echo)",
           "a REST API imported from OpenAPI (the module deletes it again)"],
    "08": ["an access log group, reserved concurrency 2 for the notifier; more tasks for a few minutes"],
    "09": ["nothing: it deletes everything that carries your prefix"],
}


@dataclass(frozen=True)
class Running:
    """What bills by the hour once a module is done (and until module 09 deletes it)."""
    ecr_gb: float = 0.0
    load_balancers: int = 0
    lcu: float = 0.0             # an idle workshop load balancer: well under one LCU
    tasks: int = 0
    public_ipv4: int = 0
    hosted_zones: int = 0
    cloud_map_instances: int = 0
    logs_gb_per_hour: float = 0.0
    sqs_requests_per_hour: int = 0  # the event source mapping's long polls, even with no message

    def line_items(self, prices: dict) -> dict[str, float]:
        """USD per hour, by what bills."""
        p = prices["prices"]
        return {
            "load balancer": self.load_balancers * p["alb_hour"] + self.lcu * p["alb_lcu_hour"],
            "Fargate tasks": self.tasks * (TASK_VCPU * p["fargate_vcpu_hour"] + TASK_GB * p["fargate_gb_hour"]),
            "public IPv4 addresses": self.public_ipv4 * p["public_ipv4_hour"],
            "Cloud Map": (self.hosted_zones * p["cloud_map_hosted_zone_month"]
                          + self.cloud_map_instances * p["cloud_map_instance_month"]) / HOURS_PER_MONTH,
            "CloudWatch Logs ingestion": self.logs_gb_per_hour * p["logs_ingestion_gb"],
            "ECR storage": self.ecr_gb * p["ecr_storage_gb_month"] / HOURS_PER_MONTH,
            "SQS polling": self.sqs_requests_per_hour / 1e6 * p["sqs_million_requests"],
        }

    def per_hour(self, prices: dict) -> float:
        return sum(self.line_items(prices).values())


_IMAGES = Running(ecr_gb=0.2)
_SERVICES = Running(ecr_gb=0.2, load_balancers=1, lcu=0.1, tasks=SERVICES,
                    public_ipv4=SERVICES + LOAD_BALANCER_ZONES, hosted_zones=1, cloud_map_instances=1,
                    logs_gb_per_hour=0.001)
# Lambda's pollers: about 5 long polls of up to 20 s each, i.e. some 900 requests an hour on an empty queue.
_FUNCTIONS = Running(**{**_SERVICES.__dict__, "ecr_gb": 0.3, "sqs_requests_per_hour": 900})
# Requests to Lambda, API Gateway and SNS cost fractions of a cent at workshop volumes: not counted here.
RUNNING_AFTER = {"03": Running(), "04": _IMAGES, "05": _SERVICES, "06": _FUNCTIONS, "07": _FUNCTIONS,
                 "08": _FUNCTIONS, "09": Running()}


def load_prices(path: Path = PRICES_FILE) -> dict:
    return json.loads(path.read_text())


def module_rows(prices: dict | None = None) -> list[dict]:
    """One row per module: what stays running after it and its estimated cost per hour and per day."""
    prices = prices or load_prices()
    rows = []
    for module, running in RUNNING_AFTER.items():
        hourly = running.per_hour(prices)
        items = [name for name, usd in running.line_items(prices).items() if usd > 0]
        rows.append({"module": module, "stays running": ", ".join(items) or "nothing",
                     "USD per hour": f"{hourly:.4f}", "USD per day": f"{hourly * 24:.2f}"})
    return rows


def learner_hour(prices: dict | None = None) -> float:
    """The most a learner's resources cost per hour at any point of the workshop (modules 06–08)."""
    prices = prices or load_prices()
    return max(running.per_hour(prices) for running in RUNNING_AFTER.values())


def module_plan(module: str | None, prices: dict | None = None) -> str:
    """What `module` creates and what stays running after it, in a few lines (shown before AWS mode goes ahead)."""
    prices = prices or load_prices()
    note = f"(an estimate from us-east-1 list prices of {prices['priced_on']}; `python -m workshop costs` shows all)"
    if module not in CREATES:
        return (f"  every module together costs at most about {learner_hour(prices):.2f} USD per hour while its "
                f"resources run {note}")
    running = RUNNING_AFTER[module]
    hourly = running.per_hour(prices)
    lines = [f"  module {module} creates:"] + [f"    - {item}" for item in CREATES[module]]
    lines.append(f"  what runs after it, until module 09 deletes it: about {hourly:.3f} USD per hour, "
                 f"{hourly * 24:.2f} USD per day {note}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m workshop costs`: the estimate per module and per learner-hour, with the date of the prices."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m workshop costs", description=main.__doc__)
    parser.add_argument("--learners", type=int, default=1, help="how many learners share the account")
    parser.add_argument("--hours", type=float, default=3, help="how long their resources run")
    args = parser.parse_args(argv)
    prices = load_prices()
    print(Table(module_rows(prices), title=f"What stays running after each module (us-east-1, prices of "
                                           f"{prices['priced_on']}, an estimate)"))
    per_learner_hour = learner_hour(prices)
    total = per_learner_hour * args.learners * args.hours
    print(f"\nper learner-hour: at most {per_learner_hour:.3f} USD; {args.learners} learner(s) × {args.hours:g} h: "
          f"about {total:.2f} USD. Teardown (module 09) stops it; what is left bills per hour until then.")
    print(f"Prices: {PRICES_FILE.name}, {prices['about']}")
    return 0
