"""Two faults inside moto's own RunTask/StartTask code, which no handler reaches: fixed on the cloud's backend
instances (attributes of those objects only, never of moto's classes), so other accounts, regions and plain
`mock_aws` users keep moto as it is.

A reset of moto makes new backends without these attributes; `prepare` runs before every launch and sets them again.
"""
import functools
import threading

from moto.ec2 import ec2_backends

# Marks a backend instance already prepared (its own attribute, gone with the instance at a reset).
_PREPARED = "_localcloud_launch_fixes"
_lock = threading.Lock()


def prepare(backend) -> None:
    """Make the cloud's ECS backend (and its account's EC2 backend in that region) launch tasks without a 500."""
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    with _lock:
        if not vars(backend).get(_PREPARED):
            backend._calculate_task_resource_requirements = task_resource_requirements
            setattr(backend, _PREPARED, True)
        if not vars(ec2).get(_PREPARED):
            ec2.create_network_interface = _with_private_dns_name(ec2.create_network_interface)
            setattr(ec2, _PREPARED, True)


def task_resource_requirements(task_definition) -> dict:
    """What a task needs of a container instance. moto adds up every container's memory, and a container without
    one (memory given at task level, as Fargate allows) is a TypeError; here the task's memory stands in."""
    needs = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    for definition in task_definition.container_definitions:
        needs["CPU"] += int(definition.get("cpu") or 0)
        needs["MEMORY"] += int(definition.get("memory") or definition.get("memoryReservation") or 0)
        needs["PORTS"] += [m["hostPort"] for m in definition.get("portMappings", []) if "hostPort" in m]
    needs["MEMORY"] = needs["MEMORY"] or int(task_definition.memory or 0)
    return needs


def _with_private_dns_name(create_network_interface):
    # moto sets an ENI's private_dns_name only when its VPC has DNS hostnames on, and its ECS task reads it at once
    # (AttributeError, a 500, for an awsvpc task in any new VPC): the ENI has none, as before.
    @functools.wraps(create_network_interface)
    def create(*args, **kwargs):
        eni = create_network_interface(*args, **kwargs)
        if not hasattr(eni, "private_dns_name"):
            eni.private_dns_name = None
        return eni
    return create
