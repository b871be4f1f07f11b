"""The `aws` pace for load balancers: "provisioning" for AWS's minutes (compressed), then "active"; the listeners
answer nothing meanwhile (no engine; a fake clock)."""
import asyncio
import types

import pytest
from moto.backends import get_backend

from localcloud import pace as pacing
from localcloud.config import MOTO_DEFAULT_ACCOUNT_ID
from localcloud.elbv2.listeners import ListenerFront
from localcloud.elbv2.provider import Elbv2Provider
from localcloud.elbv2.targets import TargetRegistry
from tests.localcloud.elbv2_fakes import FakeClock as SleepingClock, FakeNetwork, FakeTargetGroup, settle
from tests.localcloud.fakes import FakeClock, served_by
from tests.localcloud.test_moto_guard_elbv2 import REGION, network, unique

AWS = pacing.Pace("aws", 25)


class PacedPlane:
    """The ELBv2 plane as its provider sees it, in a cloud at a given pace."""

    def __init__(self, pace):
        self.clock = FakeClock()
        self.cloud = types.SimpleNamespace(config=types.SimpleNamespace(pace=pace), clock=self.clock)
        self.ports = 0

    def backend(self):
        return get_backend("elbv2")[MOTO_DEFAULT_ACCOUNT_ID][REGION]

    def dns_name_for(self, arn: str) -> str:
        self.ports += 1
        return f"elb.localhost:{5000 + self.ports}"

    def settle(self) -> None:
        pass


def state(elbv2, arn: str) -> str:
    return elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]


@pytest.mark.parametrize("pace, provisioning_state", [(AWS, "provisioning"), (pacing.Pace(), "active")])
def test_a_new_load_balancer_is_provisioning_for_aws_minutes_then_active(pace, provisioning_state):
    plane = PacedPlane(pace)
    with served_by(Elbv2Provider(plane, MOTO_DEFAULT_ACCOUNT_ID, REGION), region=REGION) as client:
        elbv2 = client("elbv2")
        [created] = elbv2.create_load_balancer(Name=unique("lb"), Subnets=network(client("ec2"))[1])["LoadBalancers"]
        arn = created["LoadBalancerArn"]
        assert created["State"]["Code"] == "provisioning"  # as AWS answers CreateLoadBalancer
        assert state(elbv2, arn) == provisioning_state
        assert elbv2.describe_load_balancers()["LoadBalancers"][-1]["State"]["Code"] in ("provisioning", "active")
        plane.clock.advance(AWS.lasts(pacing.LOAD_BALANCER_PROVISIONING_S))
        assert state(elbv2, arn) == "active"
        elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[arn], WaiterConfig={"Delay": 0})


class FakeWriter:
    def __init__(self):
        self.closed, self.written = False, b""

    def get_extra_info(self, name):
        return ("127.0.0.1", 5001)

    def write(self, data: bytes):
        self.written += data

    def close(self):
        self.closed = True

    async def drain(self):
        pass


def served_once(provisioning: bool) -> tuple[FakeWriter, list]:
    listener = types.SimpleNamespace(protocol="HTTP", port=80, rules={})
    load_balancer = types.SimpleNamespace(arn="arn:lb", listeners={"arn:listener": listener}, attrs={})
    backend = types.SimpleNamespace(load_balancers={"arn:lb": load_balancer})
    front = ListenerFront(lambda: backend, targets=None, pool=None, provisioning=lambda lb: provisioning)
    answered = []

    async def answer(*request):
        answered.append(request)
        return b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    front.answer = answer
    writer = FakeWriter()

    async def connect():
        reader = asyncio.StreamReader()
        reader.feed_data(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reader.feed_eof()
        await front._connection("arn:lb", reader, writer)
    asyncio.run(connect())
    return writer, answered


def test_a_provisioning_load_balancers_listener_answers_nothing():
    writer, answered = served_once(provisioning=True)
    assert writer.closed and writer.written == b"" and answered == []


def test_an_active_load_balancers_listener_answers():
    writer, answered = served_once(provisioning=False)
    assert len(answered) == 1 and writer.written.startswith(b"HTTP/1.1 200")


# --- targets: registering takes AWS's time before the first health check -------------------------------------------
def registering_scene(registration_s: float):
    clock, network, group = SleepingClock(), FakeNetwork(), FakeTargetGroup()
    registry = TargetRegistry(lambda group, target_id, port: (target_id, port), lambda address: None, clock=clock,
                              connect=network.connect, sleep=clock.sleep, registration_s=registration_s)
    group.register("10.0.1.5")
    network.behaviour[("10.0.1.5", 8080)] = 200
    return clock, group, registry


def health_of(registry, group) -> tuple:
    return registry.describe(group, [{"Id": "10.0.1.5", "Port": 8080}])[0][2:4]


def test_a_new_target_is_registering_for_aws_time_before_its_first_check_makes_it_healthy():
    async def scene():
        clock, group, registry = registering_scene(AWS.lasts(pacing.TARGET_REGISTRATION_S))
        registry.sync([group], {group.arn})
        await settle()
        assert health_of(registry, group) == ("initial", "Elb.RegistrationInProgress")
        clock.advance(AWS.lasts(pacing.TARGET_REGISTRATION_S))
        await settle()
        assert health_of(registry, group) == ("healthy", None)
        registry.stop()
    asyncio.run(scene())


def test_at_the_local_pace_a_new_target_is_checked_at_once():
    async def scene():
        _, group, registry = registering_scene(pacing.Pace().lasts(pacing.TARGET_REGISTRATION_S))
        registry.sync([group], {group.arn})
        await settle()
        assert health_of(registry, group) == ("healthy", None)
        registry.stop()
    asyncio.run(scene())
