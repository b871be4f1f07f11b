"""The Lambda operations the plane owns: invokes run in its warm containers, functions are LocalFunctions, updates
say when they happened, and SQS event source mappings are polled by the plane rather than invoked inside moto."""
import copy
import json

from moto.awslambda.exceptions import FunctionAlreadyExists, InvalidParameterValueException, UnknownFunctionException
from moto.awslambda.models import ImageConfig
from moto.awslambda.responses import LambdaResponse
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_nanoseconds
from moto.utilities.aws_headers import gen_amzn_requestid_long

from localcloud import pace as pacing
from localcloud.awslambda import account_concurrency, validation
from localcloud.awslambda.invoke_api import invoke_answer
from localcloud.awslambda.local_function import LocalFunction
from localcloud.providers import Answer, Call, Provider

# ScalingConfig.MaximumConcurrency, from AWS's API reference (botocore checks only the minimum)
# (https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html).
MAXIMUM_CONCURRENCY = (2, 1000)


class LambdaProvider(Provider):
    app = "awslambda"
    response_class = LambdaResponse

    def handlers(self):
        return {"Invoke": self.invoke, "CreateFunction": self.create_function,
                "UpdateFunctionCode": self.update_function_code,
                "UpdateFunctionConfiguration": self.update_function_configuration,
                "CreateEventSourceMapping": self.create_event_source_mapping,
                "UpdateEventSourceMapping": self.update_event_source_mapping, "DeleteFunction": self.delete_function,
                "PutFunctionConcurrency": self.put_function_concurrency,
                "GetAccountSettings": self.get_account_settings}

    def _backend(self):
        return self._plane.cloud.backend("lambda")

    def invoke(self, call: Call) -> Answer:
        # moto pulls lambci/… images (none can be pulled offline), starts a container per call, fails with 500s for
        # PackageType=Image, and reads the query parameter `qualifier` where clients send `Qualifier`.
        params = call.params
        fn = self._backend().get_function(params["FunctionName"], params.get("Qualifier"))
        return invoke_answer(self._plane, fn, params.get("Payload"), params.get("InvocationType"),
                             params.get("LogType"))

    def create_function(self, call: Call) -> Answer:
        # moto's create_function, making a LocalFunction; the spec is the request's JSON, as moto's model reads it
        # (the ZipFile as base64 text).
        spec = call.moto_response.json_body
        name = spec["FunctionName"].rsplit(":", 1)[-1]
        check_role_propagated(self._plane.cloud, call, spec.get("Role"))
        backend = self._backend()
        try:
            backend.get_function(name, None)
        except UnknownFunctionException:
            pass
        else:
            raise FunctionAlreadyExists(name)
        fn = LocalFunction(account_id=backend.account_id, spec=spec, region=backend.region_name, version="$LATEST")
        backend._lambdas.put_function(fn)
        if spec.get("Publish"):
            version = backend.publish_version(spec["FunctionName"]).version
            fn = copy.deepcopy(fn)  # the answer names the version published; $LATEST stays as it is
            fn.version = version
        return serialized(call, fn.get_configuration(on_create=True))

    def update_function_code(self, call: Call) -> Answer:
        # AWS sets LastModified on every code update; moto keeps the first.
        if not call.params.get("DryRun"):
            self._backend().get_function(call.params["FunctionName"], None).last_modified = now()
        return call.moto()

    def update_function_configuration(self, call: Call) -> Answer:
        # AWS sets LastModified on every configuration update; moto keeps the first, and drops ImageConfig.
        fn = self._backend().get_function(call.params["FunctionName"], None)
        check_role_propagated(self._plane.cloud, call, call.params.get("Role"))
        if "ImageConfig" in call.params:
            fn.image_config = ImageConfig(call.params["ImageConfig"] or {})
        fn.last_modified = now()
        return call.moto()

    def create_event_source_mapping(self, call: Call) -> Answer:
        # moto invokes a mapped function inside send_message (the sender waits for the handler; a failed batch is
        # visible again at once), and keeps invoking after delete_event_source_mapping. The plane polls instead.
        check_maximum_concurrency(call.params)
        validation.check_sqs_mapping_role(self._backend(), call.params)  # moto checks no permission
        validation.check_sqs_mapping_queue(self._backend(), self._plane.cloud.backend("sqs"), call.params)
        status, headers, body = call.moto()
        if status == 201:
            mapping = self._backend().get_event_source_mapping(json.loads(body)["UUID"])
            for queue in list(self._plane.cloud.backend("sqs").queues.values()):
                if queue.lambda_event_source_mappings.get(mapping.function_arn) is mapping:
                    del queue.lambda_event_source_mappings[mapping.function_arn]
            self._plane.wake_event_sources()
        return status, headers, body

    def delete_function(self, call: Call) -> Answer:
        # At the `aws` pace a VPC function's network interfaces outlive it (`pace_providers.hold_function_network`).
        cloud = self._plane.cloud
        fn = self._backend().get_function(call.params["FunctionName"], call.params.get("Qualifier"))
        answer = call.moto()
        if answer[0] < 300 and pacing.pace_of(cloud).aws and not call.params.get("Qualifier"):
            from localcloud.pace_providers import hold_function_network
            hold_function_network(pacing.pace_of(cloud), pacing.clock_of(cloud)(), cloud.backend("ec2"),
                                  fn._vpc_config)
        return answer

    def update_event_source_mapping(self, call: Call) -> Answer:
        check_maximum_concurrency(call.params)
        return call.moto()

    def put_function_concurrency(self, call: Call) -> Answer:
        # moto checks the account's unreserved minimum only under MOTO_LAMBDA_CONCURRENCY_QUOTA, and always as 100.
        fn = self._backend().get_function(call.params["FunctionName"], None)
        account_concurrency.check_reservation(self._backend(), fn.function_name,
                                              call.params["ReservedConcurrentExecutions"])
        return call.moto()

    def get_account_settings(self, call: Call) -> Answer:
        return serialized(call, account_concurrency.account_settings(self._backend()))


def check_maximum_concurrency(params: dict) -> None:
    """moto stores any ScalingConfig.MaximumConcurrency; AWS refuses one outside 2..1000."""
    maximum = (params.get("ScalingConfig") or {}).get("MaximumConcurrency")
    low, high = MAXIMUM_CONCURRENCY
    if maximum is None or (type(maximum) is int and low <= maximum <= high):
        return
    bound = (f"greater than or equal to {low}" if type(maximum) is int and maximum < low
             else f"less than or equal to {high}")
    raise InvalidParameterValueException(f"1 validation error detected: Value '{maximum}' at "
                                         f"'scalingConfig.maximumConcurrency' failed to satisfy constraint: "
                                         f"Member must have value {bound}")


def check_role_propagated(cloud, call: Call, role_arn: str | None) -> None:
    """At the `aws` pace a role created or changed moments ago cannot be assumed yet (IAM is eventually consistent:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency)."""
    pace = pacing.pace_of(cloud)
    if not pace.aws or not role_arn:
        return
    from localcloud.pace_providers import role_propagation_left
    if role_propagation_left(pace, pacing.clock_of(cloud)(), call.account_id, call.region, role_arn):
        raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.")


def serialized(call: Call, result: dict) -> Answer:
    """The result in the operation's shape, with the request id moto's own answers carry."""
    status, headers, body = call.moto_response.serialized(ActionResult(result))
    return status, {**headers, "x-amzn-RequestId": gen_amzn_requestid_long()}, body


def now() -> str:
    return iso_8601_datetime_with_nanoseconds()
