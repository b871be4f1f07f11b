"""ECS service scheduling without an engine: desiredCount, back-off, rolling deployments, service events.

Services and tasks are fakes of moto's models, time is a fake clock; the runner's part (a task starts, a task stops)
is played by the test. The pure helpers the runner leans on (health, container arguments, awslogs, Cloud Map names)
are tested here too.
"""
import logging
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from moto.logs.models import LogsBackend

from localcloud import image_references
from localcloud.ecs import container_spec, discovery, logs, runner, scheduler, targets
from localcloud.ecs.scheduler import BACKOFF_BASE_S, BACKOFF_MAX_S, MAX_EVENTS, PROVEN_AFTER_S, TROUBLESHOOTING
from tests.localcloud.ecs_fakes import ACCOUNT, REGION, TARGET_GROUP, FakeService, Scene, task_definition_arn

LOAD_BALANCED = {"load_balancers": [{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 8080}]}


def ids(tasks) -> str:
    return " ".join(f"(task {t.task_arn.split('/')[-1]})" for t in tasks)


def seconds_until_replaced(scene: Scene, limit: int = 400) -> int:
    """Pass once a second until the service launches a task; the seconds that took."""
    launched = len(scene.backend.tasks)
    for second in range(limit + 1):
        scene.reconcile()
        if len(scene.backend.tasks) > launched:
            return second
        scene.clock.advance(1)
    raise AssertionError(f"no task launched within {limit} s")


def running_service(desired_count: int = 2, **service_settings) -> Scene:
    scene = Scene(desired_count, **service_settings)
    scene.settle()
    assert len(scene.live()) == desired_count and all(t.last_status == "RUNNING" for t in scene.live())
    return scene


# --- desiredCount ---------------------------------------------------------------------------------------------------

def test_a_new_service_launches_desired_count_tasks_of_its_primary_deployment_in_one_call():
    scene = Scene(3)
    scene.reconcile()
    primary = scene.service.deployments[0]
    assert len(scene.backend.tasks) == 3
    assert {(t.started_by, t.group, t.task_definition_arn) for t in scene.backend.tasks} == {
        (primary["id"], "service:web", task_definition_arn(1))}
    assert scene.service.messages == [f"(service web) has started 3 tasks: {ids(scene.backend.tasks)}."]


def test_tasks_still_provisioning_count_towards_desired_count():
    scene = Scene(2)
    scene.reconcile()
    scene.reconcile()  # the first two have not started yet: launching more would overshoot
    assert len(scene.backend.tasks) == 2
    assert (scene.service.pending_count, scene.service.running_count) == (2, 0)


def test_running_and_pending_counts_follow_the_tasks_on_service_and_deployment():
    scene = Scene(2)
    scene.reconcile()
    scene.backend.tasks[0].last_status = "RUNNING"
    scene.reconcile()
    primary = scene.service.deployments[0]
    assert (scene.service.running_count, scene.service.pending_count) == (1, 1)
    assert (primary["runningCount"], primary["pendingCount"], primary["desiredCount"]) == (1, 1, 2)


def test_scale_in_stops_the_surplus_not_yet_running_first_then_the_newest():
    scene = Scene(3)
    scene.reconcile()
    oldest, middle, youngest = scene.backend.tasks
    oldest.last_status = middle.last_status = "RUNNING"  # the youngest is still provisioning
    scene.service.desired_count = 1
    scene.reconcile()
    assert scene.live() == [oldest]
    primary = scene.service.deployments[0]
    for task in (youngest, middle):
        assert (task.desired_status, task.stop_code, task.stopped_reason) == (
            "STOPPED", "ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {primary['id']})")
    assert f"(service web) has stopped 2 running tasks: {ids([youngest, middle])}." in scene.service.messages


def test_tasks_of_another_service_in_the_cluster_do_not_count_for_this_one():
    scene = Scene(2)
    other = scene.backend.add(FakeService("api", 1))
    scene.settle()
    assert (len(scene.live()), len(scene.live(other))) == (2, 1)
    assert all(t.group == "service:api" for t in scene.live(other))


# --- steady state -----------------------------------------------------------------------------------------------------

