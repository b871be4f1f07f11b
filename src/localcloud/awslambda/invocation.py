"""What other planes get back from the Lambda plane, and the errors it raises.

The API Gateway plane (or anything else in the local cloud) invokes a function through

    cloud.part("lambda").invoke(function, payload, qualifier=None) -> Invocation

`function` is a function name, a function ARN (optionally with `:version` or `:alias`) or a partial ARN; the
caller strips API Gateway's `arn:aws:apigateway:…/functions/<lambda-arn>/invocations` wrapper first. The call is
synchronous (RequestResponse) and runs the handler for real, in a warm container when there is one.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Invocation:
    """The outcome of one synchronous invoke, as Lambda's Invoke API reports it."""
    status_code: int              # 200 (also when the function failed: see function_error)
    payload: bytes                # the handler's JSON result, or AWS's error document
    function_error: str | None    # "Unhandled" when the handler raised, timed out or its runtime died; else None
    log_tail: str                 # the last 4 KB of the invocation's log (START … REPORT), as text
    executed_version: str         # "$LATEST" or the published version that ran
    request_id: str = ""


class LambdaInvokeError(Exception):
    """Base of the errors `invoke` raises instead of returning an Invocation; `code` is AWS's error code."""
    code = "ServiceException"
    status_code = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FunctionNotFound(LambdaInvokeError):
    code = "ResourceNotFoundException"
    status_code = 404


class Throttled(LambdaInvokeError):
    """More concurrent invokes than the function's ReservedConcurrentExecutions (AWS answers 429)."""
    code = "TooManyRequestsException"
    status_code = 429


class InvalidRequestContent(LambdaInvokeError):
    """The payload is not JSON (AWS answers 400)."""
    code = "InvalidRequestContentException"
    status_code = 400
