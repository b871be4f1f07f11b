"""Security groups without an engine: rule evaluation over moto's EC2 state, its cache, what the load balancers'
front and health checks do with a refusal, and the Cloud Map relay program on loopback."""
import asyncio
import contextlib
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws
from moto.ec2 import ec2_backends

import localcloud
from localcloud import security_groups
from localcloud.ecs import cloud_map_relay
from localcloud.ecs.cloud_map import relay_state
from localcloud.elbv2 import listeners, upstream, wire
from localcloud.elbv2.targets import TargetRegistry
from localcloud.security_groups import HOST_CLIENT, INTERNET, Interface, SecurityGroups, Source
from tests.localcloud.elbv2_fakes import FakeClock, FakeNetwork, FakeTargetGroup, forward, rule, settle

ACCOUNT, REGION = "123456789012", "us-east-1"
IP = "10.0.1.5"


class Vpc:
    """A VPC with two subnets and the workshop's two groups: the load balancer's, and the tasks' (8000 from it)."""

    def __init__(self):
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.vpc = self.ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
                        for cidr in ("10.42.1.0/24", "10.42.2.0/24")]
        self.alb = self.group("alb")
        self.tasks = self.group("tasks")
        self.allow(self.tasks, 8000, group=self.alb)

    def group(self, name: str) -> str:
        return self.ec2.create_security_group(GroupName=name, Description=name, VpcId=self.vpc)["GroupId"]

    def allow(self, group_id: str, port: int, group: str | None = None, cidr: str | None = None,
              protocol: str = "tcp") -> None:
        permission = {"IpProtocol": protocol, "FromPort": port, "ToPort": port}
        if group:
            permission["UserIdGroupPairs"] = [{"GroupId": group}]
        if cidr:
            permission["IpRanges"] = [{"CidrIp": cidr}]
        self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])

    def default_group(self) -> str:
        return self.backend().get_default_security_group(self.vpc).id

    def source(self, *groups: str, subnet: int = 0) -> Source:
        return Interface(groups, self.subnets[subnet]).source(self.backend())

    @staticmethod
    def backend():
        return ec2_backends[ACCOUNT][REGION]

    def admits(self, receiver: tuple[str, ...], source: Source, port: int = 8000) -> bool:
        return security_groups.groups_admit(self.backend(), receiver, source, port)


@pytest.fixture
def vpc():
    with mock_aws():
        yield Vpc()


# --- the rules --------------------------------------------------------------------------------------------------------
def test_a_rule_naming_a_group_admits_members_of_that_group_on_its_port_only(vpc):
    assert vpc.admits((vpc.tasks,), vpc.source(vpc.alb))
    assert not vpc.admits((vpc.tasks,), vpc.source(vpc.alb), port=8001)
    assert not vpc.admits((vpc.tasks,), vpc.source(vpc.tasks))  # the module 05 mistake: tasks cannot reach tasks


def test_a_self_referencing_rule_lets_a_groups_members_reach_each_other(vpc):
    vpc.allow(vpc.tasks, 8000, group=vpc.tasks)
    assert vpc.admits((vpc.tasks,), vpc.source(vpc.tasks))


def test_a_cidr_rule_admits_a_source_whose_whole_subnet_it_covers(vpc):
    other = vpc.group("other")
    vpc.allow(vpc.tasks, 8000, cidr="10.42.0.0/16")
    vpc.allow(vpc.tasks, 9000, cidr="10.42.1.0/25")
    assert vpc.admits((vpc.tasks,), vpc.source(other))
    assert not vpc.admits((vpc.tasks,), vpc.source(other), port=9000)  # half the subnet is not the sender's range


def test_only_a_rule_for_all_addresses_admits_the_internet_and_a_host_client_is_127_0_0_1(vpc):
    vpc.allow(vpc.alb, 80, cidr="127.0.0.1/32")
    assert vpc.admits((vpc.alb,), HOST_CLIENT, port=80)
    assert not vpc.admits((vpc.alb,), INTERNET, port=80)
    vpc.allow(vpc.alb, 80, cidr="0.0.0.0/0")
    assert vpc.admits((vpc.alb,), INTERNET, port=80)
    assert localcloud.client_address() == "127.0.0.1"  # what a "my IP" rule names here


