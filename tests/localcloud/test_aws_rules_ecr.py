"""ECR lifecycle policy rules AWS applies to the whole policy, which moto leaves out (it checks each rule's shape)."""
import json

import pytest
from moto.ecr.exceptions import InvalidParameterException

from localcloud.ecr import lifecycle_rules
from localcloud.ecr.provider import EcrProvider

UNTAGGED = {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                             "countUnit": "days", "countNumber": 1}, "action": {"type": "expire"}}
KEEP_FOUR = {"rulePriority": 2, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 4},
             "action": {"type": "expire"}}


def policy(*rules) -> str:
    return json.dumps({"rules": list(rules)})


def test_a_policy_as_aws_accepts_it_passes():
    assert lifecycle_rules.problem(policy(UNTAGGED, KEEP_FOUR)) is None
    tagged = {**KEEP_FOUR, "rulePriority": 1, "selection": {**KEEP_FOUR["selection"], "tagStatus": "tagged",
                                                            "tagPrefixList": ["v"]}}
    assert lifecycle_rules.problem(policy(tagged, {**KEEP_FOUR, "rulePriority": 5})) is None


@pytest.mark.parametrize("rules, said", [
    ((UNTAGGED, {**KEEP_FOUR, "rulePriority": 1}), "rulePriority must be unique"),
    (({**KEEP_FOUR, "rulePriority": 1}, {**UNTAGGED, "rulePriority": 2}),
     "a rule with tagStatus 'any' must have the highest rulePriority"),
    ((UNTAGGED, {**KEEP_FOUR, "selection": {**KEEP_FOUR["selection"], "tagStatus": "tagged"}}),
     "tagPrefixList or tagPatternList is required when tagStatus is 'tagged'"),
])
def test_a_policy_aws_refuses_is_refused_in_its_words(rules, said):
    with pytest.raises(InvalidParameterException) as raised:
        lifecycle_rules.check(policy(*rules))
    assert str(raised.value.message).startswith("Invalid parameter at 'LifecyclePolicyText' failed to satisfy "
                                                "constraint: 'Lifecycle policy validation failure: ")
    assert said in raised.value.message


def test_text_that_does_not_parse_is_left_to_moto_which_words_it_as_aws():
    assert lifecycle_rules.problem("{not json") is None


def test_the_provider_checks_put_lifecycle_policy():
    assert "PutLifecyclePolicy" in EcrProvider.handlers(EcrProvider.__new__(EcrProvider))