def test_a_service_whose_tasks_run_reaches_a_steady_state_once_and_completes_its_deployment():
    scene = running_service(2)
    scene.settle(passes=3)  # more passes in the same state say nothing new
    primary = scene.service.deployments[0]
    assert scene.service.messages[1:] == [f"(service web) (deployment {primary['id']}) deployment completed.",
                                          "(service web) has reached a steady state."]
    assert (primary["rolloutState"], primary["rolloutStateReason"]) == (
        "COMPLETED", f"ECS deployment {primary['id']} completed.")


def test_a_service_that_scales_out_reaches_a_steady_state_again():
    scene = running_service(2)
    scene.service.desired_count = 3
    scene.reconcile()
    assert scene.service.messages[-1] == f"(service web) has started 1 tasks: {ids([scene.newest()])}."
    scene.settle()
    assert scene.service.messages.count("(service web) has reached a steady state.") == 2


def test_no_steady_state_while_a_task_is_not_healthy():
    scene = Scene(2)
    scene.reconcile()
    scene.registrar.not_ready.add(scene.backend.tasks[0].task_arn)  # e.g. its target is still in initial checks
    scene.settle()
    assert "(service web) has reached a steady state." not in scene.service.messages
    assert scene.service.deployments[0]["rolloutState"] == "IN_PROGRESS"


def test_events_are_newest_first_and_capped():
    service = FakeService("web", 1)
    for number in range(MAX_EVENTS + 5):
        scheduler.add_event(service, f"event {number}")
    assert len(service.events) == MAX_EVENTS
    assert (service.events[0]["message"], service.events[-1]["message"]) == (f"event {MAX_EVENTS + 4}", "event 5")


# --- replacing failed tasks, with back-off ----------------------------------------------------------------------------

def test_a_failed_task_is_replaced_at_once_then_after_two_seconds_then_four():
    scene = Scene(1)
    scene.reconcile()
    scene.fail_to_start(scene.newest())
    scene.reconcile()
    assert len(scene.live()) == 1  # the first failure costs no wait
    for wait in (BACKOFF_BASE_S, 2 * BACKOFF_BASE_S):
        scene.fail_to_start(scene.newest())
        scene.reconcile()
        scene.clock.advance(wait - 0.5)
        scene.reconcile()
        assert scene.live() == [], f"replaced before {wait} s"
        scene.clock.advance(0.5)
        scene.reconcile()
        assert len(scene.live()) == 1, f"not replaced after {wait} s"


def test_the_back_off_doubles_up_to_its_cap():
    scene = Scene(1)
    scene.reconcile()
    waits = []
    for _ in range(11):
        scene.fail_to_start(scene.newest())
        waits.append(seconds_until_replaced(scene))
    assert waits == [0, 2, 4, 8, 16, 32, 64, 128, 256, BACKOFF_MAX_S, BACKOFF_MAX_S]


def test_every_third_failure_says_the_service_is_unable_to_start_tasks():
    scene = Scene(1)
    scene.reconcile()
    message = f"(service web) is unable to consistently start tasks successfully. {TROUBLESHOOTING}"
    said_after = []
    for failure in range(1, 8):
        scene.fail_to_start(scene.newest())
        seconds_until_replaced(scene)
        if scene.service.messages.count(message) > len(said_after):
            said_after.append(failure)
    assert said_after == [3, 6]


def crash_after_two_failures_and_a_run_of(seconds: float) -> Scene:
    """Two tasks fail to start, the third runs `seconds` (as the scheduler sees it), then crashes."""
    scene = Scene(1)
    scene.reconcile()
    for _ in range(2):
        scene.fail_to_start(scene.newest())
        seconds_until_replaced(scene)
    scene.start_pending()
    scene.clock.advance(1)
    scene.reconcile()  # the scheduler sees it running from here
    scene.clock.advance(seconds)
    scene.reconcile()
    scene.crash(scene.newest())
    return scene


def test_a_task_that_ran_long_enough_ends_the_back_off():
    assert seconds_until_replaced(crash_after_two_failures_and_a_run_of(PROVEN_AFTER_S)) == 0


def test_a_task_that_crashes_too_soon_keeps_the_back_off_growing():
    # the third failure in a row
    assert seconds_until_replaced(crash_after_two_failures_and_a_run_of(PROVEN_AFTER_S - 1)) == 4


def test_each_failed_task_counts_once_on_its_deployment():
    scene = Scene(1)
    scene.reconcile()
    for _ in range(2):
        scene.fail_to_start(scene.newest())
        seconds_until_replaced(scene)
    scene.settle()
    assert scene.service.deployments[0]["failedTasks"] == 2