def test_all_traffic_rules_admit_any_port_and_udp_rules_no_tcp(vpc):
    open_group, udp_group = vpc.group("open"), vpc.group("udp")
    vpc.ec2.authorize_security_group_ingress(GroupId=open_group, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": vpc.alb}]}])
    vpc.allow(udp_group, 8000, group=vpc.alb, protocol="udp")
    assert vpc.admits((open_group,), vpc.source(vpc.alb), port=12345)
    assert not vpc.admits((udp_group,), vpc.source(vpc.alb))


def test_the_default_group_admits_its_own_members_as_awss_default_rule_does(vpc):
    default = vpc.default_group()
    assert vpc.admits((default,), vpc.source(default), port=5432)
    assert not vpc.admits((default,), vpc.source(vpc.alb), port=5432)


def test_an_application_load_balancer_without_groups_has_the_vpcs_default_group(vpc):
    balancer = SimpleNamespace(security_groups=[], type="application", vpc_id=vpc.vpc, subnets=[])
    assert security_groups.load_balancer_groups(vpc.backend(), balancer) == (vpc.default_group(),)
    network = SimpleNamespace(security_groups=[], type="network", vpc_id=vpc.vpc, subnets=[])
    assert security_groups.load_balancer_groups(vpc.backend(), network) == ()


def test_a_vpc_link_sends_from_its_groups_and_subnets(vpc):
    link = SimpleNamespace(sg_ids=[vpc.alb], subnet_ids=vpc.subnets)
    source = security_groups.vpc_link_source(vpc.backend(), link)
    assert source.groups == {vpc.alb} and len(source.networks) == 2
    assert vpc.admits((vpc.tasks,), source)


# --- the cached evaluator ---------------------------------------------------------------------------------------------
def task(ip: str, groups: list[str], subnet: str, group: str = "service:orders"):
    return SimpleNamespace(last_status="RUNNING", localcloud_private_ip=ip, attachments=[], group=group,
                           network_configuration={"awsvpcConfiguration": {"subnets": [subnet],
                                                                          "securityGroups": groups}})


def test_decisions_are_cached_briefly_then_follow_a_changed_rule(vpc):
    clock = FakeClock()
    ecs = SimpleNamespace(tasks={"shop": {"t1": task(IP, [vpc.tasks], vpc.subnets[0])}})
    evaluator = SecurityGroups(lambda name: ecs if name == "ecs" else vpc.backend(), clock=clock)
    balancer = SimpleNamespace(arn="lb", security_groups=[vpc.alb], type="application", vpc_id=vpc.vpc,
                               subnets=vpc.subnets)
    assert evaluator.target_admits(balancer, IP, 8000)
    assert not evaluator.target_admits(balancer, IP, 9000)
    vpc.allow(vpc.tasks, 9000, group=vpc.alb)
    assert not evaluator.target_admits(balancer, IP, 9000)  # still the cached answer
    clock.advance(security_groups.CACHE_S)
    assert evaluator.target_admits(balancer, IP, 9000)
    assert evaluator.target_admits(balancer, "192.0.2.9", 9000)  # not a task the cloud runs: no groups it knows


def test_a_load_balancer_without_groups_takes_every_client_and_one_with_groups_only_admitted_ones(vpc):
    evaluator = SecurityGroups(lambda name: vpc.backend())
    vpc.allow(vpc.alb, 80, cidr="203.0.113.0/24")
    with_groups = SimpleNamespace(arn="lb", security_groups=[vpc.alb])
    assert not evaluator.load_balancer_admits(with_groups, HOST_CLIENT, 80)
    assert evaluator.load_balancer_admits(SimpleNamespace(arn="lb2", security_groups=[]), HOST_CLIENT, 80)


def test_a_relay_state_lists_for_each_port_the_callers_each_task_admits():
    admits = lambda receiver, caller, port: caller == "friend" and port == 8000  # noqa: E731
    state = relay_state([("10.0.0.2", "iface", [8000, 9000]), ("10.0.0.1", None, [8000])],
                        {"10.0.0.7": "friend", "10.0.0.8": "stranger"}, admits)
    assert state == {"8000": [["10.0.0.1", ["10.0.0.7", "10.0.0.8"]], ["10.0.0.2", ["10.0.0.7"]]],
                     "9000": [["10.0.0.2", []]]}


# --- what the load balancers do with a refusal ------------------------------------------------------------------------
def test_a_health_check_the_targets_groups_drop_times_out():
    async def scene():
        clock, network = FakeClock(), FakeNetwork()
        group = FakeTargetGroup(health_check_timeout_seconds=0.01)
        network.behaviour[(IP, 8080)] = 200
        registry = TargetRegistry(lambda g, target_id, port: (target_id, port), lambda address: None, clock=clock,
                                  connect=network.connect, sleep=clock.sleep, reachable=lambda *target: False)
        group.register(IP)
        registry.sync([group], {group.arn})
        for _ in range(group.unhealthy_threshold_count):
            await asyncio.sleep(0.05)  # the check's own timeout runs on the loop's clock
            clock.advance(group.health_check_interval_seconds)
            await settle()
        return registry.describe(group, [{"Id": IP, "Port": 8080}])[0][2:], network
    health, network = asyncio.run(scene())
    assert health == ("unhealthy", "Target.Timeout", "Request timed out")
    assert network.connects == []  # nothing reached the target


def healthy_front(reachable: bool):
    async def scene():
        clock, network, group = FakeClock(), FakeNetwork(), FakeTargetGroup()
        network.behaviour[(IP, 8080)] = 200
        registry = TargetRegistry(lambda g, target_id, port: (target_id, port), lambda address: None, clock=clock,
                                  connect=network.connect, sleep=clock.sleep)
        group.register(IP)
        registry.sync([group], {group.arn})
        await settle()
        backend = SimpleNamespace(target_groups={group.arn: group}, load_balancers={})
        front = listeners.ListenerFront(lambda: backend, registry, upstream.ConnectionPool(connect=network.connect),
                                        target_reachable=lambda *target: reachable)
        listener = SimpleNamespace(rules={"r": rule(0, actions=[forward(group.arn)], default=True)})
        request = wire.Message(("GET", "/", "HTTP/1.1"), [("Host", "alb")])
        encoded = await front.answer(None, listener, request, "192.0.2.1", 41000, 5.0)
        reader = asyncio.StreamReader()
        reader.feed_data(encoded)
        reader.feed_eof()
        return (await wire.read_response(reader, "GET")).start[1]
    return asyncio.run(scene())


def test_a_request_to_a_target_whose_groups_drop_the_load_balancer_is_a_504(monkeypatch):
    monkeypatch.setattr(upstream, "CONNECT_TIMEOUT_S", 0.01)
    assert healthy_front(reachable=False) == "504"
    assert healthy_front(reachable=True) == "200"


def test_a_client_the_load_balancers_groups_do_not_admit_gets_no_answer(monkeypatch):
    monkeypatch.setattr(listeners, "DROPPED_CONNECTION_HOLD_S", 0.05)
    listener = SimpleNamespace(rules={"r": rule(0, actions=[{"Type": "fixed-response", "Order": 1,
                                                              "FixedResponseConfig": {"StatusCode": "200"}}],
                                                default=True)})
    balancer = SimpleNamespace(arn="lb", listeners={"l": listener}, attrs={})

    async def exchange(admitted: bool) -> bytes:
        front = listeners.ListenerFront(lambda: SimpleNamespace(load_balancers={}), None, None,
                                        client_admitted=lambda *connection: admitted)
        front.resolve = lambda key: (balancer, listener)
        reader = asyncio.StreamReader()
        reader.feed_data(b"GET / HTTP/1.1\r\nHost: alb\r\nConnection: close\r\n\r\n")
        writer = SimpleNamespace(written=b"", get_extra_info=lambda name: ("127.0.0.1", 41000),
                                 write=lambda data: setattr(writer, "written", writer.written + data))

        async def drain():
            pass
        writer.drain = drain
        await front._connection("lb", reader, writer)
        return writer.written
    assert asyncio.run(exchange(admitted=False)) == b""
    assert asyncio.run(exchange(admitted=True)).startswith(b"HTTP/1.1 200")


# --- the Cloud Map relay program, on loopback -------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def relay_in_front_of_a_server(monkeypatch, port_state):
    """A relay on 127.0.0.1 and a server on 127.0.0.2 at the same port, as a task behind its Cloud Map name."""
    monkeypatch.setattr(cloud_map_relay, "LISTEN_HOST", "127.0.0.1")
    monkeypatch.setattr(cloud_map_relay, "GRACE_S", 0.1)
    monkeypatch.setattr(cloud_map_relay, "HOLD_S", 0.3)

    async def serve(reader, writer):
        await reader.readline()
        writer.write(b"hello from the task\n")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(serve, "127.0.0.2", 0)
    port = server.sockets[0].getsockname()[1]
    relay = cloud_map_relay.Relay()
    await relay.apply({str(port): [["127.0.0.2", port_state]]})
    try:
        yield relay, port
    finally:
        for listener in relay.listeners.values():
            listener.close()
        server.close()


async def ask_relay(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hi\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    return answer


def test_the_relay_lets_an_admitted_caller_through_and_answers_nothing_to_others(monkeypatch):
    async def scene():
        async with relay_in_front_of_a_server(monkeypatch, ["127.0.0.1"]) as (relay, port):
            admitted = await ask_relay(port)
            await relay.apply({str(port): [["127.0.0.2", ["10.0.0.9"]]]})  # a rule revoked: new connections drop
            dropped = await ask_relay(port)
        return admitted, dropped
    assert asyncio.run(scene()) == (b"hello from the task\n", b"")


def test_functions_attached_to_the_vpc_call_cloud_map_names_from_their_groups_and_others_not_at_all():
    from localcloud.awslambda.container_spec import FUNCTION_LABEL
    from localcloud.ecs.cloud_map import CloudMapRelays

    def summary(function: str, ip: str) -> dict:
        return {"Labels": {FUNCTION_LABEL: function}, "NetworkSettings": {"Networks": {"net": {"IPAddress": ip}}}}
    configs = {"recommendations": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-tasks"]},
               "outside": None}
    functions = SimpleNamespace(get_function=lambda name: SimpleNamespace(_vpc_config=configs[name]))
    asked = []
    cloud = SimpleNamespace(
        labels=lambda part: {"localcloud.managed": "test", "localcloud.part": part},
        network=SimpleNamespace(name="net"), backend=lambda name: functions,
        docker=SimpleNamespace(api=SimpleNamespace(containers=lambda filters: asked.append(filters) or [
            summary("recommendations", "172.18.0.9"), summary("outside", "172.18.0.10")])))
    relays = CloudMapRelays(cloud, security_groups=SimpleNamespace())
    assert relays._function_interfaces() == {"172.18.0.9": Interface(("sg-tasks",), "subnet-1")}
    assert asked == [{"label": ["localcloud.managed=test", "localcloud.part=lambda-function"]}]
