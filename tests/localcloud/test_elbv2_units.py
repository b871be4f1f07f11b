"""ELBv2 data plane logic without an engine: health checks, target states, draining, picks, the pool and the front.

Targets are fakes answering on fake streams, time is a fake clock; nothing waits on the wall clock.
"""
import asyncio
import functools
import ssl
from types import SimpleNamespace

import pytest

from localcloud.elbv2 import health, wire
from localcloud.elbv2.listeners import ListenerFront
from localcloud.elbv2.targets import TargetRegistry
from localcloud.elbv2.upstream import ConnectionPool, TargetFailed
from tests.localcloud.elbv2_fakes import (FakeClock, FakeNetwork, FakeTargetGroup, forward, host_header,
                                          path_pattern, rule, settle)

IP, OTHER_IP, THIRD_IP = "10.0.1.5", "10.0.1.6", "10.0.1.7"
HEALTHY = ("healthy", None, None)
INITIAL = ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")


def in_loop(test):
    """Run an async test on a fresh event loop (tasks it leaves are cancelled with the loop)."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))
    return run


class Scene:
    """One target group, its registry, fake targets and a fake clock."""

    def __init__(self, **group_settings):
        self.clock = FakeClock()
        self.network = FakeNetwork()
        self.forgotten = []
        self.addresses = {}  # target id -> IP, for targets whose id is not their IP
        self.group = FakeTargetGroup(**group_settings)
        self.registry = TargetRegistry(self.address_of, self.forgotten.append, clock=self.clock,
                                       connect=self.network.connect, sleep=self.clock.sleep)

    def address_of(self, group, target_id, port):
        return self.addresses.get(target_id, target_id), port

    async def sync(self, in_use=True):
        self.registry.sync([self.group], {self.group.arn} if in_use else set())
        await settle()

    async def tick(self, times=1):
        """Let `times` health check intervals pass, each followed by its check."""
        for _ in range(times):
            self.clock.advance(self.group.health_check_interval_seconds)
            await settle()

    def health(self, target_id=IP, port=8080):
        return self.registry.describe(self.group, [{"Id": target_id, "Port": port}])[0][2:]

    def key(self, target_id=IP, port=8080):
        return self.group.arn, target_id, port


# --- one health check -----------------------------------------------------------------------------------------------
@in_loop
async def test_a_health_check_gets_the_path_with_the_elb_user_agent_and_closes_the_connection():
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = 200
    result = await health.check_once((IP, 8080), "/health", 5, "200", connect=network.connect)
    assert result.passed
    request = network.requests[0][1]
    assert request.startswith(b"GET /health HTTP/1.1\r\n")
    assert b"User-Agent: ELB-HealthChecker/2.0\r\n" in request and b"Host: 10.0.1.5:8080\r\n" in request
    assert network.writers[0].closed  # a check never keeps its connection


@in_loop
async def test_a_status_outside_the_matcher_fails_with_the_codes_aws_reports():
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = 500
    result = await health.check_once((IP, 8080), "/", 5, "200", connect=network.connect)
    assert result == health.CheckResult(False, "Target.ResponseCodeMismatch",
                                        "Health checks failed with these codes: [500]")


@pytest.mark.parametrize("codes, status, passes", [
    ("200-299", 204, True), ("200-299", 302, False), ("200,302", 302, True), ("200,302", 301, False)])
@in_loop
async def test_matcher_ranges_and_lists_decide_whether_a_check_passes(codes, status, passes):
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = status
    assert (await health.check_once((IP, 8080), "/", 5, codes, connect=network.connect)).passed is passes


@in_loop
async def test_a_target_that_does_not_answer_in_time_fails_with_target_timeout():
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = "hang"
    # A zero timeout expires at the first wait, without waiting on the wall clock.
    result = await health.check_once((IP, 8080), "/", 0, "200", connect=network.connect)
    assert result == health.CheckResult(False, "Target.Timeout", "Request timed out")


# None: refused; then an answer that is not HTTP, and a head cut short by the target closing.
@pytest.mark.parametrize("behaviour", [None, b"SSH-2.0-OpenSSH_9.6\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Le"])
@in_loop
async def test_a_refused_connection_or_a_non_http_answer_fails_the_health_check(behaviour):
    network = FakeNetwork()
    if behaviour is not None:
        network.behaviour[(IP, 8080)] = behaviour
    result = await health.check_once((IP, 8080), "/", 5, "200", connect=network.connect)
    assert result == health.CheckResult(False, "Target.FailedHealthChecks", "Health checks failed")


@in_loop
async def test_a_tcp_health_check_only_connects():
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = "hang"
    assert (await health.check_once((IP, 8080), None, 5, "200", connect=network.connect)).passed
    assert network.requests == []


@in_loop
async def test_an_https_health_check_uses_tls_without_verifying_the_certificate():
    network = FakeNetwork()
    network.behaviour[(IP, 8443)] = 200
    await health.check_once((IP, 8443), "/", 5, "200", tls=True, connect=network.connect)
    context = network.connects[0][1]
    assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_NONE


# --- health states of registered targets ----------------------------------------------------------------------------
@in_loop
async def test_a_registered_target_is_initial_until_its_first_check_passes():
    scene = Scene()
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 200
    scene.registry.sync([scene.group], {scene.group.arn})
    assert scene.health() == INITIAL  # the first check has not run yet
    await settle()
    assert scene.health() == HEALTHY


@in_loop
async def test_a_target_turns_unhealthy_after_unhealthy_threshold_failures_with_the_aws_reason():
    scene = Scene(unhealthy_threshold_count=3)
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 500
    await scene.sync()
    await scene.tick()
    assert scene.health() == INITIAL  # two failures of three
    await scene.tick()
    assert scene.health() == ("unhealthy", "Target.ResponseCodeMismatch",
                              "Health checks failed with these codes: [500]")


@in_loop
async def test_an_unhealthy_target_needs_healthy_threshold_passes_in_a_row_to_recover():
    scene = Scene(healthy_threshold_count=3, unhealthy_threshold_count=2)
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 500
    await scene.sync()
    await scene.tick()
    assert scene.health()[0] == "unhealthy"
    scene.network.behaviour[(IP, 8080)] = 200
    await scene.tick(2)
    assert scene.health()[0] == "unhealthy"  # two passes of three
    await scene.tick()
    assert scene.health() == HEALTHY


@in_loop
async def test_timeouts_and_refusals_are_reported_with_their_own_reasons():
    scene = Scene(health_check_timeout_seconds=0, unhealthy_threshold_count=1)
    scene.group.register(IP).register(OTHER_IP)
    scene.network.behaviour[(IP, 8080)] = "hang"  # OTHER_IP refuses: nothing listens there
    await scene.sync()
    assert scene.health(IP) == ("unhealthy", "Target.Timeout", "Request timed out")
    assert scene.health(OTHER_IP) == ("unhealthy", "Target.FailedHealthChecks", "Health checks failed")


@in_loop
async def test_checks_run_once_per_interval_of_the_clock():
    scene = Scene(health_check_interval_seconds=10)
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 200
    await scene.sync()
    assert scene.network.checked((IP, 8080)) == 1
    scene.clock.advance(9)
    await settle()
    assert scene.network.checked((IP, 8080)) == 1  # not yet an interval
    scene.clock.advance(1)
    await settle()
    assert scene.network.checked((IP, 8080)) == 2


@in_loop
async def test_a_health_check_port_of_the_group_replaces_the_traffic_port():
    scene = Scene(health_check_port="9000")
    scene.group.register(IP)
    scene.network.behaviour[(IP, 9000)] = 200
    await scene.sync()
    assert scene.health() == HEALTHY
    assert [address for address, _ in scene.network.connects] == [(IP, 9000)]


@in_loop
async def test_targets_of_a_group_no_load_balancer_uses_are_unused_and_not_checked():
    scene = Scene()
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 200
    await scene.sync(in_use=False)
    assert scene.health() == ("unused", "Target.NotInUse",
                              "Target group is not configured to receive traffic from the load balancer")
    assert scene.network.connects == []


@in_loop
async def test_a_group_that_gets_a_load_balancer_starts_checking_its_targets():
    scene = Scene()
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 200
    await scene.sync(in_use=False)
    await scene.sync(in_use=True)
    assert scene.health() == HEALTHY


@in_loop
async def test_targets_with_health_checks_disabled_are_unavailable_and_still_get_traffic():
    scene = Scene(health_check_enabled=False)
    scene.group.register(IP)
    await scene.sync()
    assert scene.health() == ("unavailable", "Target.HealthCheckDisabled", "Health checks are disabled")
    assert scene.network.connects == []
    assert scene.registry.pick(scene.group) == (scene.key(), (IP, 8080))


@in_loop
async def test_a_target_moved_to_a_new_address_is_a_new_target():
    scene = Scene()
    scene.addresses["i-0abc"] = IP
    scene.group.register("i-0abc")
    scene.network.behaviour[(IP, 8080)] = 200
    scene.network.behaviour[(OTHER_IP, 8080)] = "hang"
    await scene.sync()
    assert scene.health("i-0abc") == HEALTHY
    scene.addresses["i-0abc"] = OTHER_IP  # a new task took the place of the old one
    await scene.sync()
    assert scene.health("i-0abc") == INITIAL  # the old task's health is not inherited
    assert scene.network.connects[-1][0] == (OTHER_IP, 8080)


@in_loop
async def test_a_deleted_target_group_drops_its_targets_and_their_checks():
    scene = Scene()
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 200
    await scene.sync()
    scene.registry.sync([], set())
    await scene.tick()
    assert scene.registry.records == {}
    assert scene.network.checked((IP, 8080)) == 1


# --- draining -------------------------------------------------------------------------------------------------------
async def healthy_scene(*target_ids, **group_settings) -> Scene:
    scene = Scene(**group_settings)
    for target_id in target_ids:
        scene.group.register(target_id)
        scene.network.behaviour[(target_id, 8080)] = 200
    await scene.sync()
    return scene


@in_loop
async def test_a_deregistered_target_with_nothing_in_flight_is_gone_at_once():
    scene = await healthy_scene(IP)
    scene.group.deregister(IP)
    await scene.sync()
    assert scene.health() == ("unused", "Target.NotRegistered", "Target is not registered to the target group")
    assert scene.forgotten == [(IP, 8080)]  # its idle connections are closed


@in_loop
async def test_a_deregistered_target_drains_until_its_request_in_flight_finishes():
    scene = await healthy_scene(IP)
    scene.registry.started(scene.key())
    scene.group.deregister(IP)
    await scene.sync()
    draining = (IP, 8080, "draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
    assert scene.registry.describe(scene.group, []) == [draining]  # listed though no longer registered
    assert scene.registry.pick(scene.group) is None
    scene.registry.finished(scene.key())
    assert scene.health()[1] == "Target.NotRegistered"


@in_loop
async def test_draining_ends_when_the_deregistration_delay_has_passed():
    scene = await healthy_scene(IP, attributes={"deregistration_delay.timeout_seconds": "30"})
    scene.registry.started(scene.key())
    scene.group.deregister(IP)
    await scene.sync()
    scene.clock.advance(29)
    await scene.sync()
    assert scene.health()[0] == "draining"
    scene.clock.advance(1)
    await scene.sync()
    assert scene.health()[1] == "Target.NotRegistered"
    scene.registry.finished(scene.key())  # the late request's end changes nothing
    assert scene.registry.records == {}


@in_loop
async def test_a_draining_target_is_no_longer_checked():
    scene = await healthy_scene(IP)
    scene.registry.started(scene.key())
    scene.group.deregister(IP)
    await scene.sync()
    await scene.tick(3)
    assert scene.network.checked((IP, 8080)) == 1


@in_loop
async def test_a_draining_target_registered_again_starts_afresh():
    scene = await healthy_scene(IP)
    scene.registry.started(scene.key())
    scene.group.deregister(IP)
    await scene.sync()
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = "hang"
    await scene.sync()
    assert scene.health() == INITIAL


# --- which target gets a request ------------------------------------------------------------------------------------
@in_loop
async def test_pick_goes_round_robin_over_serving_targets_only():
    scene = await healthy_scene(IP, OTHER_IP, THIRD_IP, unhealthy_threshold_count=1)
    scene.network.behaviour[(OTHER_IP, 8080)] = 500
    await scene.tick()
    assert scene.health(OTHER_IP)[0] == "unhealthy"
    picked = [scene.registry.pick(scene.group)[1][0] for _ in range(4)]
    assert picked == [IP, THIRD_IP, IP, THIRD_IP]


@in_loop
async def test_pick_is_none_while_no_target_has_passed_a_check():
    scene = Scene()
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = "hang"
    scene.registry.sync([scene.group], {scene.group.arn})
    assert scene.registry.pick(scene.group) is None


def test_describe_before_any_check_and_of_unregistered_targets():
    scene = Scene(port=80)
    scene.group.register(IP, 8080)
    described = scene.registry.describe(scene.group, [{"Id": IP}, {"Id": OTHER_IP}, {"Id": IP, "Port": 9999}])
    assert described == [
        (IP, 8080, "initial", "Elb.RegistrationInProgress", "Target registration is in progress"),
        (OTHER_IP, 80, "unused", "Target.NotRegistered", "Target is not registered to the target group"),
        (IP, 9999, "unused", "Target.NotRegistered", "Target is not registered to the target group")]
    assert scene.registry.state_of(scene.group.arn, OTHER_IP, 80) == "unused"


# --- connections to targets -----------------------------------------------------------------------------------------
GET = wire.encode_request("GET", "/", [("Host", "x")], b"")


@in_loop
async def test_the_pool_reuses_a_kept_alive_connection():
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = 200
    pool = ConnectionPool(connect=network.connect)
    for _ in range(3):
        assert (await pool.exchange((IP, 8080), GET, "GET", 5)).body == b"ok"
    assert len(network.connects) == 1


@in_loop
async def test_a_connection_the_target_closed_while_idle_is_retried_once_on_a_new_one():
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = 200
    pool = ConnectionPool(connect=network.connect)
    await pool.exchange((IP, 8080), GET, "GET", 5)
    network.writers[0].drop_next = True
    assert (await pool.exchange((IP, 8080), GET, "GET", 5)).start[1] == "200"
    assert len(network.connects) == 2


@in_loop
async def test_a_target_whose_container_is_gone_fails_at_once_without_connecting():
    network = FakeNetwork()
    pool = ConnectionPool(is_gone=lambda ip: ip == IP, connect=network.connect)
    with pytest.raises(TargetFailed) as failure:
        await pool.exchange((IP, 8080), GET, "GET", 5)
    assert failure.value.status == 502 and network.connects == []


@in_loop
async def test_forgetting_a_target_closes_its_idle_connections():
    network = FakeNetwork()
    network.behaviour[(IP, 8080)] = 200
    pool = ConnectionPool(connect=network.connect)
    await pool.exchange((IP, 8080), GET, "GET", 5)
    pool.forget((IP, 8080))
    assert network.writers[0].closed
    await pool.exchange((IP, 8080), GET, "GET", 5)
    assert len(network.connects) == 2


# --- the front: what a client gets --------------------------------------------------------------------------------
def front_for(scene: Scene, *listener_rules):
    backend = SimpleNamespace(target_groups={scene.group.arn: scene.group}, load_balancers={})
    front = ListenerFront(lambda: backend, scene.registry, ConnectionPool(connect=scene.network.connect))
    listener = SimpleNamespace(rules={item.arn: item for item in listener_rules})
    return front, listener


async def ask(front, listener, path="/", host="alb.example.com", timeout_s=5.0) -> wire.Message:
    request = wire.Message(("GET", path, "HTTP/1.1"), [("Host", host)])
    encoded = await front.answer(None, listener, request, "192.0.2.1", 41000, timeout_s)
    reader = asyncio.StreamReader()
    reader.feed_data(encoded)
    reader.feed_eof()
    return await wire.read_response(reader, "GET")


def fixed(text: str, status: int = 200) -> dict:
    return {"Type": "fixed-response", "Order": 1,
            "FixedResponseConfig": {"StatusCode": str(status), "MessageBody": text, "ContentType": "text/plain"}}


@in_loop
async def test_the_front_forwards_to_a_healthy_target_with_forwarded_headers():
    scene = await healthy_scene(IP)
    front, listener = front_for(scene, rule(0, actions=[forward(scene.group.arn)], default=True))
    response = await ask(front, listener, "/orders?id=7")
    assert (response.start[1], response.body) == ("200", b"ok")
    request = scene.network.requests[-1][1]
    assert request.startswith(b"GET /orders?id=7 HTTP/1.1\r\n")
    assert b"X-Forwarded-For: 192.0.2.1\r\n" in request and b"X-Forwarded-Port: 41000\r\n" in request
    assert scene.registry.records[scene.key()].in_flight == 0  # counted while in flight, then released


@in_loop
async def test_the_front_answers_503_when_no_target_is_healthy():
    scene = Scene()
    scene.group.register(IP)
    scene.network.behaviour[(IP, 8080)] = 500
    await scene.sync()
    front, listener = front_for(scene, rule(0, actions=[forward(scene.group.arn)], default=True))
    response = await ask(front, listener)
    assert response.start[1:] == ("503", "Service Temporarily Unavailable")
    assert response.header("Server") == "awselb/2.0"
    assert b"<h1>503 Service Temporarily Unavailable</h1>" in response.body


@pytest.mark.parametrize("behaviour", [None, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"])
@in_loop
async def test_the_front_answers_502_when_the_target_refuses_or_does_not_speak_http(behaviour):
    scene = await healthy_scene(IP)
    scene.network.behaviour.pop((IP, 8080))  # it died after its last check
    if behaviour is not None:
        scene.network.behaviour[(IP, 8080)] = behaviour
    front, listener = front_for(scene, rule(0, actions=[forward(scene.group.arn)], default=True))
    assert (await ask(front, listener)).start[1] == "502"
    assert scene.registry.records[scene.key()].in_flight == 0


@in_loop
async def test_the_front_answers_504_when_the_target_does_not_answer_within_the_idle_timeout():
    scene = await healthy_scene(IP)
    scene.network.behaviour[(IP, 8080)] = "hang"
    front, listener = front_for(scene, rule(0, actions=[forward(scene.group.arn)], default=True))
    assert (await ask(front, listener, timeout_s=0)).start[1] == "504"


@in_loop
async def test_the_front_applies_the_lowest_priority_matching_rule_else_the_default_action():
    scene = Scene()
    front, listener = front_for(
        scene,
        rule(10, [path_pattern("/api/v?/*")], [fixed("api")]),
        rule(5, [host_header("admin.*")], [fixed("admin")]),
        rule(0, actions=[fixed("nothing here", 404)], default=True))
    assert (await ask(front, listener, "/api/v1/orders")).body == b"api"
    assert (await ask(front, listener, "/api/v1/orders", host="admin.example.com:8080")).body == b"admin"
    answer = await ask(front, listener, "/api/v10/orders")  # ? is exactly one character
    assert (answer.start[1], answer.body) == ("404", b"nothing here")


@in_loop
async def test_the_front_answers_503_when_no_rule_matches_and_there_is_no_default():
    scene = Scene()
    front, listener = front_for(scene, rule(1, [path_pattern("/only")], [fixed("only")]))
    assert (await ask(front, listener, "/other")).start[1] == "503"
