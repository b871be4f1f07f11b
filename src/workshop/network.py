"""The network AWS needs before a load balancer and Fargate tasks can exist, created the same way in both modes.

One VPC with two public subnets in two Availability Zones (a load balancer needs two), an internet gateway and a
route to it (Fargate tasks pull from ECR through it: no NAT gateway, which would cost money by the hour), and two
security groups: the load balancer's (port 80 open) and the tasks' (port 8000 open to the load balancer only).
`ensure_network(session)` finds what an earlier run made by its Name tag, so it is safe to run again.
"""
from dataclasses import dataclass

VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.1.0/24", "10.42.2.0/24")
SERVICE_PORT = 8000


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


def ensure_security_group(ec2, session, vpc_id: str, suffix: str, description: str, ingress: dict) -> str:
    name = session.name(suffix)
    found = _named(ec2, "describe_security_groups", "SecurityGroups", name, **{"vpc-id": vpc_id})
    if found:
        return found[0]["GroupId"]
    group_id = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id,
                                         TagSpecifications=_tag_spec(session, "security-group", name))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[ingress])
    return group_id


def ensure_network(ec2, session) -> Network:
    vpc_id = ensure_vpc(ec2, session)
    route_table_id = ensure_internet_route(ec2, session, vpc_id)
    subnet_ids = ensure_subnets(ec2, session, vpc_id, route_table_id)
    load_balancer_group = ensure_security_group(
        ec2, session, vpc_id, "alb", "HTTP from anywhere to the workshop's load balancer",
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    tasks_group = ensure_security_group(
        ec2, session, vpc_id, "tasks", "The services' port, from the workshop's load balancer only",
        {"IpProtocol": "tcp", "FromPort": SERVICE_PORT, "ToPort": SERVICE_PORT,
         "UserIdGroupPairs": [{"GroupId": load_balancer_group}]})
    return Network(vpc_id, subnet_ids, load_balancer_group, tasks_group)
