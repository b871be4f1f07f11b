"""Module 06's exercise: the event source mapping that hands the order-events queue to the notifier.

`check_event_source_mapping(lambda_client, uuid, queue_arn=…, function_arn=…)` reads the mapping back from Lambda;
each problem comes back as one `ExerciseIncomplete` line with the fix.
"""
from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check

# An SQS mapping takes 1–10 messages per batch unless it also waits (MaximumBatchingWindowInSeconds) for more.
MAX_UNBATCHED_SIZE = 10
RUNNING_STATES = ("Enabled", "Enabling", "Creating")


@exercise_check("06.1")
def check_event_source_mapping(lambda_client, mapping_uuid, *, queue_arn: str, function_arn: str) -> None:
    require_answer("notifier_mapping", mapping_uuid)
    if not isinstance(mapping_uuid, str):
        raise ExerciseIncomplete("`notifier_mapping` must be the UUID that create_event_source_mapping returned "
                                 "(…[\"UUID\"])")
    try:
        mapping = lambda_client.get_event_source_mapping(UUID=mapping_uuid)
    except lambda_client.exceptions.ResourceNotFoundException:
        raise ExerciseIncomplete(f"Lambda has no event source mapping {mapping_uuid!r}: create it and assign "
                                 f"its UUID to `notifier_mapping`") from None
    problems = list(_problems(mapping, queue_arn, function_arn))
    if problems:
        raise ExerciseIncomplete(problems[0])
    print(f"✔ mapping {mapping_uuid[:8]}…: {queue_arn.rsplit(':', 1)[-1]} → {function_arn.rsplit(':', 1)[-1]}, "
          f"batches of up to {mapping['BatchSize']}, {mapping['State']}")


def _problems(mapping: dict, queue_arn: str, function_arn: str):
    if mapping.get("EventSourceArn") != queue_arn:
        yield f"the mapping reads {mapping.get('EventSourceArn')!r}; EventSourceArn must be the queue's ARN {queue_arn}"
    if mapping.get("FunctionArn") != function_arn:
        yield f"the mapping invokes {mapping.get('FunctionArn')!r}; FunctionName must be the notifier ({function_arn})"
    if mapping.get("State") not in RUNNING_STATES:
        yield f"the mapping is {mapping.get('State')!r}: create it with Enabled=True (or update it to Enabled)"
    size, window = mapping.get("BatchSize", 0), mapping.get("MaximumBatchingWindowInSeconds", 0)
    if not 1 <= size <= MAX_UNBATCHED_SIZE and not window:
        yield (f"BatchSize {size} needs a batching window; without one use 1 to {MAX_UNBATCHED_SIZE} "
               f"(each confirmation is quick, so 10 is a good size)")
