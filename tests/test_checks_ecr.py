"""Module 04's checks against ECR in moto: the users repository's settings, and its lifecycle policy's rules."""
import json

import boto3
import pytest
from moto import mock_aws

from tests.aws_fakes import aws_environment, learner  # noqa: F401 - aws_environment is a fixture
from workshop.checks import ExerciseIncomplete
from workshop.checks.ecr import check_lifecycle_policy, check_pushed_repository
from workshop.deploy import repository_name

UNTAGGED = {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                             "countUnit": "days", "countNumber": 1}, "action": {"type": "expire"}}


def keep(count: int, priority: int = 2, tag_status: str = "any") -> dict:
    return {"rulePriority": priority, "selection": {"tagStatus": tag_status, "countType": "imageCountMoreThan",
                                                    "countNumber": count}, "action": {"type": "expire"}}


@pytest.fixture
def ecr(aws_environment):  # noqa: F811
    with mock_aws():
        yield boto3.client("ecr")


@pytest.fixture
def session():
    return learner("bookshop")


def incomplete(check, *args) -> str:
    with pytest.raises(ExerciseIncomplete) as raised:
        check(*args)
    return str(raised.value)


def users_repository(ecr, session, **settings) -> dict:
    return ecr.create_repository(repositoryName=repository_name(session, "users"), tags=session.tags,
                                 **settings)["repository"]


def test_a_missing_repository_names_the_call_that_creates_it(ecr, session):
    said = incomplete(check_pushed_repository, ecr, session, "users", {"repositoryName": "x"}, None)
    assert said.startswith("ECR has no repository bookshop/users: create it with ecr.create_repository(")


def test_mutable_tags_point_at_the_call_that_changes_an_existing_repository(ecr, session):
    repository = users_repository(ecr, session, imageScanningConfiguration={"scanOnPush": True})
    said = incomplete(check_pushed_repository, ecr, session, "users", repository, ...)
    assert "has mutable tags: pass imageTagMutability=\"IMMUTABLE\"" in said and "put_image_tag_mutability" in said


def test_a_repository_without_scan_on_push_is_incomplete(ecr, session):
    repository = users_repository(ecr, session, imageTagMutability="IMMUTABLE")
    said = incomplete(check_pushed_repository, ecr, session, "users", repository, ...)
    assert "does not scan on push" in said


def test_a_right_repository_without_a_push_asks_for_the_push(ecr, session):
    repository = users_repository(ecr, session, imageTagMutability="IMMUTABLE",
                                  imageScanningConfiguration={"scanOnPush": True})
    said = incomplete(check_pushed_repository, ecr, session, "users", repository, ...)
    assert "`users_push` is still `...`" in said


def put_policy(ecr, session, *rules) -> dict:
    users_repository(ecr, session)
    policy = {"rules": list(rules)}
    ecr.put_lifecycle_policy(repositoryName=repository_name(session, "users"), lifecyclePolicyText=json.dumps(policy))
    return policy


def test_the_running_release_and_three_to_roll_back_to_pass(ecr, session, capsys):
    policy = put_policy(ecr, session, UNTAGGED, keep(4))
    check_lifecycle_policy(ecr, session, "users", policy)
    assert capsys.readouterr().out.startswith("✔ bookshop/users: untagged images expire after 1 day, the 4 newest")


def test_a_policy_left_as_dots_is_unanswered(ecr, session):
    assert "`users_lifecycle_policy` is still `...`" in incomplete(check_lifecycle_policy, ecr, session, "users", ...)


def test_a_policy_written_but_not_put_on_the_repository(ecr, session):
    users_repository(ecr, session)
    said = incomplete(check_lifecycle_policy, ecr, session, "users", {"rules": [UNTAGGED, keep(4)]})
    assert said.startswith("bookshop/users has no lifecycle policy: ecr.put_lifecycle_policy(")


@pytest.mark.parametrize("count, expected", [
    (3, "it keeps 3 images, and a rollback could find its release gone"),
    (10, "it keeps 10 images, but 4 are enough"),
])
def test_the_count_must_keep_what_a_rollback_needs_and_no_more(ecr, session, count, expected):
    policy = put_policy(ecr, session, UNTAGGED, keep(count))
    assert expected in incomplete(check_lifecycle_policy, ecr, session, "users", policy)


def test_an_any_rule_that_is_not_last_breaks_awss_rule(ecr, session):
    policy = put_policy(ecr, session, {**UNTAGGED, "rulePriority": 2}, keep(4, priority=1))
    said = incomplete(check_lifecycle_policy, ecr, session, "users", policy)
    assert "rule 1 selects tagStatus \"any\" but is not evaluated last" in said


def test_a_tagged_rule_needs_a_tag_prefix(ecr, session):
    policy = put_policy(ecr, session, UNTAGGED, keep(4, tag_status="tagged"))
    assert "without a tagPrefixList" in incomplete(check_lifecycle_policy, ecr, session, "users", policy)


def test_untagged_images_must_still_expire_after_a_day(ecr, session):
    policy = put_policy(ecr, session, keep(4, priority=1))
    said = incomplete(check_lifecycle_policy, ecr, session, "users", policy)
    assert "no rule expires untagged images after 1 day" in said
