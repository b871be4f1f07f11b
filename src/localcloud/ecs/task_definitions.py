"""Task definition rules AWS applies and moto does not."""
from moto.ecs.exceptions import EcsClientException


def check_awsvpc_port_mappings(network_mode: str | None, container_definitions: list[dict]) -> None:
    """"If you use containers in a task with the awsvpc or host network mode, the hostPort can either be left blank or
    set to the same value as the containerPort." (moto accepts any hostPort.)
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html"""
    if network_mode != "awsvpc":
        return
    for container in container_definitions or []:
        for mapping in container.get("portMappings") or []:
            if mapping.get("hostPort") not in (None, 0, mapping.get("containerPort")):
                raise EcsClientException("When networkMode=awsvpc, the host ports and container ports in port "
                                         "mappings must match.")


def families(backend, prefix: str | None, status: str) -> list[str]:
    """A family is ACTIVE while one of its revisions is, INACTIVE once all are deregistered (moto lists every family
    whatever the status).
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitionFamilies.html"""
    def active(family: str) -> bool:
        return any(d.status == "ACTIVE" for d in backend.task_definitions[family].values())
    return [family for family in backend.list_task_definition_families(prefix)
            if status == "ALL" or active(family) == (status == "ACTIVE")]
