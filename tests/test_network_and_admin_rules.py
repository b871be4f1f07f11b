"""Module 05's network and load balancer, as `ensure_network` and `ensure_load_balancer` build them (moto in
process): who may reach the tasks and the load balancer, the target groups' health check, the admin rules (judged
by the local cloud's own rule matcher), and the wait for a load balancer that takes minutes to become active."""
import boto3
import pytest
from moto import mock_aws

from localcloud.elbv2 import rules
from workshop.docker_client import WorkshopError
from workshop.network import LEARNER_CIDR_VARIABLE, ensure_network, learner_cidr
from workshop.session import Session
from workshop.stack import (ADMIN_REFUSED_PRIORITY, HEALTH_CHECK_INTERVAL, SERVICES, admin_rules, ensure_load_balancer,
                            wait_until_active)

REGION = "us-east-1"
SESSION = Session(mode="local", region=REGION, account="123456789012", prefix="bookshop")


@pytest.fixture
def ec2(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


def ingress(ec2, group_id: str) -> list[dict]:
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"]


def test_the_tasks_admit_the_load_balancer_and_each_other_on_the_service_port(ec2):
    network = ensure_network(ec2, SESSION)
    sources = {(rule["FromPort"], pair["GroupId"]) for rule in ingress(ec2, network.tasks_security_group)
               for pair in rule["UserIdGroupPairs"]}
    # orders → catalog by its Cloud Map name is task to task: without the second rule AWS drops it
    assert sources == {(8000, network.load_balancer_security_group), (8000, network.tasks_security_group)}


def test_a_second_call_finds_the_same_network_and_adds_no_rule(ec2):
    first, second = ensure_network(ec2, SESSION), ensure_network(ec2, SESSION)
    assert first == second
    assert len(ingress(ec2, first.tasks_security_group)[0]["UserIdGroupPairs"]) == 2


def test_the_load_balancer_is_open_on_port_80_unless_told_a_narrower_cidr(ec2):
    open_network = ensure_network(ec2, SESSION)
    opened = ingress(ec2, open_network.load_balancer_security_group)
    assert [r["CidrIp"] for r in opened[0]["IpRanges"]] == ["0.0.0.0/0"]
    ensure_network(ec2, SESSION, load_balancer_cidr="203.0.113.7")
    limited = ingress(ec2, open_network.load_balancer_security_group)
    assert [(r["FromPort"], [c["CidrIp"] for c in r["IpRanges"]]) for r in limited] == [(80, ["203.0.113.7/32"])]


def test_learner_cidr_is_loopback_for_a_local_endpoint_and_the_override_wins(monkeypatch):
    monkeypatch.delenv(LEARNER_CIDR_VARIABLE, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert learner_cidr() == "127.0.0.1/32"
    monkeypatch.setenv(LEARNER_CIDR_VARIABLE, "198.51.100.0/24")
    assert learner_cidr() == "198.51.100.0/24"


class Rule:
    """A listener rule as the local cloud's matcher reads it."""
    def __init__(self, priority, rule):
        self.priority, self.conditions, self.actions = str(priority), rule["Conditions"], rule["Actions"]
        self.is_default = False


def matched(path: str, source_ip: str) -> dict | None:
    groups = {service: f"arn:{service}" for service in SERVICES}
    listener = [Rule(p, r) for p, r in admin_rules(groups, "198.51.100.7/32").items()]
    listener.append(Rule(30, {"Conditions": [{"Field": "path-pattern", "Values": ["/orders*"]}],
                              "Actions": [{"Type": "forward", "TargetGroupArn": "arn:orders"}]}))
    found = rules.matching_rule(listener, rules.RequestFacts("PUT", path, "", "elb", {}, source_ip))
    return found.actions[-1] if found else None


def test_the_fault_switch_answers_the_learner_and_refuses_everyone_else():
    assert matched("/orders/admin/faults", "198.51.100.7") == {"Type": "forward", "TargetGroupArn": "arn:orders"}
    refused = matched("/orders/admin/faults", "203.0.113.50")
    assert (refused["Type"], refused["FixedResponseConfig"]["StatusCode"]) == ("fixed-response", "403")
    assert matched("/admin/faults", "203.0.113.50")["FixedResponseConfig"]["StatusCode"] == "403"


def test_the_admin_rules_leave_the_services_own_paths_alone():
    assert matched("/orders", "203.0.113.50") == {"Type": "forward", "TargetGroupArn": "arn:orders"}
    assert matched("/orders/12", "203.0.113.50") == {"Type": "forward", "TargetGroupArn": "arn:orders"}
    assert max(int(p) for p in admin_rules({"orders": "arn"}, "198.51.100.7/32")) == ADMIN_REFUSED_PRIORITY


def test_target_groups_give_each_health_check_less_time_than_the_interval(ec2, monkeypatch):
    monkeypatch.setenv(LEARNER_CIDR_VARIABLE, "198.51.100.7/32")
    elbv2 = boto3.client("elbv2", region_name=REGION)
    network = ensure_network(ec2, SESSION)
    _, _, listener_arn, groups = ensure_load_balancer(elbv2, SESSION, network)
    for group in elbv2.describe_target_groups(TargetGroupArns=list(groups.values()))["TargetGroups"]:
        assert group["HealthCheckTimeoutSeconds"] < group["HealthCheckIntervalSeconds"] == HEALTH_CHECK_INTERVAL
    source_ips = [c["SourceIpConfig"]["Values"] for rule in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
                  for c in rule["Conditions"] if c["Field"] == "source-ip"]
    assert source_ips == [["198.51.100.7/32"]] * 3


class Clock:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds):
        self.now += seconds


class Balancers:
    """describe_load_balancers answering the given states, one call each."""
    def __init__(self, *states):
        self.states = list(states)

    def describe_load_balancers(self, LoadBalancerArns):
        code = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"LoadBalancers": [{"State": {"Code": code}}]}


def test_a_provisioning_load_balancer_is_waited_for_with_progress(capsys):
    clock = Clock()
    waited = wait_until_active(Balancers("provisioning", "provisioning", "active"), "arn", poll_seconds=10,
                               sleep=clock.sleep, clock=lambda: clock.now)
    assert waited == 20
    assert capsys.readouterr().out.count("the load balancer is provisioning") == 2


def test_a_load_balancer_never_active_stops_the_wait_at_the_deadline():
    clock = Clock()
    with pytest.raises(WorkshopError, match="provisioning after 600 s"):
        wait_until_active(Balancers("provisioning"), "arn", deadline_seconds=600, poll_seconds=10,
                          sleep=clock.sleep, clock=lambda: clock.now)
