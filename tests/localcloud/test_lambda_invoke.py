"""Lambda invokes run the handler for real in warm containers: results, errors, timeouts, logs, concurrency."""
import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from localcloud.awslambda import FunctionNotFound, Invocation
from tests.localcloud.lambda_fixtures import (aws_cli, client, create_function, fast, function_containers,
                                              lambda_cloud, log_messages, role_arn, unique, wait_for, zipped)

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with lambda_cloud("lambda-invoke") as cloud:
        yield cloud


@pytest.fixture(scope="module")
def function(cloud):
    name = unique("orders")
    create_function(cloud, name, Timeout=2, Environment={"Variables": {"GREETING": "hello"}})
    return name


def invoke(cloud, name: str, event, **extra) -> dict:
    response = client(cloud, "lambda").invoke(FunctionName=name, Payload=json.dumps(event), **extra)
    response["Body"] = response["Payload"].read()
    return response


def test_a_zip_function_returns_what_its_handler_returns(cloud, function):
    response = invoke(cloud, function, {"action": "echo", "order": 7})
    result = json.loads(response["Body"])
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert result["event"] == {"action": "echo", "order": 7}
    assert result["greeting"] == "hello" and result["function"] == function
    assert 0 < result["remaining_ms"] <= 2000


def test_warm_invokes_reuse_one_container(cloud, function):
    for _ in range(3):
        invoke(cloud, function, {"action": "echo"})
    assert len(function_containers(cloud, function)) == 1


def test_a_handler_that_raises_returns_the_error_as_aws_does(cloud, function):
    response = invoke(cloud, function, {"action": "raise"})
    error = json.loads(response["Body"])
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "the order is invalid"
    assert any("app.py" in frame for frame in error["stackTrace"])


def test_a_result_that_is_not_json_is_a_marshal_error(cloud, function):
    assert json.loads(invoke(cloud, function, {"action": "string"})["Body"]) == "just a string"
    response = invoke(cloud, function, {"action": "set"})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Body"])["errorType"] == "Runtime.MarshalError"


def test_a_handler_that_cannot_be_imported_returns_the_init_error(cloud):
    name = unique("broken")
    create_function(cloud, name, code="import no_such_module\n")
    response = invoke(cloud, name, {})
    error = json.loads(response["Body"])
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError" and "no_such_module" in error["errorMessage"]


def test_a_payload_that_is_not_json_is_refused(cloud, function):
    with pytest.raises(ClientError) as caught:
        client(cloud, "lambda").invoke(FunctionName=function, Payload=b"{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["Error"]["Message"].startswith("Could not parse request body into json")


def test_a_slow_handler_times_out_as_aws_reports_it_and_the_next_invoke_works(cloud, function):
    response = invoke(cloud, function, {"action": "sleep", "seconds": 10})
    error = json.loads(response["Body"])
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Error: Task timed out after 2.00 seconds")
    assert json.loads(invoke(cloud, function, {"action": "sleep", "seconds": 0})["Body"])["slept"] == 0


def test_log_type_tail_returns_the_last_4_kb_with_the_report_line(cloud, function):
    response = invoke(cloud, function, {"action": "print", "lines": 500}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert len(tail.encode()) <= 4096
    assert "line 00499 of a chatty handler" in tail and "line 00001 " not in tail
    assert tail.splitlines()[-2].startswith("END RequestId: ")
    report = tail.splitlines()[-1]
    assert report.startswith("REPORT RequestId: ") and "Duration: " in report and "Billed Duration: " in report
    assert "Memory Size: 128 MB" in report and "Max Memory Used: " in report


def test_output_lands_in_cloudwatch_logs_with_start_end_report(cloud, function):
    response = invoke(cloud, function, {"action": "print", "lines": 2})
    request_id = response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid")
    messages = wait_for(lambda: [m for m in log_messages(cloud, function) if m.startswith("REPORT")]
                        and log_messages(cloud, function), message="REPORT lines")
    assert any(m.startswith("START RequestId: ") and m.endswith("Version: $LATEST") for m in messages)
    assert "line 00001 of a chatty handler" in messages
    assert any(m.startswith("REPORT") and "Init Duration: " in m for m in messages)  # the cold start
    assert request_id is not None


def test_an_event_invoke_is_accepted_and_runs_later(cloud, function):
    response = client(cloud, "lambda").invoke(FunctionName=function, InvocationType="Event",
                                              Payload=json.dumps({"action": "print", "lines": 7}))
    assert response["StatusCode"] == 202
    wait_for(lambda: "line 00006 of a chatty handler" in log_messages(cloud, function), message="the async run")


def test_concurrent_invokes_get_more_containers(cloud):
    name = unique("busy")
    create_function(cloud, name)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: invoke(cloud, name, {"action": "sleep", "seconds": 0.8}), range(4)))
    assert all("FunctionError" not in result for result in results)
    assert len({json.loads(result["Body"])["host"] for result in results}) > 1
    assert len(function_containers(cloud, name)) > 1


