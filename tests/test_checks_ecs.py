"""Module 05's check of the users task definition: Fargate's awslogs options among the rest."""
import copy

import pytest

from workshop.checks import ExerciseIncomplete
from workshop.checks.ecs import check_task_definition

IMAGE, LOG_GROUP = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bookshop/users:1.0", "/ecs/bookshop"
COMPLETE = {
    "family": "bookshop-users", "revision": 1, "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
    "cpu": "256", "memory": "512", "executionRoleArn": "arn:aws:iam::123456789012:role/bookshop-task-execution",
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "containerDefinitions": [{
        "name": "users", "image": IMAGE, "portMappings": [{"containerPort": 8000}],
        "healthCheck": {"command": ["CMD", "true"]},
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": LOG_GROUP, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "users"}}}],
}


class Ecs:
    def __init__(self, definition):
        self.definition = definition

    def describe_task_definition(self, taskDefinition):
        return {"taskDefinition": self.definition}


def check(definition):
    check_task_definition(Ecs(definition), "arn:aws:ecs:us-east-1:123456789012:task-definition/bookshop-users:1",
                          image=IMAGE, log_group=LOG_GROUP, architecture="X86_64")


def test_a_complete_definition_passes(capsys):
    check(COMPLETE)
    assert capsys.readouterr().out.startswith("✔ bookshop-users:1")


@pytest.mark.parametrize("option, fix", [("awslogs-region", '"awslogs-region": session.region'),
                                         ("awslogs-stream-prefix", '"awslogs-stream-prefix": "users"')])
def test_fargate_logs_need_the_region_and_a_stream_prefix(option, fix):
    definition = copy.deepcopy(COMPLETE)
    del definition["containerDefinitions"][0]["logConfiguration"]["options"][option]
    with pytest.raises(ExerciseIncomplete) as raised:
        check(definition)
    assert f"need {option!r} on Fargate" in str(raised.value) and fix in str(raised.value)
