"""Module 06's exercises: the order-events queue's visibility timeout, and the event source mapping that hands the
queue to the notifier.

`check_queue_visibility(sqs, lambda_client, seconds, queue_url=…, function_name=…)` reads the queue's
VisibilityTimeout and the function's Timeout back; `check_event_source_mapping(lambda_client, uuid, queue_arn=…,
function_arn=…)` reads the mapping back from Lambda. Each problem comes back as one `ExerciseIncomplete` line with
the fix.
"""
import time

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check

# AWS: "Set the queue's visibility timeout to at least six times the function timeout", so a batch Lambda retries
# after a throttle is not handed out again meanwhile (Amazon SQS Developer Guide, configuring a Lambda trigger).
VISIBILITY_FACTOR = 6
# Longer only delays the retry of a failed batch; a quarter of an hour is already generous for a 10 s function.
LONGEST_SENSIBLE_S = 15 * 60
# An SQS mapping takes 1–10 messages per batch unless it also waits (MaximumBatchingWindowInSeconds) for more.
MAX_UNBATCHED_SIZE = 10
RUNNING_STATES = ("Enabled",)
SETTLING_STATES = ("Creating", "Enabling", "Updating")  # on AWS a mapping passes through these for a few seconds
SETTLE_S = 60


@exercise_check("06.1")
def check_queue_visibility(sqs, lambda_client, seconds, *, queue_url: str, function_name: str) -> None:
    require_answer("order_events_visibility", seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ExerciseIncomplete(f"`order_events_visibility` must be the number of seconds you chose, an int "
                                 f"(not {seconds!r})")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    queue_seconds = int(attributes["VisibilityTimeout"])
    if queue_seconds != seconds:
        raise ExerciseIncomplete(f"the queue's visibility timeout is {queue_seconds} s, not {seconds}: set it with "
                                 f"sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={{\"VisibilityTimeout\": "
                                 f"\"{seconds}\"}})")
    function_timeout = lambda_client.get_function_configuration(FunctionName=function_name)["Timeout"]
    problem = visibility_problem(queue_seconds, function_timeout)
    if problem:
        raise ExerciseIncomplete(problem)
    print(f"✔ visibility timeout {queue_seconds} s = {queue_seconds / function_timeout:g} × the notifier's timeout "
          f"({function_timeout} s): a batch in progress, or waiting for a retry, is not handed out twice")


def visibility_problem(visibility_s: int, function_timeout_s: int) -> str | None:
    advised = VISIBILITY_FACTOR * function_timeout_s
    if visibility_s < function_timeout_s:
        return (f"the visibility timeout ({visibility_s} s) is shorter than the notifier's Timeout "
                f"({function_timeout_s} s): a batch still being handled would be handed out again, and AWS refuses "
                f"such a mapping; make it at least {advised} s")
    if visibility_s < advised:
        return (f"{visibility_s} s covers one invoke, but AWS advises at least six times the function's Timeout "
                f"({advised} s), so a batch Lambda retries after a throttle does not reappear meanwhile")
    if visibility_s > max(LONGEST_SENSIBLE_S, advised):
        return (f"{visibility_s} s is longer than needed: a batch whose invoke failed waits that long before its "
                f"retry; {advised} s is enough")
    return None


@exercise_check("06.2")
def check_event_source_mapping(lambda_client, mapping_uuid, *, queue_arn: str, function_arn: str,
                               sleep=time.sleep) -> None:
    require_answer("notifier_mapping", mapping_uuid)
    if not isinstance(mapping_uuid, str):
        raise ExerciseIncomplete("`notifier_mapping` must be the UUID that create_event_source_mapping returned "
                                 "(…[\"UUID\"])")
    try:
        mapping = settled(lambda_client, mapping_uuid, sleep)
    except lambda_client.exceptions.ResourceNotFoundException:
        raise ExerciseIncomplete(f"Lambda has no event source mapping {mapping_uuid!r}: create it and assign "
                                 f"its UUID to `notifier_mapping`") from None
    problems = list(_problems(mapping, queue_arn, function_arn))
    if problems:
        raise ExerciseIncomplete(problems[0])
    print(f"✔ mapping {mapping_uuid[:8]}…: {queue_arn.rsplit(':', 1)[-1]} → {function_arn.rsplit(':', 1)[-1]}, "
          f"batches of up to {mapping['BatchSize']}, {mapping['State']}")


def settled(lambda_client, mapping_uuid: str, sleep) -> dict:
    """The mapping once it has left Creating/Enabling/Updating (at most SETTLE_S later)."""
    for _ in range(SETTLE_S):
        mapping = lambda_client.get_event_source_mapping(UUID=mapping_uuid)
        if mapping.get("State") not in SETTLING_STATES:
            break
        sleep(1)
    return mapping


def _problems(mapping: dict, queue_arn: str, function_arn: str):
    if mapping.get("EventSourceArn") != queue_arn:
        yield f"the mapping reads {mapping.get('EventSourceArn')!r}; EventSourceArn must be the queue's ARN {queue_arn}"
    if mapping.get("FunctionArn") != function_arn:
        yield f"the mapping invokes {mapping.get('FunctionArn')!r}; FunctionName must be the notifier ({function_arn})"
    if mapping.get("State") in SETTLING_STATES:
        yield f"the mapping is still {mapping['State']!r} after {SETTLE_S} s: run this check again in a minute"
    elif mapping.get("State") not in RUNNING_STATES:
        yield (f"the mapping is {mapping.get('State')!r}: create it with Enabled=True (or update it: "
               f"update_event_source_mapping(UUID=…, Enabled=True))")
    size, window = mapping.get("BatchSize", 0), mapping.get("MaximumBatchingWindowInSeconds", 0)
    if not 1 <= size <= MAX_UNBATCHED_SIZE and not window:
        yield (f"BatchSize {size} needs a batching window; without one use 1 to {MAX_UNBATCHED_SIZE} "
               f"(each confirmation is quick, so 10 is a good size)")
