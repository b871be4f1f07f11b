"""What an IAM role's own policies allow, judged by moto's policy evaluator over moto's IAM state: its inline
policies and the managed ones attached to it (AWS managed policies as moto knows them)."""
import json

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.models import iam_backends

from localcloud import pace as pacing


def role_allows(role_arn: str, action: str, resource: str) -> bool:
    """An explicit Deny wins, then an Allow; anything else is denied
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)."""
    role = role_of(role_arn)
    if role is None:
        return False
    results = {IAMPolicy(case_folded(document)).is_action_permitted(action.lower(), resource)
               for document in policy_documents(role)}
    return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results


def role_of(role_arn: str):
    """moto's role for `arn:<partition>:iam::<account>:role/<path/>name`, or None."""
    parts = (role_arn or "").split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("role/"):
        return None
    partition, account_id, name = parts[1], parts[4], parts[5].rsplit("/", 1)[-1]
    try:
        backend = iam_backends[account_id][partition]
    except KeyError:
        return None
    return next((role for role in list(backend.roles.values()) if role.name == name), None)


def policy_documents(role) -> list[str]:
    # At the `aws` pace a policy attached or put moments ago has not propagated yet (`localcloud.pace`).
    documents = [document for name, document in list(role.policies.items()) if pacing.in_effect(role, name)]
    for arn, policy in list(role.managed_policies.items()):
        if pacing.in_effect(role, arn):
            documents.append(next(version.document for version in policy.versions if version.is_default))
    return [document if isinstance(document, str) else json.dumps(document) for document in documents]


def case_folded(document: str) -> str:
    """The policy with its actions in lower case: action names match case-insensitively on AWS
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html), in moto's evaluator
    exactly."""
    policy = json.loads(document)
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        for key in ("Action", "NotAction"):
            if isinstance(statement.get(key), str):
                statement[key] = statement[key].lower()
            elif isinstance(statement.get(key), list):
                statement[key] = [action.lower() for action in statement[key]]
    return json.dumps(policy)
