"""Module 04's exercises: the users repository with its image, and how many of its images ECR keeps.

Each check asks ECR (not the learner's variables) and turns the first problem into one `ExerciseIncomplete` line:
- `check_pushed_repository(ecr, session, service, repository, push)`: immutable tags, scan on push, the workshop's
  tags, and tag 1.0 holding the digest the push reported;
- `check_lifecycle_policy(ecr, session, service, policy)`: the policy stored on the repository follows AWS's rules
  for lifecycle policies and keeps the releases a rollback needs, no more.
"""
import json

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.deploy import repository_name
from workshop.exercises import exercise_check

TAG = "1.0"
# The team's rule in exercise 04.2: the release that runs, and the three a rollback may go back to.
RELEASES_KEPT = 1 + 3
UNTAGGED_DAYS = 1


@exercise_check("04.1")
def check_pushed_repository(ecr, session, service: str, repository, push) -> None:
    require_answer("users_repository", repository)
    name = repository_name(session, service)
    found = _repository(ecr, name)
    if found["imageTagMutability"] != "IMMUTABLE":
        raise ExerciseIncomplete(f"{name} has mutable tags: pass imageTagMutability=\"IMMUTABLE\" (the repository "
                                 f"exists now: ecr.put_image_tag_mutability changes it in place)")
    if not found.get("imageScanningConfiguration", {}).get("scanOnPush"):
        raise ExerciseIncomplete(f"{name} does not scan on push: pass imageScanningConfiguration="
                                 f"{{\"scanOnPush\": True}} (or ecr.put_image_scanning_configuration on the existing "
                                 f"repository)")
    tags = {tag["Key"]: tag["Value"] for tag in ecr.list_tags_for_resource(resourceArn=found["repositoryArn"])["tags"]}
    if any(tags.get(key) != value for key, value in session.tag_map.items()):
        raise ExerciseIncomplete(f"{name} lacks the workshop's tags: pass tags=session.tags (or ecr.tag_resource on "
                                 f"the existing repository)")
    require_answer("users_push", push)
    try:
        images = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": TAG}])["imageDetails"]
    except ecr.exceptions.ImageNotFoundException:
        images = []
    if not images:
        raise ExerciseIncomplete(f"{name} has no image tagged {TAG}: tag the build with the repositoryUri and "
                                 f"{TAG!r}, then push_image(client, uri, {TAG!r}, auth_config=…)")
    if images[0]["imageDigest"] != getattr(push, "digest", None):
        raise ExerciseIncomplete(f"{name}:{TAG} in ECR has digest {images[0]['imageDigest'][:19]}…, not the one "
                                 f"users_push reported: assign the result of push_image to users_push")
    digest = images[0]["imageDigest"][:19]
    print(f"✔ {name}: immutable tags, scan on push, tagged; {TAG} in ECR with digest {digest}…")


@exercise_check("04.2")
def check_lifecycle_policy(ecr, session, service: str, policy) -> None:
    require_answer("users_lifecycle_policy", policy)
    name = repository_name(session, service)
    _repository(ecr, name)
    try:
        text = ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    except ecr.exceptions.LifecyclePolicyNotFoundException:
        raise ExerciseIncomplete(f"{name} has no lifecycle policy: ecr.put_lifecycle_policy(repositoryName=…, "
                                 f"lifecyclePolicyText=json.dumps(users_lifecycle_policy))") from None
    rules = json.loads(text).get("rules", [])
    problem = lifecycle_problem(rules)
    if problem:
        raise ExerciseIncomplete(f"{name}'s lifecycle policy: {problem}")
    print(f"✔ {name}: untagged images expire after {UNTAGGED_DAYS} day, the {RELEASES_KEPT} newest images stay "
          f"(the running release and three to roll back to)")


def lifecycle_problem(rules: list[dict]) -> str | None:
    """The first way the rules break AWS's rules or the team's, as one line; None if there is none."""
    # AWS's rules: https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
    priorities = [rule.get("rulePriority") for rule in rules]
    if len(set(priorities)) != len(priorities):
        return f"rulePriority values must be unique, and these repeat: {sorted(priorities)}"
    for rule in rules:
        selection = rule.get("selection", {})
        if selection.get("tagStatus") == "any" and rule["rulePriority"] != max(priorities):
            return (f"rule {rule['rulePriority']} selects tagStatus \"any\" but is not evaluated last: AWS refuses a "
                    f"policy unless the \"any\" rule has the highest rulePriority")
        prefixed = selection.get("tagPrefixList") or selection.get("tagPatternList")
        if selection.get("tagStatus") == "tagged" and not prefixed:
            return f"rule {rule['rulePriority']} selects tagStatus \"tagged\" without a tagPrefixList: AWS needs one"
    untagged = [rule["selection"] for rule in rules if rule.get("selection", {}).get("tagStatus") == "untagged"]
    if not any(s.get("countType") == "sinceImagePushed" and s.get("countNumber") == UNTAGGED_DAYS for s in untagged):
        return (f"no rule expires untagged images after {UNTAGGED_DAYS} day: keep the first rule of the policy above "
                f"(tagStatus \"untagged\", sinceImagePushed, {UNTAGGED_DAYS} day)")
    counts = [rule["selection"]["countNumber"] for rule in rules
              if rule.get("selection", {}).get("countType") == "imageCountMoreThan"
              and rule["selection"].get("tagStatus") in ("any", "tagged")]
    if not counts:
        return "no rule limits how many images stay: add one with countType \"imageCountMoreThan\""
    if counts[0] < RELEASES_KEPT:
        return (f"it keeps {counts[0]} images, and a rollback could find its release gone: the running release and "
                f"the three before it are {RELEASES_KEPT}")
    if counts[0] > RELEASES_KEPT:
        return (f"it keeps {counts[0]} images, but {RELEASES_KEPT} are enough (the running release and three to roll "
                f"back to): each extra image is storage you pay for")
    return None


def _repository(ecr, name: str) -> dict:
    try:
        return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        raise ExerciseIncomplete(f"ECR has no repository {name}: create it with ecr.create_repository(repositoryName="
                                 f"{name!r}, …) (exercise 04.1)") from None
