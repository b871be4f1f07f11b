"""The awsvpc network configuration of a task or service, completed as AWS completes it."""
from moto.ec2 import ec2_backends
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ecs.exceptions import InvalidParameterException


def with_default_security_group(backend, network_configuration: dict | None) -> dict | None:
    """The configuration with the VPC's default security group when it names none (moto reads
    `awsvpcConfiguration["securityGroups"]`: KeyError, a 500). "If you don't specify a security group, the default
    security group for the VPC is used":
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html"""
    configuration = (network_configuration or {}).get("awsvpcConfiguration")
    if configuration is None:
        return network_configuration
    subnets = configuration.get("subnets") or []
    if not subnets:
        raise InvalidParameterException("subnets can not be empty.")
    if configuration.get("securityGroups"):
        return network_configuration
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    try:
        vpc_id = ec2.get_subnet(subnets[0]).vpc_id
    except InvalidSubnetIdError as error:
        raise InvalidParameterException(
            f"Error retrieving subnet information for [{subnets[0]}]: {error.message} "
            f"(ErrorCode: {error.code})") from None
    configuration = {**configuration, "securityGroups": [ec2.get_default_security_group(vpc_id).id]}
    return {**network_configuration, "awsvpcConfiguration": configuration}