def test_tasks_the_scheduler_stopped_for_scaling_are_not_failures():
    scene = running_service(3)
    scene.service.desired_count = 1
    scene.settle()
    scene.service.desired_count = 2
    assert seconds_until_replaced(scene) == 0
    assert scene.service.deployments[0]["failedTasks"] == 0


def test_a_task_with_an_unhealthy_container_is_stopped_replaced_and_counted_as_failed():
    scene = running_service(1)
    sick = scene.live()[0]
    sick.health_status = "UNHEALTHY"
    scene.reconcile()
    assert (sick.desired_status, sick.stopped_reason) == ("STOPPED", "Task failed container health checks")
    assert f"(service web) has stopped 1 running tasks: {ids([sick])}." in scene.service.messages
    assert len(scene.live()) == 1 and scene.live()[0] is not sick
    scene.finish_stopping()
    scene.reconcile()
    assert scene.service.deployments[0]["failedTasks"] == 1


def test_a_task_its_target_group_finds_unhealthy_is_stopped_only_after_the_grace_period():
    scene = Scene(1, grace_period=30, **LOAD_BALANCED)
    scene.reconcile()
    scene.start_pending()
    scene.reconcile()  # running from now on
    task = scene.newest()
    scene.registrar.elb_unhealthy[task.task_arn] = TARGET_GROUP
    scene.clock.advance(29)
    scene.reconcile()
    assert task.desired_status == "RUNNING"
    scene.clock.advance(1)
    scene.reconcile()
    assert (task.desired_status, task.stopped_reason) == (
        "STOPPED", f"Task failed ELB health checks in (target-group {TARGET_GROUP})")


def test_a_refused_placement_is_said_and_retried_thirty_seconds_later():
    scene = Scene(2)
    scene.backend.refuse_placement = True
    scene.reconcile()
    assert scene.service.messages == [
        "(service web) was unable to place a task because no container instance met all of its requirements. "
        f"Reason: No Container Instances were found in your cluster. {TROUBLESHOOTING}"]
    scene.backend.refuse_placement = False
    scene.clock.advance(BACKOFF_MAX_S / 10 - 0.5)
    scene.reconcile()
    assert scene.live() == []
    scene.clock.advance(0.5)
    scene.reconcile()
    assert len(scene.live()) == 2


# --- target groups ----------------------------------------------------------------------------------------------------

def test_running_tasks_are_registered_in_the_target_group_and_deregistered_before_they_stop():
    scene = Scene(1, **LOAD_BALANCED)
    scene.reconcile()
    scene.reconcile()
    assert scene.registrar.registered == {}  # not while it provisions: it has no address yet
    scene.start_pending()
    scene.reconcile()
    task = scene.newest()
    assert scene.registrar.registered == {task.task_arn: [TARGET_GROUP]}
    assert f"(service web) registered 1 targets in (target-group {TARGET_GROUP})" in scene.service.messages
    scene.scheduler.before_stop(scene.backend, task)
    assert scene.service.messages[-1] == f"(service web) deregistered 1 targets in (target-group {TARGET_GROUP})"


def test_a_standalone_task_stops_without_a_service_event():
    scene = Scene(1, **LOAD_BALANCED)
    scene.reconcile()
    standalone = scene.newest()
    standalone.group = "family:web"
    scene.registrar.registered[standalone.task_arn] = [TARGET_GROUP]
    scene.scheduler.before_stop(scene.backend, standalone)
    assert len(scene.service.events) == 1  # only the launch
    assert standalone.task_arn in scene.registrar.registered


# --- rolling deployments ----------------------------------------------------------------------------------------------

