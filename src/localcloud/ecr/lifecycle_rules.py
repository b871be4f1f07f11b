"""Lifecycle policy rules AWS applies and moto does not (moto checks only each rule's shape).

From https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html: each rule's `rulePriority` is
unique; a rule with `tagStatus` "any" must have the highest priority (it is evaluated last); a rule with `tagStatus`
"tagged" must name `tagPrefixList` or `tagPatternList`.
"""
import json

from moto.ecr.exceptions import InvalidParameterException

PREFIX = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: "


def problem(policy_text: str) -> str | None:
    try:
        rules = json.loads(policy_text).get("rules", [])
        priorities = [rule["rulePriority"] for rule in rules]
    except (ValueError, AttributeError, KeyError, TypeError):
        return None  # moto refuses what does not parse, in AWS's words
    if len(set(priorities)) != len(priorities):
        return "rulePriority must be unique across the policy's rules"
    for rule in rules:
        selection = rule.get("selection") or {}
        if selection.get("tagStatus") == "any" and rule["rulePriority"] != max(priorities):
            return "a rule with tagStatus 'any' must have the highest rulePriority"
        if selection.get("tagStatus") == "tagged" and not (selection.get("tagPrefixList")
                                                            or selection.get("tagPatternList")):
            return "tagPrefixList or tagPatternList is required when tagStatus is 'tagged'"
    return None


def check(policy_text: str) -> None:
    found = problem(policy_text or "")
    if found:
        raise InvalidParameterException(f"{PREFIX}{found}.'")
