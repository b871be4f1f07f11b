"""Cloud Map service discovery for ECS services: the DNS names a service's tasks are reached at inside the VPC.

A service created with `serviceRegistries=[{"registryArn": <Cloud Map service>}]` has its tasks registered in a
private DNS namespace, so other tasks reach it at `<service>.<namespace>` (e.g. `catalog.bookshop.local`). Here
that name is a network alias of the service's relay (`cloud_map.py`), which lets a caller through to a task only
where the task's security groups admit it.
"""
import logging

log = logging.getLogger(__name__)


def service_dns_names(cloud, service) -> list[str]:
    """`<Cloud Map service>.<namespace>` for each of the ECS service's registries."""
    if not service.service_registries:
        return []
    discovery = cloud.backend("servicediscovery")
    names = []
    for registry in service.service_registries:
        arn = registry.get("registryArn", "")
        entry = next((s for s in list(discovery.services.values()) if s.arn == arn), None)
        if entry is None:
            log.warning("service %s: its registry %s is not a Cloud Map service; no DNS name", service.name, arn)
            continue
        namespace = discovery.namespaces.get(entry.namespace_id)
        if namespace is not None:
            names.append(f"{entry.name}.{namespace.name}")
    return names