def test_a_rollout_at_the_defaults_starts_all_new_tasks_then_stops_the_old_once_the_new_are_healthy():
    scene = running_service(4)
    old_tasks = scene.live()
    old = scene.service.deployments[0]
    new = scene.deploy(2)
    scene.reconcile()  # maximumPercent 200: all four new tasks at once, no old one stops
    new_tasks = [t for t in scene.live() if t.started_by == new["id"]]
    assert len(new_tasks) == 4 and {t.task_definition_arn for t in new_tasks} == {task_definition_arn(2)}
    assert all(t.desired_status == "RUNNING" for t in old_tasks)
    assert [(d["id"], d["status"]) for d in scene.service.deployments] == [(new["id"], "PRIMARY"),
                                                                         (old["id"], "ACTIVE")]
    scene.registrar.not_ready.update(t.task_arn for t in new_tasks)
    scene.start_pending()
    scene.reconcile()  # minimumHealthyPercent 100: the old tasks stay until the new ones are healthy
    assert all(t.desired_status == "RUNNING" for t in old_tasks)
    assert new["rolloutState"] == "IN_PROGRESS"
    scene.registrar.not_ready.clear()
    scene.reconcile()
    assert all(t.desired_status == "STOPPED" for t in old_tasks)
    assert scene.service.deployments == [new] and new["rolloutState"] == "COMPLETED"
    assert scene.service.messages[-3:] == [
        f"(service web) has stopped 4 running tasks: {ids(sorted(old_tasks, key=lambda t: t.created_at)[::-1])}.",
        f"(service web) (deployment {new['id']}) deployment completed.",
        "(service web) has reached a steady state."]


def test_a_rollout_at_fifty_to_one_hundred_percent_replaces_half_the_tasks_per_step():
    scene = running_service(4, minimum_healthy=50, maximum=100)
    new = scene.deploy(2)
    steps = []
    for _ in range(5):
        before = {t.task_arn for t in scene.live()}
        scene.reconcile()
        after = {t.task_arn for t in scene.live()}
        steps.append((len(after - before), len(before - after), len(scene.service.deployments)))
        scene.start_pending()
        scene.finish_stopping()
        scene.clock.advance(1)
    # (launched, stopped, deployments listed): never more than 4 tasks, never fewer than 2 running
    assert steps == [(0, 2, 2), (2, 0, 2), (0, 2, 1), (2, 0, 1), (0, 0, 1)]
    assert new["rolloutState"] == "COMPLETED"
    assert {t.started_by for t in scene.live()} == {new["id"]}


def test_an_old_task_that_is_not_healthy_is_stopped_even_at_one_hundred_percent_minimum():
    scene = running_service(2, minimum_healthy=100, maximum=100)
    sick, well = sorted(scene.live(), key=lambda t: t.created_at)
    scene.registrar.not_ready.add(sick.task_arn)
    scene.deploy(2)
    scene.reconcile()
    assert (sick.desired_status, well.desired_status) == ("STOPPED", "RUNNING")


def test_the_old_deployments_counts_are_its_own_tasks():
    scene = running_service(2)
    scene.service.desired_count = 3  # update_service with a new task definition and a new desiredCount
    scene.deploy(2)
    scene.reconcile()
    new, old = scene.service.deployments
    assert (new["runningCount"], new["pendingCount"], new["desiredCount"]) == (0, 0, 3)  # launched after counting
    assert (old["runningCount"], old["pendingCount"], old["desiredCount"]) == (2, 0, 2)
    scene.reconcile()
    assert (new["runningCount"], new["pendingCount"]) == (0, 3)


# --- deleted services, other controllers, one bad service -------------------------------------------------------------

def test_a_deleted_service_stops_its_tasks_and_becomes_inactive_once_they_stopped():
    scene = running_service(2)
    tasks = scene.live()
    scene.service.status = "DRAINING"
    scene.reconcile()
    assert all(t.desired_status == "STOPPED" for t in tasks)
    assert (scene.service.status, scene.service.running_count) == ("DRAINING", 0)  # still stopping
    scene.finish_stopping()
    scene.reconcile()
    assert scene.service.status == "INACTIVE"


def test_a_service_with_an_external_deployment_controller_is_left_alone():
    scene = Scene(2, controller="EXTERNAL")
    scene.settle()
    assert scene.backend.tasks == [] and scene.service.events == []


def test_one_failing_service_does_not_stop_the_others(caplog):
    scene = Scene(1)
    broken = scene.backend.add(FakeService("api", 1, cluster_name="broken"))
    worker = scene.backend.add(FakeService("worker", 1))
    scene.backend.broken_clusters.add("broken")
    with caplog.at_level(logging.ERROR, logger=scheduler.__name__):
        scene.reconcile()
    assert (len(scene.live()), len(scene.live(broken)), len(scene.live(worker))) == (1, 0, 1)
    assert f"service {broken.arn}: reconcile failed" in caplog.messages


# --- container and task health (runner) -------------------------------------------------------------------------------

