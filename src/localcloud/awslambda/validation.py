"""Lambda rules AWS applies and moto does not, for the calls the provider answers."""
from moto.awslambda.exceptions import InvalidParameterValueException, UnknownFunctionException

from localcloud.iam_rights import role_allows

# A function reading a queue needs these on it, in this order of AWS's checks
# (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions).
SQS_POLLER_ACTIONS = ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")


def check_sqs_mapping_role(backend, params: dict) -> None:
    """CreateEventSourceMapping from a queue: the function's execution role must let Lambda read and delete its
    messages, or AWS refuses the mapping."""
    queue_arn = params.get("EventSourceArn") or ""
    if not queue_arn.startswith("arn:") or queue_arn.split(":")[2:3] != ["sqs"]:
        return
    try:
        fn = backend.get_function(params.get("FunctionName"), None)
    except UnknownFunctionException:
        return  # moto answers ResourceNotFoundException, as AWS does
    for action in SQS_POLLER_ACTIONS:
        if not role_allows(fn.role, f"sqs:{action}", queue_arn):
            raise InvalidParameterValueException(
                f"The function execution role does not have permissions to call {action} on SQS")
