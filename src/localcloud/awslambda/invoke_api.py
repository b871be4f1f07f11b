"""Lambda's Invoke as its API answers it: the HTTP status of the invocation type, the X-Amz-* headers, the raw payload.

Both the Invoke handler and the invokes moto makes itself (SNS, event streams, InvokeAsync) answer through here.
"""
import base64
import json

from moto.awslambda.exceptions import LambdaClientError
from moto.utilities.aws_headers import gen_amzn_requestid_long

from localcloud.awslambda.invocation import LambdaInvokeError

# AWS caps a synchronous response at 6 MB and names this limit in its error
# (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
MAX_RESPONSE_BYTES = 6291556
RESPONSE_TOO_LARGE = json.dumps({
    "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
    "errorType": "Function.ResponseSizeTooLarge"}).encode()


class LambdaApiError(LambdaClientError):
    """A plane error as the API answers it: AWS's code, message and HTTP status."""

    def __init__(self, error: LambdaInvokeError):
        self.code = error.status_code
        super().__init__(error.code, error.message)


def invoke_answer(plane, fn, payload: bytes | str | None, invocation_type: str | None,
                  log_type: str | None) -> tuple[int, dict, bytes]:
    """Run moto's function version `fn` on the plane; (status, headers, body) as Lambda's Invoke answers.

    Header names are lower case: moto's own callers look them up so (`"x-amz-function-error" in headers`)."""
    payload = payload.encode() if isinstance(payload, str) else (payload or b"")
    headers = {"content-type": "application/json"}
    try:
        if invocation_type == "Event":
            plane.run_async(fn, payload)
            return 202, {**headers, "x-amzn-requestid": gen_amzn_requestid_long()}, b""
        if invocation_type == "DryRun":
            return 204, {**headers, "x-amzn-requestid": gen_amzn_requestid_long()}, b""
        outcome = plane.run(fn, payload, wait_for_log=log_type == "Tail")
    except LambdaInvokeError as error:
        raise LambdaApiError(error) from None
    headers["x-amzn-requestid"] = outcome.request_id or gen_amzn_requestid_long()
    headers["x-amz-executed-version"] = outcome.executed_version
    body = outcome.payload
    if outcome.function_error:
        headers["x-amz-function-error"] = outcome.function_error
    if len(body) > MAX_RESPONSE_BYTES:
        body, headers["x-amz-function-error"] = RESPONSE_TOO_LARGE, "Unhandled"
    if log_type == "Tail":
        headers["x-amz-log-result"] = base64.b64encode(outcome.log_tail.encode()).decode()
    return outcome.status_code, headers, body