CHECKED = {"name": "web", "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost"]}}


@pytest.mark.parametrize("docker_status, definition, expected", [
    ("Up 3 seconds (healthy)", CHECKED, "HEALTHY"),
    ("Up 2 minutes (unhealthy)", CHECKED, "UNHEALTHY"),
    ("Up 1 second (health: starting)", CHECKED, "UNKNOWN"),
    ("Up 3 seconds (healthy)", {"name": "web"}, "UNKNOWN"),  # ECS reports only the checks it defined
])
def test_health_of_reads_dockers_status_for_checked_containers(docker_status, definition, expected):
    assert runner.health_of(docker_status, definition) == expected


@pytest.mark.parametrize("statuses, expected", [
    ({"app": "HEALTHY", "sidecar": "HEALTHY"}, "HEALTHY"),
    ({"app": "HEALTHY", "sidecar": "UNKNOWN"}, "UNKNOWN"),
    ({"app": "UNHEALTHY", "sidecar": "HEALTHY"}, "UNHEALTHY"),
    ({"app": "HEALTHY", "sidecar": "HEALTHY", "helper": "UNHEALTHY"}, "HEALTHY"),  # a non-essential one
    ({"plain": "UNKNOWN"}, "UNKNOWN"),  # no checks at all
])
def test_task_health_follows_its_essential_checked_containers(statuses, expected):
    definitions = {"app": CHECKED, "sidecar": CHECKED, "helper": {**CHECKED, "essential": False}, "plain": {}}
    containers = [{"name": name, "healthStatus": status} for name, status in statuses.items()]
    assert runner.task_health(containers, definitions) == expected


@pytest.mark.parametrize("image, expected", [
    ("nginx", ("nginx", "latest")),
    ("localhost:4510/shop/web:v2", ("localhost:4510/shop/web", "v2")),
    ("localhost:4510/shop/web", ("localhost:4510/shop/web", "latest")),
    ("shop/web@sha256:abc", ("shop/web", "sha256:abc")),
])
def test_split_reference_separates_the_tag_or_digest(image, expected):
    assert image_references.split_reference(image) == expected


def test_registry_host_is_the_first_part_only_when_it_names_a_host():
    assert [image_references.registry_host(i) for i in ("localhost:4510/web", "123.dkr.ecr.local/web", "library/nginx",
                                              "nginx")] == ["localhost:4510", "123.dkr.ecr.local", None, None]


# --- container arguments --------------------------------------------------------------------------------------------

def test_a_health_check_gets_ecs_defaults_in_nanoseconds():
    assert container_spec.docker_healthcheck({"command": ["CMD", "true"], "interval": 5}) == {
        "test": ["CMD", "true"], "interval": 5_000_000_000, "timeout": 5_000_000_000, "retries": 3,
        "start_period": 0}
    assert container_spec.docker_healthcheck({"interval": 5}) is None


def test_resource_limits_take_the_container_first_and_cap_cpus_at_the_engines():
    assert container_spec.resource_limits({}, "4096", "2048", engine_cpus=2) == {
        "mem_limit": "2048m", "nano_cpus": 2_000_000_000}
    assert container_spec.resource_limits({"memory": 256, "memoryReservation": 128, "cpu": 512}, "256", "512",
                                          engine_cpus=4) == {
        "mem_limit": "256m", "mem_reservation": "128m", "nano_cpus": 250_000_000, "cpu_shares": 512}


def test_environment_overrides_win_and_an_endpoint_brings_local_credentials():
    definition = {"environment": [{"name": "MODE", "value": "prod"}, {"name": "PORT", "value": "8080"}]}
    variables = container_spec.environment(definition, {"environment": [{"name": "MODE", "value": "test"}]},
                                            REGION, endpoint_url="http://cloud:4566")
    assert variables == {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "MODE": "test", "PORT": "8080",
                         "AWS_ENDPOINT_URL": "http://cloud:4566", "AWS_ACCESS_KEY_ID": "local",
                         "AWS_SECRET_ACCESS_KEY": "local"}


