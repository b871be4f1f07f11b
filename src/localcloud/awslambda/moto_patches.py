"""Fixes to moto's Lambda (moto 5.2.5), applied once; each names the moto behaviour it works around.

A running plane attaches itself; for a backend no plane owns, moto behaves as it always did.
"""
import base64
import re

from moto.awslambda import models
from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.responses import LambdaResponse
from moto.core.utils import iso_8601_datetime_with_nanoseconds
from moto.sqs import models as sqs_models

from localcloud.attached_planes import AttachedPlanes
from localcloud.awslambda.invocation import LambdaInvokeError
from localcloud.moto_patching import applied_once, wrap as _wrap

_attached = AttachedPlanes()
attach, detach, plane_for = _attached.attach, _attached.detach, _attached.plane_for


class LambdaApiError(LambdaClientError):
    """A plane error as moto's server answers it: AWS's code, message and HTTP status."""

    def __init__(self, error: LambdaInvokeError):
        self.code = error.status_code
        super().__init__(error.code, error.message)


@applied_once
def apply() -> None:
    invoke_runs_in_images_it_pulls_one_container_per_call()
    invoke_ignores_the_qualifier()
    image_uri_with_a_registry_port_is_hashed_not_resolved()
    update_leaves_last_modified_unchanged()
    update_configuration_ignores_image_config()
    reserved_concurrency_of_zero_is_hidden()
    sqs_send_message_invokes_the_function_inline()
    maximum_concurrency_is_not_range_checked()




def _plane(fn):
    return plane_for(models.lambda_backends[fn.account_id][fn.region])


def invoke_runs_in_images_it_pulls_one_container_per_call() -> None:
    # moto pulls lambci/… images (none can be pulled offline), starts a container per call, and fails with 500s
    # for PackageType=Image; the plane runs the function in its warm containers instead.
    def make(original):
        def invoke(fn, body, request_headers, response_headers):
            plane = _plane(fn)
            if plane is None:
                return original(fn, body, request_headers, response_headers)
            payload = body.encode() if isinstance(body, str) else (body or b"")
            invocation_type = request_headers.get("x-amz-invocation-type") or "RequestResponse"
            try:
                if invocation_type == "Event":
                    plane.run_async(fn, payload)
                    return b""
                if invocation_type == "DryRun":
                    return b""
                outcome = plane.run(fn, payload, wait_for_log=request_headers.get("x-amz-log-type") == "Tail")
            except LambdaInvokeError as error:
                raise LambdaApiError(error) from None
            response_headers["x-amz-executed-version"] = outcome.executed_version
            response_headers["x-amz-log-result"] = base64.b64encode(outcome.log_tail.encode()).decode()
            if outcome.function_error:
                response_headers["x-amz-function-error"] = outcome.function_error
            return outcome.payload
        return invoke
    _wrap(models.LambdaFunction, "invoke", make)


def invoke_ignores_the_qualifier() -> None:
    # moto reads the query parameter `qualifier`; clients send `Qualifier`, so every invoke ran $LATEST.
    def make(original):
        def invoke(response):
            qualifier = response.querystring.get("Qualifier")
            if qualifier and "qualifier" not in response.querystring:
                response.querystring["qualifier"] = qualifier
            return original(response)
        return invoke
    _wrap(LambdaResponse, "invoke", make)


def _local_image(fn, image_uri: str):
    """The ECR image an ImageUri names on the local registry, or None (then moto's stub hash stays)."""
    plane = _plane(fn)
    ecr = next((part for part in plane.cloud.planes if part.name == "ecr"), None) if plane else None
    if ecr is None or not image_uri.startswith(f"{ecr.registry_host}/"):
        return None
    match = re.fullmatch(r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]+))?",
                         image_uri.removeprefix(f"{ecr.registry_host}/"))
    if match is None:
        return None
    image_id = {"imageDigest": match["digest"]} if match["digest"] else {"imageTag": match["tag"] or "latest"}
    try:
        images = plane.cloud.backend("ecr").batch_get_image(repository_name=match["repository"],
                                                           image_ids=[image_id])["images"]
    except Exception:
        return None
    return images[0] if images else None


