"""workshop.deploy builds for the engine's CPU and names it as ECS and Lambda do."""
import pytest

from workshop import deploy
from workshop.docker_client import WorkshopError


class Engine:
    def __init__(self, architecture: str):
        self.architecture = architecture

    def info(self) -> dict:
        return {"Architecture": self.architecture}


@pytest.mark.parametrize(("reported", "ecs", "platform", "aws_lambda"), [
    ("x86_64", "X86_64", "linux/amd64", "x86_64"),
    ("amd64", "X86_64", "linux/amd64", "x86_64"),
    ("aarch64", "ARM64", "linux/arm64", "arm64"),
    ("arm64", "ARM64", "linux/arm64", "arm64"),
])
def test_the_engines_cpu_by_the_names_task_definitions_builds_and_functions_use(reported, ecs, platform, aws_lambda):
    engine = Engine(reported)
    assert deploy.cpu_architecture(engine) == ecs
    assert deploy.PLATFORMS[deploy.cpu_architecture(engine)] == platform  # what the notebooks build with
    assert (deploy.engine_cpu(engine).platform, deploy.engine_cpu(engine).aws_lambda) == (platform, aws_lambda)


def test_an_unsupported_cpu_is_said_not_taken_for_x86_64():
    with pytest.raises(WorkshopError, match="'riscv64' is not one the workshop supports"):
        deploy.cpu_architecture(Engine("riscv64"))