def test_the_first_container_owns_the_network_and_the_others_join_it():
    task = SimpleNamespace(region_name=REGION, id="6a38dc2c7840abcd")
    definitions = [{"name": "web", "image": "web:1", "portMappings": [{"containerPort": 8080}]},
                   {"name": "proxy", "image": "envoy:1"}]
    task_definition = SimpleNamespace(cpu="256", memory="512", container_definitions=definitions)
    common = {"labels": {}, "network": "cloud-net", "engine_cpus": 2}
    owner = container_spec.container_arguments(task, task_definition, definitions[0], {}, name="ecs-web",
                                               namespace_owner=None, **common)
    joiner = container_spec.container_arguments(task, task_definition, definitions[1], {}, name="ecs-proxy",
                                                namespace_owner="c0ffee", **common)
    assert (owner["network"], owner["hostname"], owner["ports"]) == ("cloud-net", "ecs-web",
                                                                    {"8080/tcp": ("127.0.0.1", None)})
    assert joiner["network_mode"] == "container:c0ffee"
    assert not {"network", "hostname", "ports"} & joiner.keys()


# --- awslogs ----------------------------------------------------------------------------------------------------------

def test_awslogs_options_only_for_the_awslogs_driver():
    assert logs.awslogs_options({"logConfiguration": {"logDriver": "awslogs", "options": {"a": "b"}}}) == {"a": "b"}
    assert logs.awslogs_options({"logConfiguration": {"logDriver": "awslogs"}}) == {}
    assert logs.awslogs_options({"logConfiguration": {"logDriver": "json-file", "options": {"a": "b"}}}) is None


def test_the_stream_name_is_prefix_container_task():
    assert logs.stream_name({"awslogs-stream-prefix": "ecs"}, "web", "abc123") == "ecs/web/abc123"
    assert logs.stream_name({}, "web", "abc123") == "abc123"


def test_a_docker_log_line_becomes_an_event_with_milliseconds():
    moment = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert logs.parse_line("2025-01-02T03:04:05.678901234Z GET /health 200") == {
        "timestamp": int(moment.timestamp() * 1000) + 678, "message": "GET /health 200"}
    assert logs.parse_line("no timestamp here")["message"] == "no timestamp here"


def test_a_missing_log_group_fails_the_task_unless_it_may_be_created():
    backend = LogsBackend(REGION, ACCOUNT)
    with pytest.raises(logs.LogGroupMissing, match=r"\(log group /ecs/web\)"):
        logs.prepare_destination(backend, {"awslogs-group": "/ecs/web"}, "ecs/web/1")
    logs.prepare_destination(backend, {"awslogs-group": "/ecs/web", "awslogs-create-group": "true"}, "ecs/web/1")
    logs.prepare_destination(backend, {"awslogs-group": "/ecs/web"}, "ecs/web/2")  # now it exists
    assert sorted(backend.groups["/ecs/web"].streams) == ["ecs/web/1", "ecs/web/2"]


# --- Cloud Map names and target addresses -----------------------------------------------------------------------------

def test_a_service_is_reached_at_its_cloud_map_names():
    registry = SimpleNamespace(services={"srv-1": SimpleNamespace(arn="arn:srv-1", name="catalog",
                                                                   namespace_id="ns-1")},
                               namespaces={"ns-1": SimpleNamespace(name="bookshop.local")})
    cloud = SimpleNamespace(backend={"servicediscovery": registry}.__getitem__)

    def service(*registry_arns: str) -> SimpleNamespace:
        return SimpleNamespace(name="catalog", service_registries=[{"registryArn": arn} for arn in registry_arns])
    assert discovery.service_dns_names(cloud, service("arn:srv-1")) == ["catalog.bookshop.local"]
    assert discovery.service_dns_names(cloud, service("arn:unknown")) == []
    assert discovery.service_dns_names(cloud, service()) == []


def test_a_task_targets_its_eni_address_on_each_target_group_of_its_service():
    service = SimpleNamespace(load_balancers=[{"targetGroupArn": TARGET_GROUP, "containerPort": "8080"},
                                              {"loadBalancerName": "classic", "containerPort": 80}])
    with_eni = SimpleNamespace(containers=[{"networkInterfaces": [{"privateIpv4Address": "10.0.1.5"}]}])
    bridge = SimpleNamespace(containers=[{}], localcloud_private_ip="172.18.0.4")
    assert targets.task_targets(service, with_eni) == [(TARGET_GROUP, "10.0.1.5", 8080)]
    assert targets.task_targets(service, bridge) == [(TARGET_GROUP, "172.18.0.4", 8080)]
    assert targets.task_targets(service, SimpleNamespace(containers=[])) == []
