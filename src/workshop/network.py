"""The network AWS needs before a load balancer and Fargate tasks can exist, created the same way in both modes.

One VPC with two public subnets in two Availability Zones (a load balancer needs two), an internet gateway and a
route to it (Fargate tasks pull from ECR through it: no NAT gateway, which would cost money by the hour), and two
security groups: the load balancer's (port 80, from anywhere unless told a narrower CIDR) and the tasks' (port 8000
from the load balancer, and from the tasks' own group: orders calls catalog by its Cloud Map name, task to task).
`ensure_network(session)` finds what an earlier run made by its Name tag, so it is safe to run again.
"""
import ipaddress
import os
from dataclasses import dataclass

import httpx

VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.1.0/24", "10.42.2.0/24")
SERVICE_PORT = 8000
HTTP_PORT = 80
ANYWHERE = "0.0.0.0/0"
# Overrides the address `learner_cidr` finds (e.g. a venue whose traffic leaves through several addresses).
LEARNER_CIDR_VARIABLE = "WORKSHOP_LEARNER_CIDR"
# AWS's own "what is my address" service; asked only when the AWS API is not on this machine.
CHECK_IP_URL = "https://checkip.amazonaws.com"


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnet_ids: list[str]
    load_balancer_security_group: str
    tasks_security_group: str


def _tag_spec(session, resource_type: str, name: str) -> list[dict]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}, *session.tags]}]


def _named(ec2, describe: str, key: str, name: str, **filters) -> list[dict]:
    extra = [{"Name": k, "Values": [v]} for k, v in filters.items()]
    return getattr(ec2, describe)(Filters=[{"Name": "tag:Name", "Values": [name]}, *extra])[key]


def ensure_vpc(ec2, session) -> str:
    name = session.name("vpc")
    found = _named(ec2, "describe_vpcs", "Vpcs", name)
    if found:
        return found[0]["VpcId"]
    vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=_tag_spec(session, "vpc", name))["Vpc"]["VpcId"]
    ec2.get_waiter("vpc_available").wait(VpcIds=[vpc_id])
    # Cloud Map's private DNS names (catalog.bookshop.local) need both.
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    return vpc_id


def ensure_internet_route(ec2, session, vpc_id: str) -> str:
    """An internet gateway and the route table that sends 0.0.0.0/0 to it; returns the route table's id."""
    name = session.name("public")
    gateways = _named(ec2, "describe_internet_gateways", "InternetGateways", name)
    if gateways:
        gateway_id = gateways[0]["InternetGatewayId"]
    else:
        gateway_id = ec2.create_internet_gateway(
            TagSpecifications=_tag_spec(session, "internet-gateway", name))["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
    tables = _named(ec2, "describe_route_tables", "RouteTables", name, **{"vpc-id": vpc_id})
    if tables:
        return tables[0]["RouteTableId"]
    table_id = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tag_spec(session, "route-table", name))[
        "RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
    return table_id


def ensure_subnets(ec2, session, vpc_id: str, route_table_id: str) -> list[str]:
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]][:len(SUBNET_CIDRS)]
    subnet_ids = []
    for index, (zone, cidr) in enumerate(zip(zones, SUBNET_CIDRS), start=1):
        name = session.name("public", str(index))
        found = _named(ec2, "describe_subnets", "Subnets", name, **{"vpc-id": vpc_id})
        if found:
            subnet_ids.append(found[0]["SubnetId"])
            continue
        subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone,
                                      TagSpecifications=_tag_spec(session, "subnet", name))["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
        ec2.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)
        subnet_ids.append(subnet_id)
    return subnet_ids


def authorize_ingress(ec2, group_id: str, permission: dict) -> None:
    """Add one ingress permission; one the group already has is fine (a second run)."""
    try:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
    except ec2.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "InvalidPermission.Duplicate":
            raise


def ensure_security_group(ec2, session, vpc_id: str, suffix: str, description: str, ingress: dict | None = None) -> str:
    name = session.name(suffix)
    found = _named(ec2, "describe_security_groups", "SecurityGroups", name, **{"vpc-id": vpc_id})
    if found:
        group_id = found[0]["GroupId"]
    else:
        group_id = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id,
                                             TagSpecifications=_tag_spec(session, "security-group", name))["GroupId"]
    if ingress:
        authorize_ingress(ec2, group_id, ingress)
    return group_id


def allow_tasks_group_within_itself(ec2, group_id: str) -> None:
    """The services' port open to members of the tasks' security group: orders (and module 06's function, which
    runs in this group) reach catalog's tasks directly by its Cloud Map name, not through the load balancer."""
    authorize_ingress(ec2, group_id, {"IpProtocol": "tcp", "FromPort": SERVICE_PORT, "ToPort": SERVICE_PORT,
                                      "UserIdGroupPairs": [{"GroupId": group_id}]})


def limit_http_ingress(ec2, group_id: str, cidr: str) -> None:
    """Port 80 of the load balancer's group open to `cidr` only: add it, revoke any other range on port 80."""
    authorize_ingress(ec2, group_id, {"IpProtocol": "tcp", "FromPort": HTTP_PORT, "ToPort": HTTP_PORT,
                                      "IpRanges": [{"CidrIp": cidr}]})
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    others = [r for p in group.get("IpPermissions", []) if p.get("FromPort") == HTTP_PORT
              for r in p.get("IpRanges", []) if r["CidrIp"] != cidr]
    if others:
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": HTTP_PORT, "ToPort": HTTP_PORT,
            "IpRanges": [{"CidrIp": r["CidrIp"]} for r in others]}])


def learner_cidr(timeout: float = 5.0) -> str:
    """This machine's address as AWS sees it, as a /32: what the load balancer's `source-ip` rules and security
    group may admit. The AWS API on this machine (the local cloud) sees it as 127.0.0.1."""
    if override := os.environ.get(LEARNER_CIDR_VARIABLE):
        return str(ipaddress.ip_network(override, strict=False))
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        return "127.0.0.1/32"
    address = httpx.get(CHECK_IP_URL, timeout=timeout).raise_for_status().text.strip()
    return f"{ipaddress.ip_address(address)}/32"


def ensure_network(ec2, session, load_balancer_cidr: str = ANYWHERE) -> Network:
    """The VPC, subnets, route and both security groups; `load_balancer_cidr` limits who may reach the load
    balancer (e.g. `learner_cidr()`: only you); the default keeps port 80 open, as the workshop needs."""
    vpc_id = ensure_vpc(ec2, session)
    route_table_id = ensure_internet_route(ec2, session, vpc_id)
    subnet_ids = ensure_subnets(ec2, session, vpc_id, route_table_id)
    load_balancer_group = ensure_security_group(ec2, session, vpc_id, "alb",
                                                "HTTP to the workshop's load balancer")
    limit_http_ingress(ec2, load_balancer_group, str(ipaddress.ip_network(load_balancer_cidr, strict=False)))
    tasks_group = ensure_security_group(
        ec2, session, vpc_id, "tasks", "The services' port, from the load balancer and from the services",
        {"IpProtocol": "tcp", "FromPort": SERVICE_PORT, "ToPort": SERVICE_PORT,
         "UserIdGroupPairs": [{"GroupId": load_balancer_group}]})
    allow_tasks_group_within_itself(ec2, tasks_group)
    return Network(vpc_id, subnet_ids, load_balancer_group, tasks_group)