def test_reserved_concurrency_throttles_with_too_many_requests(cloud, function):
    lam = client(cloud, "lambda")
    lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
    try:
        with pytest.raises(ClientError) as caught:
            lam.invoke(FunctionName=function, Payload=b"{}")
        assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert caught.value.response["Error"]["Message"] == "Rate Exceeded."
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    finally:
        lam.delete_function_concurrency(FunctionName=function)
    assert invoke(cloud, function, {"action": "echo"})["StatusCode"] == 200


def test_a_code_update_replaces_the_containers(cloud):
    name = unique("versioned")
    create_function(cloud, name)
    before = set(function_containers(cloud, name)) or None
    invoke(cloud, name, {"action": "echo"})
    before = set(function_containers(cloud, name))
    lam = client(cloud, "lambda")
    lam.update_function_code(FunctionName=name, ZipFile=zipped({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
    fast("function_updated", cloud)(FunctionName=name)
    assert json.loads(invoke(cloud, name, {})["Body"]) == "v2"
    wait_for(lambda: not before & set(function_containers(cloud, name)), message="old containers gone")


def test_a_configuration_update_is_seen_by_the_next_invoke(cloud):
    name = unique("configured")
    create_function(cloud, name, Environment={"Variables": {"GREETING": "one"}})
    assert json.loads(invoke(cloud, name, {"action": "echo"})["Body"])["greeting"] == "one"
    client(cloud, "lambda").update_function_configuration(FunctionName=name,
                                                          Environment={"Variables": {"GREETING": "two"}})
    fast("function_updated", cloud)(FunctionName=name)
    assert json.loads(invoke(cloud, name, {"action": "echo"})["Body"])["greeting"] == "two"


def test_memory_size_is_enforced(cloud, function):
    if not cloud.part("lambda").memory_enforced:
        pytest.skip("this engine discards memory limits (no cgroups, as rootless Docker on cgroup v1)")
    response = invoke(cloud, function, {"action": "allocate", "mb": 400})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Body"])["errorType"] in ("Runtime.OutOfMemory", "MemoryError")


def test_a_runtime_that_exits_is_reported_as_an_exit_error(cloud, function):
    response = invoke(cloud, function, {"action": "exit"})
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Body"])
    assert error["errorType"] == "Runtime.ExitError" and error["errorMessage"].endswith("exit status 3")


def test_a_handler_reaches_the_local_cloud_through_aws_endpoint_url(cloud, function):
    queue_name = unique("from-lambda")
    url = json.loads(invoke(cloud, function, {"action": "queue", "name": queue_name})["Body"])
    assert url.endswith(queue_name)
    assert client(cloud, "sqs").get_queue_url(QueueName=queue_name)["QueueUrl"].endswith(queue_name)


def test_the_aws_cli_creates_and_invokes(cloud, tmp_path):
    name = unique("cli")
    archive = tmp_path / "function.zip"
    archive.write_bytes(zipped({"app.py": "def handler(event, context):\n    return {'sum': event['a'] + event['b']}\n"}))
    role = role_arn(cloud)
    created = aws_cli(cloud, "lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
                      "--handler", "app.handler", "--role", role, "--zip-file", f"fileb://{archive}")
    assert created.returncode == 0, created.stderr
    waited = aws_cli(cloud, "lambda", "wait", "function-active-v2", "--function-name", name)
    assert waited.returncode == 0, waited.stderr
    result = aws_cli(cloud, "lambda", "invoke", "--function-name", name,
                     "--payload", '{"a": 2, "b": 3}', str(tmp_path / "out.json"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["StatusCode"] == 200
    assert json.loads((tmp_path / "out.json").read_text()) == {"sum": 5}


def test_other_planes_invoke_through_the_plane_interface(cloud, function):
    plane = cloud.part("lambda")
    arn = client(cloud, "lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    outcome = plane.invoke(arn, json.dumps({"action": "echo", "via": "plane"}).encode())
    assert isinstance(outcome, Invocation)
    assert outcome.status_code == 200 and outcome.function_error is None and outcome.executed_version == "$LATEST"
    assert json.loads(outcome.payload)["event"]["via"] == "plane"
    assert "REPORT RequestId: " in outcome.log_tail
    failed = plane.invoke(function, json.dumps({"action": "raise"}).encode())
    assert failed.function_error == "Unhandled" and json.loads(failed.payload)["errorType"] == "ValueError"
    with pytest.raises(FunctionNotFound):
        plane.invoke("no-such-function", b"{}")
