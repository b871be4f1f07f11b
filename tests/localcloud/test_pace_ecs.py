"""The `aws` pace for Fargate tasks: PROVISIONING and PENDING take AWS's typical durations, compressed, before the
containers start (no engine; a fake clock)."""
import types

from localcloud import pace as pacing
from localcloud.ecs import fargate_pace
from tests.localcloud.fakes import FakeClock

AWS = pacing.Pace("aws", 25)


def cloud_at(pace) -> types.SimpleNamespace:
    return types.SimpleNamespace(config=types.SimpleNamespace(pace=pace), clock=FakeClock())


def task(launch_type="FARGATE") -> types.SimpleNamespace:
    return types.SimpleNamespace(task_arn="arn:aws:ecs:us-east-1:123456789012:task/c/1", launch_type=launch_type)


def test_a_fargate_task_is_launched_only_once_it_has_been_provisioning_for_fargates_time():
    cloud, backend, fargate = cloud_at(AWS), types.SimpleNamespace(), task()
    assert not fargate_pace.provisioned(cloud, backend, fargate)  # first seen now
    cloud.clock.advance(AWS.lasts(pacing.FARGATE_PROVISIONING_S) / 2)
    assert not fargate_pace.provisioned(cloud, backend, fargate)
    cloud.clock.advance(AWS.lasts(pacing.FARGATE_PROVISIONING_S) / 2)
    assert fargate_pace.provisioned(cloud, backend, fargate)


def test_a_fargate_task_stays_pending_for_the_rest_of_fargates_pull_time():
    cloud = cloud_at(AWS)
    since = cloud.clock()
    assert fargate_pace.pending_left(cloud, task(), since) == AWS.lasts(pacing.FARGATE_PENDING_S)
    cloud.clock.advance(0.5)
    assert fargate_pace.pending_left(cloud, task(), since) == AWS.lasts(pacing.FARGATE_PENDING_S) - 0.5
    cloud.clock.advance(AWS.lasts(pacing.FARGATE_PENDING_S))
    assert fargate_pace.pending_left(cloud, task(), since) == 0.0


def test_ec2_tasks_and_the_local_pace_take_no_extra_time():
    for cloud, launched in ((cloud_at(AWS), task("EC2")), (cloud_at(pacing.Pace()), task())):
        assert fargate_pace.provisioned(cloud, types.SimpleNamespace(), launched)
        assert fargate_pace.pending_left(cloud, launched, cloud.clock()) == 0.0
