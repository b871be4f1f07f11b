"""Module 04's exercise: a repository for a service, created as the team wants it, with the service's image in it.

`check_pushed_repository(ecr, session, service, repository, push)` asks ECR (not the learner's variables) whether
the repository has immutable tags, scan on push and the workshop's tags, and whether it holds tag 1.0 with the
digest the push reported. Each problem comes back as one `ExerciseIncomplete` line.
"""
from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.deploy import repository_name

TAG = "1.0"


@exercise_check("04.1")
def check_pushed_repository(ecr, session, service: str, repository, push) -> None:
    require_answer("users_repository", repository)
    name = repository_name(session, service)
    try:
        found = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        raise ExerciseIncomplete(f"ECR has no repository {name}: create it with ecr.create_repository(repositoryName="
                                 f"repository_name(session, {service!r}), …)") from None
    if found["imageTagMutability"] != "IMMUTABLE":
        raise ExerciseIncomplete(f"{name} has mutable tags: pass imageTagMutability=\"IMMUTABLE\" (delete the "
                                 f"repository with force=True and create it again)")
    if not found.get("imageScanningConfiguration", {}).get("scanOnPush"):
        raise ExerciseIncomplete(f"{name} does not scan on push: pass imageScanningConfiguration={{\"scanOnPush\": True}}")
    tags = {tag["Key"]: tag["Value"] for tag in ecr.list_tags_for_resource(resourceArn=found["repositoryArn"])["tags"]}
    if any(tags.get(key) != value for key, value in session.tag_map.items()):
        raise ExerciseIncomplete(f"{name} lacks the workshop's tags: pass tags=session.tags")
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
    print(f"✔ {name}: immutable tags, scan on push, tagged; {TAG} in ECR with digest {images[0]['imageDigest'][:19]}…")
