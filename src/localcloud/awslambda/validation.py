"""Lambda rules AWS applies and moto does not, for the calls the provider answers."""
from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError, UnknownFunctionException

from localcloud.iam_rights import role_allows

# A function reading a queue needs these on it, in this order of AWS's checks
# (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions).
SQS_POLLER_ACTIONS = ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")


class ResourceConflictException(LambdaClientError):
    code = 409

    def __init__(self, message: str):
        super().__init__("ResourceConflictException", message)


def sqs_arn(params: dict) -> str | None:
    queue_arn = params.get("EventSourceArn") or ""
    return queue_arn if queue_arn.startswith("arn:") and queue_arn.split(":")[2:3] == ["sqs"] else None


def mapped_function(backend, params: dict):
    """The function a mapping names; None if there is none (moto answers ResourceNotFoundException, as AWS does)."""
    try:
        return backend.get_function(params.get("FunctionName"), None)
    except UnknownFunctionException:
        return None


def check_sqs_mapping_role(backend, params: dict) -> None:
    """CreateEventSourceMapping from a queue: the function's execution role must let Lambda read and delete its
    messages, or AWS refuses the mapping."""
    queue_arn, fn = sqs_arn(params), mapped_function(backend, params)
    if queue_arn is None or fn is None:
        return
    for action in SQS_POLLER_ACTIONS:
        if not role_allows(fn.role, f"sqs:{action}", queue_arn):
            raise InvalidParameterValueException(
                f"The function execution role does not have permissions to call {action} on SQS")


def check_sqs_mapping_queue(backend, sqs_backend, params: dict) -> None:
    """CreateEventSourceMapping from a queue: AWS refuses a queue whose visibility timeout is shorter than the
    function's timeout (a message would reappear while its batch still runs,
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), and a second mapping of the same
    queue and function (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html,
    ResourceConflictException). moto checks neither."""
    queue_arn, fn = sqs_arn(params), mapped_function(backend, params)
    if queue_arn is None or fn is None:
        return
    queue = next((queue for queue in sqs_backend.queues.values() if queue.queue_arn == queue_arn), None)
    if queue is not None and int(queue.visibility_timeout) < int(fn.timeout):
        raise InvalidParameterValueException(f"Queue visibility timeout: {int(queue.visibility_timeout)} seconds is "
                                             f"less than Function timeout: {int(fn.timeout)} seconds")
    existing = next((mapping for mapping in backend.list_event_source_mappings(queue_arn, None)
                     if mapping.function_arn == fn.function_arn), None)
    if existing is not None:
        raise ResourceConflictException(
            f'An event source mapping with SQS arn (" {queue_arn} ") and function (" {fn.function_name} ") already '
            f"exists. Please update or delete the existing mapping with UUID {existing.uuid}")
