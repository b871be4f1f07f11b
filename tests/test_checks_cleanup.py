"""Module 09's check of the learner's inventory: against moto's Tagging API, with the check's own probes."""
import pytest
from moto import mock_aws

from workshop.checks import ExerciseIncomplete
from workshop.checks.cleanup import check_my_resources, inventory_problem
from workshop.session import PREFIX_TAG, Session

MINE, THEIRS = "/workshop/bookshop/inventory-probe-1", "/workshop/bookshop9/inventory-probe-1"
ARN = "arn:aws:logs:us-east-1:123456789012:log-group:"


@pytest.fixture
def session(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = Session(mode="local", region="us-east-1", account="123456789012", prefix="bookshop")
        session.client("logs").create_log_group(logGroupName="/ecs/bookshop", tags=session.tag_map)
        yield session


def by_exact_tag(session):
    pages = session.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
        TagFilters=[{"Key": PREFIX_TAG, "Values": [session.prefix]}])
    return [mapping["ResourceARN"] for page in pages for mapping in page["ResourceTagMappingList"]]


def by_workshop_tag(session):
    found = session.client("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "workshop", "Values": ["microservices-on-aws"]}])
    return [mapping["ResourceARN"] for mapping in found["ResourceTagMappingList"]]


def test_the_exact_tag_passes_and_the_probes_are_gone_after(session, capsys):
    check_my_resources(by_exact_tag, session)

    assert capsys.readouterr().out.startswith("✔ my_resources found all 2 resources tagged workshop:prefix=bookshop")
    names = [g["logGroupName"] for g in session.client("logs").describe_log_groups()["logGroups"]]
    assert names == ["/ecs/bookshop"]


def test_the_shared_workshop_tag_finds_a_look_alike_learner(session):
    with pytest.raises(ExerciseIncomplete, match="tagged workshop:prefix=bookshop9: another learner's"):
        check_my_resources(by_workshop_tag, session)


def test_a_placeholder_and_a_value_that_is_no_function_are_named(session):
    with pytest.raises(ExerciseIncomplete, match="`my_resources` is still `...`"):
        check_my_resources(..., session)
    with pytest.raises(ExerciseIncomplete, match="must be a function"):
        check_my_resources(["arn:aws:logs:x"], session)


def test_an_error_in_the_learners_function_is_one_line(session):
    with pytest.raises(ExerciseIncomplete, match="raised KeyError: 'ResourceArn'"):
        check_my_resources(lambda session: [{}["ResourceArn"]], session)


@pytest.mark.parametrize("answer, words", [
    ("arn:aws:logs:x", "must return a list of ARNs; it returned str"),
    (["/ecs/bookshop"], "must return ARNs (each mapping's ResourceARN); it returned '/ecs/bookshop'"),
    ([ARN + "/ecs/bookshop"], f"misses 1 of the 2 resources tagged workshop:prefix=bookshop, e.g. {MINE}"),
    ([ARN + "/ecs/bookshop", ARN + MINE, ARN + "/ecs/other"], "lists 1 resources that do not carry"),
])
def test_each_inventory_problem_is_named(answer, words):
    expected = {ARN + "/ecs/bookshop", ARN + MINE}

    assert words in inventory_problem(answer, expected, MINE, THEIRS, "bookshop")
