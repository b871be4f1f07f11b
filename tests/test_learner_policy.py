"""The learner policy generated from a rehearsal's calls, and the published one the rehearsal holds learners to."""
import json

from localcloud.iam_enforcement import _permitted
from workshop.learner_policy import BOUNDARY_NAME, OWN_ROLES, policy_document
from workshop.rehearsal import IMPLIED_ACTIONS, POLICY_FILE, RETRY_ACTIONS

CALLED = ["ecs:CreateCluster", "ecs:CreateService", "iam:CreateRole", "iam:PassRole", "iam:GetRole",
          "lambda:CreateFunction", "sts:GetCallerIdentity"]


# What a learner's CreateRole carries when the facilitator's boundary is set (WORKSHOP_PERMISSIONS_BOUNDARY).
WITH_BOUNDARY = {"aws:PrincipalAccount": "123456789012",
                 "iam:PermissionsBoundary": f"arn:aws:iam::123456789012:policy/{BOUNDARY_NAME}"}


def test_every_called_action_is_allowed_and_nothing_else():
    document = policy_document(CALLED)
    policy = document["learner_policy"]
    assert all(_permitted([policy], action, WITH_BOUNDARY) for action in CALLED)
    assert not _permitted([policy], "iam:CreateRole", {"aws:PrincipalAccount": "123456789012"})
    assert not _permitted([policy], "ecs:DeleteCluster")
    assert not _permitted([policy], "iam:CreateUser")
    assert document["action_count"] == len(CALLED)


def test_roles_are_scoped_to_the_learner_s_name_and_created_only_with_the_boundary():
    statements = {statement["Sid"]: statement for statement in policy_document(CALLED)["learner_policy"]["Statement"]}
    assert statements["OwnRoles"]["Resource"] == OWN_ROLES
    assert set(statements["OwnRoles"]["Action"]) == {"iam:PassRole", "iam:GetRole"}
    create = statements["OwnRolesWithBoundary"]
    assert create["Action"] == ["iam:CreateRole"]
    assert create["Condition"]["StringEquals"]["iam:PermissionsBoundary"].endswith(f":policy/{BOUNDARY_NAME}")
    assert all(statement["Resource"] == "*" for sid, statement in statements.items() if not sid.startswith("OwnRoles"))


def test_the_published_policy_allows_what_aws_checks_without_a_call_of_its_own():
    published = json.loads(POLICY_FILE.read_text())
    assert all(_permitted([published["learner_policy"]], action) for action in (*IMPLIED_ACTIONS, *RETRY_ACTIONS))
    listed = {action for statement in published["learner_policy"]["Statement"] for action in statement["Action"]}
    assert published["action_count"] <= len(listed)
