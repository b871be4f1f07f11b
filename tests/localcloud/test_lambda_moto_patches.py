"""moto's Lambda behaviours the plane fixes, one test each, named after the behaviour."""
import json

import pytest

from tests.localcloud.lambda_fixtures import client, create_function, lambda_cloud, unique, zipped

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def cloud():
    with lambda_cloud("lambda-moto") as cloud:
        yield cloud


def test_invoke_runs_the_handler_instead_of_pulling_images_per_call(cloud):
    name = unique("plain")
    create_function(cloud, name, code="def handler(event, context):\n    return event['n'] * 2\n")
    response = client(cloud, "lambda").invoke(FunctionName=name, Payload=json.dumps({"n": 21}))
    assert json.loads(response["Payload"].read()) == 42


def test_update_function_code_changes_last_modified(cloud):
    name = unique("modified")
    created = create_function(cloud, name)
    lam = client(cloud, "lambda")
    updated = lam.update_function_code(FunctionName=name, ZipFile=zipped({"app.py": "def handler(e, c):\n    pass\n"}))
    assert updated["LastModified"] != created["LastModified"]
    configured = lam.update_function_configuration(FunctionName=name, Description="second")
    assert configured["LastModified"] != updated["LastModified"]


def test_reserved_concurrency_of_zero_is_shown_by_get_function(cloud):
    name = unique("stopped")
    create_function(cloud, name)
    lam = client(cloud, "lambda")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 0}


def test_an_unsupported_runtime_is_refused_at_invoke_with_what_to_do(cloud):
    name = unique("node")
    lam = client(cloud, "lambda")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=create_role(cloud), Handler="index.handler",
                        Code={"ZipFile": zipped({"index.js": "exports.handler = async () => 1;"})})
    with pytest.raises(lam.exceptions.InvalidRuntimeException) as caught:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert "python3.13" in caught.value.response["Error"]["Message"]


def test_invoking_an_unknown_function_is_resource_not_found(cloud):
    lam = client(cloud, "lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="nothing-here", Payload=b"{}")


def create_role(cloud) -> str:
    from tests.localcloud.lambda_fixtures import role_arn
    return role_arn(cloud)


def test_invoke_with_a_qualifier_runs_that_version_not_latest(cloud):
    name = unique("versions")
    create_function(cloud, name, code="def handler(event, context):\n    return 'one'\n")
    lam = client(cloud, "lambda")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.update_function_code(FunctionName=name, ZipFile=zipped({"app.py": "def handler(e, c):\n    return 'two'\n"}))
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    for qualifier, expected, executed in ((None, "two", "$LATEST"), (version, "one", version), ("live", "one", version)):
        response = lam.invoke(FunctionName=name, Payload=b"{}", **({"Qualifier": qualifier} if qualifier else {}))
        assert (json.loads(response["Payload"].read()), response["ExecutedVersion"]) == (expected, executed)
