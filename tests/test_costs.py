"""The cost estimate: a dated price table with its sources, per-module rows derived from it, and the plan that
AWS mode shows before anything is created."""
import json

import pytest

from workshop import costs

PRICED_ITEMS = {"alb_hour", "alb_lcu_hour", "fargate_vcpu_hour", "fargate_gb_hour", "public_ipv4_hour",
                "logs_ingestion_gb", "ecr_storage_gb_month", "lambda_million_requests", "http_api_million_requests",
                "sqs_million_requests", "cloud_map_hosted_zone_month"}


def test_the_price_table_is_dated_says_it_is_an_estimate_and_names_a_pricing_page_per_price():
    prices = costs.load_prices()
    assert prices["region"] == "us-east-1" and prices["priced_on"][:2] == "20"
    assert "ESTIMATE" in prices["about"]
    assert PRICED_ITEMS <= set(prices["prices"])
    assert set(prices["sources"]) == set(prices["prices"])
    assert all(url.startswith("https://aws.amazon.com/") and url.endswith("/pricing/") for url in prices["sources"].values())


def test_module_05_costs_what_its_load_balancer_tasks_and_addresses_cost():
    prices = costs.load_prices()
    p = prices["prices"]
    items = costs.RUNNING_AFTER["05"].line_items(prices)
    assert items["load balancer"] == pytest.approx(p["alb_hour"] + 0.1 * p["alb_lcu_hour"])
    assert items["Fargate tasks"] == pytest.approx(3 * (0.25 * p["fargate_vcpu_hour"] + 0.5 * p["fargate_gb_hour"]))
    assert items["public IPv4 addresses"] == pytest.approx(5 * p["public_ipv4_hour"])  # 3 tasks + 2 zones


def test_nothing_runs_before_module_04_or_after_module_09():
    rows = {row["module"]: row for row in costs.module_rows()}
    assert rows["03"]["USD per hour"] == rows["09"]["USD per hour"] == "0.0000"
    assert float(rows["06"]["USD per hour"]) > float(rows["05"]["USD per hour"]) > float(rows["04"]["USD per hour"])


def test_a_change_of_price_changes_the_estimate(tmp_path):
    prices = costs.load_prices()
    doubled = json.loads(json.dumps(prices))
    doubled["prices"]["alb_hour"] *= 2
    assert costs.learner_hour(doubled) == pytest.approx(costs.learner_hour(prices) + prices["prices"]["alb_hour"])


def test_the_plan_names_what_the_module_creates_and_its_cost_per_hour_and_day():
    plan = costs.module_plan("05")
    assert "Application Load Balancer" in plan and "3 Fargate services × 1 task" in plan
    hourly = costs.RUNNING_AFTER["05"].per_hour(costs.load_prices())
    assert f"{hourly:.3f} USD per hour, {hourly * 24:.2f} USD per day" in plan
    assert "us-east-1 list prices of" in costs.module_plan(None)


def test_the_costs_command_prints_the_table_and_the_learner_hour(capsys):
    assert costs.main(["--learners", "20", "--hours", "3"]) == 0
    out = capsys.readouterr().out
    assert "USD per hour" in out and "per learner-hour" in out
    assert f"{costs.learner_hour() * 60:.2f} USD" in out
