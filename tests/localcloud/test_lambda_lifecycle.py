"""Execution environments go when idle or deleted, and every Lambda container goes with the cloud."""
import json

import pytest

from tests.localcloud.lambda_fixtures import client, create_function, function_containers, lambda_cloud, unique, \
    wait_for

pytestmark = pytest.mark.docker


def test_environments_go_when_idle_when_deleted_and_with_the_cloud():
    with lambda_cloud("lambda-life") as cloud:
        name = unique("idle")
        create_function(cloud, name)
        lam = client(cloud, "lambda")
        lam.invoke(FunctionName=name, Payload=json.dumps({"action": "echo"}))
        assert len(function_containers(cloud, name)) == 1
        cloud.part("lambda").idle_s = 0.5
        wait_for(lambda: not function_containers(cloud, name), message="the idle environment reaped")
        cloud.part("lambda").idle_s = 300

        lam.invoke(FunctionName=name, Payload=json.dumps({"action": "echo"}))
        lam.delete_function(FunctionName=name)
        wait_for(lambda: not function_containers(cloud, name), message="the deleted function's environment gone")

        busy = unique("busy")
        create_function(cloud, busy, Timeout=10)
        lam.invoke(FunctionName=busy, InvocationType="Event", Payload=json.dumps({"action": "sleep", "seconds": 5}))
        wait_for(lambda: function_containers(cloud, busy), message="the asynchronous run started")
    assert function_containers(cloud) == []