def image_uri_with_a_registry_port_is_hashed_not_resolved() -> None:
    # moto hashes the ImageUri string (or, validating, splits it on ":" and breaks on `host:port/repo:tag`);
    # AWS resolves it to the image's digest: CodeSha256 and ResolvedImageUri name the pushed image.
    def make(original):
        def _set_function_code(fn, updated_spec):
            original(fn, updated_spec)
            image_uri = updated_spec.get("ImageUri")
            if image_uri and not updated_spec.get("DryRun"):
                image = _local_image(fn, image_uri)
                if image is not None:
                    fn.code_sha_256 = image.image_id["imageDigest"].removeprefix("sha256:")
                    fn.code_size = int(getattr(image, "image_size_in_bytes", 0) or 0)
        return _set_function_code
    _wrap(models.LambdaFunction, "_set_function_code", make)

    def make_get_code(original):
        def get_code(fn):
            code = original(fn)
            image_uri = (code.get("Code") or {}).get("ImageUri")
            if image_uri:
                repository = re.sub(r"(@sha256:[0-9a-f]+|:[^:/]+)$", "", image_uri)
                code["Code"]["ResolvedImageUri"] = f"{repository}@sha256:{fn.code_sha_256}"
            return code
        return get_code
    _wrap(models.LambdaFunction, "get_code", make_get_code)


def update_leaves_last_modified_unchanged() -> None:
    # AWS sets LastModified on every code or configuration update (and a fresh RevisionId); moto keeps the first.
    for name in ("update_configuration", "update_function_code"):
        def make(original, name=name):
            def update(fn, spec):
                if not (name == "update_function_code" and spec.get("DryRun")):
                    fn.last_modified = iso_8601_datetime_with_nanoseconds()
                return original(fn, spec)
            return update
        _wrap(models.LambdaFunction, name, make)


def update_configuration_ignores_image_config() -> None:
    # moto's update_function_configuration drops ImageConfig (Command, EntryPoint, WorkingDirectory).
    def make(original):
        def update_configuration(fn, config_updates):
            if "ImageConfig" in config_updates:
                fn.image_config = models.ImageConfig(config_updates["ImageConfig"] or {})
            return original(fn, config_updates)
        return update_configuration
    _wrap(models.LambdaFunction, "update_configuration", make)


def reserved_concurrency_of_zero_is_hidden() -> None:
    # get_function omits Concurrency when ReservedConcurrentExecutions is 0 (a function that must not run).
    def make(original):
        def get_code(fn):
            code = original(fn)
            if fn.reserved_concurrency is not None:
                code["Concurrency"] = {"ReservedConcurrentExecutions": int(fn.reserved_concurrency)}
            return code
        return get_code
    _wrap(models.LambdaFunction, "get_code", make)


def sqs_send_message_invokes_the_function_inline() -> None:
    # moto invokes a mapped function inside send_message (the sender waits for the handler; a failed batch is made
    # visible again at once), and keeps invoking after delete_event_source_mapping. The plane polls instead.
    def make(original):
        def create_event_source_mapping(backend, spec):
            mapping = original(backend, spec)
            if plane_for(backend) is not None:
                for queue in backend_queues(backend):
                    if queue.lambda_event_source_mappings.get(mapping.function_arn) is mapping:
                        del queue.lambda_event_source_mappings[mapping.function_arn]
                plane_for(backend).wake_event_sources()
            return mapping
        return create_event_source_mapping
    _wrap(models.LambdaBackend, "create_event_source_mapping", make)

    def make_add(original):
        def add_message(queue, message):
            original(queue, message)
            plane = plane_for(models.lambda_backends[queue.account_id][queue.region])
            if plane is not None:
                plane.wake_event_sources()
        return add_message
    _wrap(sqs_models.Queue, "add_message", make_add)


def backend_queues(backend):
    return list(sqs_models.sqs_backends[backend.account_id][backend.region_name].queues.values())


def maximum_concurrency_is_not_range_checked() -> None:
    # moto stores any ScalingConfig.MaximumConcurrency; AWS refuses one outside 2..1000 (botocore checks only the 2).
    def check(backend, spec) -> None:
        maximum = (spec.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if plane_for(backend) is None or maximum is None or (type(maximum) is int and 2 <= maximum <= 1000):
            return
        bound = "greater than or equal to 2" if type(maximum) is int and maximum < 2 else "less than or equal to 1000"
        raise InvalidParameterValueException(f"1 validation error detected: Value '{maximum}' at "
                                             f"'scalingConfig.maximumConcurrency' failed to satisfy constraint: "
                                             f"Member must have value {bound}")

    def make_create(original):
        def create_event_source_mapping(backend, spec):
            check(backend, spec)
            return original(backend, spec)
        return create_event_source_mapping
    _wrap(models.LambdaBackend, "create_event_source_mapping", make_create)

    def make_update(original):
        def update_event_source_mapping(backend, uuid, spec):
            check(backend, spec)
            return original(backend, uuid, spec)
        return update_event_source_mapping
    _wrap(models.LambdaBackend, "update_event_source_mapping", make_update)
