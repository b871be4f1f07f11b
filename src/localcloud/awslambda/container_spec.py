"""The container of one execution environment: image, command, limits, labels and the environment AWS sets."""
from localcloud.awslambda.function_spec import FunctionSpec

PART = "lambda-function"
FUNCTION_LABEL = "localcloud.lambda.function"
ENVIRONMENT_LABEL = "localcloud.lambda.environment"
# Variables AWS reserves: a function's own variables cannot change them (AWS_ENDPOINT_URL may be overridden).
RESERVED_OVER_USER = ("AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
                      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                      "AWS_REGION", "AWS_EXECUTION_ENV", "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR")


def environment(spec: FunctionSpec, cloud, runtime_api: str, aws_endpoint_url: str, log_group: str,
                log_stream: str) -> dict[str, str]:
    platform = {
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": cloud.config.region,
        "AWS_DEFAULT_REGION": cloud.config.region,
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "TZ": ":UTC",
    }
    if spec.package_type == "Zip":
        platform.update({"AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}", "_HANDLER": spec.handler})
    # Any key works against the local cloud; the function's role is not assumed.
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
                   "AWS_ENDPOINT_URL": aws_endpoint_url}
    return {**platform, **credentials, **spec.environment, **{key: platform[key] for key in RESERVED_OVER_USER
                                                             if key in platform}}


def container_arguments(spec: FunctionSpec, cloud, *, name: str, environment_id: str,
                        env: dict[str, str]) -> dict:
    memory = f"{spec.memory_mb}m"
    arguments = {
        "image": spec.image, "name": name, "detach": True, "environment": env,
        "network": cloud.network.name, "mem_limit": memory, "memswap_limit": memory,
        "labels": cloud.labels(PART, **{FUNCTION_LABEL: spec.name, ENVIRONMENT_LABEL: environment_id}),
    }
    command = spec.command()
    if command:
        arguments["command"] = command
    if spec.image_entry_point:
        arguments["entrypoint"] = spec.image_entry_point
    if spec.image_working_directory:
        arguments["working_dir"] = spec.image_working_directory
    return arguments
