"""A task container's host name: its container name, shortened where the kernel would refuse it."""
from localcloud.ecs.container_spec import HOST_NAME_LIMIT, host_name


def test_a_short_name_is_the_host_name():
    name = "ecs-default-bookshop-users-users-6a38dc2c-784"
    assert host_name(name, "6a38dc2c-784") == name


def test_a_long_name_keeps_its_task_id_and_fits():
    name = "ecs-bench-workshop-55ca10-a-long-learner-prefix-monolith-monolith-6a38dc2c-784"
    shortened = host_name(name, "6a38dc2c-784")
    assert len(shortened) <= HOST_NAME_LIMIT and shortened.endswith("-6a38dc2c-784")
    assert shortened.startswith("ecs-bench-workshop-55ca10-a-long")
