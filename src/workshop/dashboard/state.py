"""What runs, read from the AWS APIs into plain dataclasses: services, their tasks, a load balancer's rules and
target health.

Only boto3 calls (`ecs`, `elbv2`), so the same functions read a real account and the local cloud:

    snapshot = read_snapshot(ecs, elbv2, cluster="shop", load_balancer="shop")
    tasks_table(snapshot)

A task's version is the `APP_VERSION` its container runs with (task overrides, then the task definition's
environment), else its image tag, else the task definition's family:revision.
"""
import datetime
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from workshop.tables import Table

VERSION_VARIABLE = "APP_VERSION"
# Stopped tasks stay listed for an hour on AWS; the tasks table shows only the latest few, to see replacements.
STOPPED_SHOWN = 5
# A stopped task has no running container left to check: DescribeTasks reports its health as UNKNOWN.
STOPPED_HEALTH = "UNKNOWN"


@dataclass(frozen=True)
class TaskState:
    arn: str
    service: str | None          # from the task's group "service:<name>"; None for a task run on its own
    last_status: str             # PROVISIONING, PENDING, RUNNING, STOPPING, STOPPED …
    desired_status: str
    health: str                  # HEALTHY, UNHEALTHY or UNKNOWN (no container health check, or stopped)
    version: str
    task_definition: str         # family:revision
    private_ip: str | None
    started_at: datetime.datetime | None
    stopped_reason: str | None = None
    stopped_at: datetime.datetime | None = None

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ServiceState:
    name: str
    status: str
    desired: int
    running: int
    pending: int
    version: str                 # of the primary deployment's task definition
    task_definition: str
    deployments: int             # more than one while a rolling deployment replaces tasks
    rollout: str | None          # the primary deployment's rolloutState (IN_PROGRESS, COMPLETED …)
    target_groups: tuple[str, ...] = ()
    last_event: str | None = None


@dataclass(frozen=True)
class RuleState:
    listener_port: int
    priority: str                # "1", "2" … or "default"
    conditions: str
    action: str


@dataclass(frozen=True)
class TargetState:
    target_group: str
    target: str                  # IP address or instance id
    port: int | None
    state: str                   # initial, healthy, unhealthy, draining, unused, unavailable
    reason: str | None
    task_id: str | None = None   # the task whose address this is, when known


@dataclass(frozen=True)
class Snapshot:
    cluster: str
    taken_at: datetime.datetime
    services: list[ServiceState] = field(default_factory=list)
    tasks: list[TaskState] = field(default_factory=list)
    rules: list[RuleState] = field(default_factory=list)
    targets: list[TargetState] = field(default_factory=list)
    load_balancer_dns: str | None = None

    def tasks_of(self, service: str) -> list[TaskState]:
        return [t for t in self.tasks if t.service == service]


class TaskDefinitions:
    """Task definitions by ARN, each described once: a revision never changes."""

    def __init__(self, ecs):
        self.ecs = ecs
        self._known: dict[str, dict] = {}

    def get(self, arn: str) -> dict:
        if arn not in self._known:
            try:
                self._known[arn] = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            except ClientError:
                # A deleted revision still names its tasks' version as family:revision; the rest of the view stays.
                self._known[arn] = {"taskDefinitionArn": arn, "containerDefinitions": []}
        return self._known[arn]


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _paged(client, operation: str, key: str, **kwargs) -> list:
    items = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page[key])
    return items


def family_revision(task_definition_arn: str) -> str:
    return task_definition_arn.rsplit("/", 1)[-1]


def image_tag(image: str) -> str | None:
    """The tag of an image reference (`repo:tag`, `host:port/repo:tag`), None when it has none or a digest."""
    if "@" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else None


def _environment_value(environment: list[dict], name: str) -> str | None:
    return next((item["value"] for item in environment or [] if item.get("name") == name), None)


def version_of(task_definition: dict, overrides: dict | None = None) -> str:
    """APP_VERSION (overrides first), else the first container's image tag, else family:revision."""
    containers = task_definition.get("containerDefinitions", [])
    for override in (overrides or {}).get("containerOverrides", []):
        value = _environment_value(override.get("environment"), VERSION_VARIABLE)
        if value:
            return value
    for container in containers:
        value = _environment_value(container.get("environment"), VERSION_VARIABLE)
        if value:
            return value
    for container in containers:
        tag = image_tag(container.get("image", ""))
        if tag:
            return tag
    return family_revision(task_definition["taskDefinitionArn"])


def _private_ip(task: dict) -> str | None:
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address" and detail.get("value"):
                return detail["value"]
    for container in task.get("containers", []):
        for interface in container.get("networkInterfaces", []):
            if interface.get("privateIpv4Address"):
                return interface["privateIpv4Address"]
    return None


def read_services(ecs, cluster: str, definitions: TaskDefinitions | None = None) -> list[ServiceState]:
    definitions = definitions or TaskDefinitions(ecs)
    arns = _paged(ecs, "list_services", "serviceArns", cluster=cluster)
    services = []
    for chunk in _chunks(arns, 10):  # describe_services takes at most 10
        services.extend(ecs.describe_services(cluster=cluster, services=chunk)["services"])
    states = []
    for service in sorted(services, key=lambda s: s["serviceName"]):
        if service.get("status") == "INACTIVE":
            continue
        deployments = service.get("deployments", [])
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
        definition_arn = (primary or {}).get("taskDefinition") or service["taskDefinition"]
        events = service.get("events", [])
        states.append(ServiceState(
            name=service["serviceName"], status=service.get("status", "?"),
            desired=service.get("desiredCount", 0), running=service.get("runningCount", 0),
            pending=service.get("pendingCount", 0), version=version_of(definitions.get(definition_arn)),
            task_definition=family_revision(definition_arn), deployments=len(deployments),
            rollout=(primary or {}).get("rolloutState"),
            target_groups=tuple(lb["targetGroupArn"] for lb in service.get("loadBalancers", [])
                                if lb.get("targetGroupArn")),
            last_event=events[0]["message"] if events else None))
    return states


def read_tasks(ecs, cluster: str, definitions: TaskDefinitions | None = None) -> list[TaskState]:
    """Running (and starting) tasks by service, then the stopped ones, the most recently stopped first."""
    definitions = definitions or TaskDefinitions(ecs)
    arns = _paged(ecs, "list_tasks", "taskArns", cluster=cluster, desiredStatus="RUNNING")
    # One page of stopped tasks is plenty to show the latest few, however many an hour of restarts left.
    stopped = ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED", maxResults=100)["taskArns"]
    described = []
    for chunk in _chunks(list(dict.fromkeys(arns + stopped)), 100):  # describe_tasks takes at most 100
        described.extend(ecs.describe_tasks(cluster=cluster, tasks=chunk)["tasks"])
    states = [_task_state(task, definitions) for task in described]
    live = [t for t in states if t.last_status != "STOPPED"]
    ended = [t for t in states if t.last_status == "STOPPED"]
    oldest = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
    live.sort(key=lambda t: (t.service or "", t.started_at or oldest, t.arn))
    ended.sort(key=lambda t: (t.stopped_at or t.started_at or oldest, t.arn), reverse=True)
    return live + ended


def _task_state(task: dict, definitions: TaskDefinitions) -> TaskState:
    group = task.get("group") or ""
    definition = definitions.get(task["taskDefinitionArn"])
    status = task.get("lastStatus", "?")
    return TaskState(
        arn=task["taskArn"], service=group.split(":", 1)[1] if group.startswith("service:") else None,
        last_status=status, desired_status=task.get("desiredStatus", "?"),
        health=STOPPED_HEALTH if status == "STOPPED" else task.get("healthStatus", "UNKNOWN"), version=version_of(definition, task.get("overrides")),
        task_definition=family_revision(task["taskDefinitionArn"]), private_ip=_private_ip(task),
        started_at=task.get("startedAt"), stopped_reason=task.get("stoppedReason"), stopped_at=task.get("stoppedAt"))


def find_load_balancer(elbv2, name_or_arn: str) -> dict:
    """The load balancer named so (or with this ARN); raises the API's LoadBalancerNotFound otherwise."""
    if name_or_arn.startswith("arn:"):
        return elbv2.describe_load_balancers(LoadBalancerArns=[name_or_arn])["LoadBalancers"][0]
    return elbv2.describe_load_balancers(Names=[name_or_arn])["LoadBalancers"][0]


def describe_conditions(conditions: list[dict]) -> str:
    """Rule conditions as a reader writes them: `path /catalog*`, `host api.example.com`."""
    parts = []
    for condition in conditions:
        name = condition.get("Field", "?")
        config_key = {"path-pattern": "PathPatternConfig", "host-header": "HostHeaderConfig",
                      "http-request-method": "HttpRequestMethodConfig",
                      "source-ip": "SourceIpConfig"}.get(name)
        values = (condition.get(config_key) or {}).get("Values") if config_key else None
        values = values or condition.get("Values") or []
        if name == "http-header":
            header = condition.get("HttpHeaderConfig", {})
            values = [f"{header.get('HttpHeaderName')}: {v}" for v in header.get("Values", [])]
        if name == "query-string":
            values = [f"{pair.get('Key') or ''}={pair.get('Value')}"
                      for pair in condition.get("QueryStringConfig", {}).get("Values", [])]
        label = {"path-pattern": "path", "host-header": "host", "http-request-method": "method"}.get(name, name)
        parts.append(f"{label} {', '.join(values)}")
    return " and ".join(parts) or "everything else"


def describe_action(actions: list[dict], group_names: dict[str, str]) -> str:
    """A rule's actions in a few words: `forward → catalog`, `forward → blue 90 %, green 10 %`, `fixed 404`."""
    words = []
    for action in sorted(actions, key=lambda a: a.get("Order", 0)):
        kind = action.get("Type")
        if kind == "forward":
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
            if len(groups) > 1:
                total = sum(g.get("Weight", 1) for g in groups) or 1
                words.append("forward → " + ", ".join(
                    f"{group_names.get(g['TargetGroupArn'], g['TargetGroupArn'])} "
                    f"{round(100 * g.get('Weight', 1) / total)} %" for g in groups))
            else:
                arn = action.get("TargetGroupArn") or (groups[0]["TargetGroupArn"] if groups else "?")
                words.append(f"forward → {group_names.get(arn, arn)}")
        elif kind == "fixed-response":
            words.append(f"fixed {action.get('FixedResponseConfig', {}).get('StatusCode', '?')}")
        elif kind == "redirect":
            words.append(f"redirect {action.get('RedirectConfig', {}).get('StatusCode', '')}".strip())
        else:
            words.append(kind or "?")
    return "; ".join(words)


def target_group_name(arn: str) -> str:
    """`…:targetgroup/catalog/73e2d6bc24d8a067` → catalog."""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def read_rules(elbv2, load_balancer_arn: str) -> list[RuleState]:
    """Every listener's rules in the order the load balancer applies them, the default last."""
    rules = []
    for listener in sorted(_paged(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn),
                           key=lambda listener: listener.get("Port", 0)):
        listed = _paged(elbv2, "describe_rules", "Rules", ListenerArn=listener["ListenerArn"])
        # Numbered rules in priority order; the default rule ("default") applies last.
        ordered = sorted(listed, key=lambda r: (not r["Priority"].isdigit(),
                                                int(r["Priority"]) if r["Priority"].isdigit() else 0))
        for rule in ordered:
            group_arns = [a.get("TargetGroupArn") for a in rule.get("Actions", []) if a.get("TargetGroupArn")]
            names = {arn: target_group_name(arn) for arn in group_arns}
            for action in rule.get("Actions", []):
                for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
                    names[group["TargetGroupArn"]] = target_group_name(group["TargetGroupArn"])
            rules.append(RuleState(listener_port=listener.get("Port", 0), priority=rule["Priority"],
                                   conditions=describe_conditions(rule.get("Conditions", [])),
                                   action=describe_action(rule.get("Actions", []), names)))
    return rules


def read_targets(elbv2, target_group_arns: list[str], tasks: list[TaskState] = ()) -> list[TargetState]:
    """Each target of the target groups with its health; targets that are task addresses name the task."""
    task_by_ip = {t.private_ip: t.id for t in tasks if t.private_ip and t.last_status != "STOPPED"}
    targets = []
    for arn in target_group_arns:
        try:
            descriptions = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TargetGroupNotFound":
                raise
            # A service can outlive its target group (a half-done cleanup): show that, and the other groups.
            targets.append(TargetState(target_group_name(arn), "-", None, "missing", "TargetGroupNotFound"))
            continue
        for description in descriptions:
            target, health = description["Target"], description.get("TargetHealth", {})
            targets.append(TargetState(target_group=target_group_name(arn), target=target["Id"],
                                       port=target.get("Port"), state=health.get("State", "?"),
                                       reason=health.get("Reason"), task_id=task_by_ip.get(target["Id"])))
    return targets


def read_snapshot(ecs, elbv2=None, cluster: str = "default", load_balancer: str | None = None,
                  definitions: TaskDefinitions | None = None) -> Snapshot:
    """Everything the dashboard shows, read now. API errors (ClientError) are raised as they come."""
    definitions = definitions or TaskDefinitions(ecs)
    services = read_services(ecs, cluster, definitions)
    tasks = read_tasks(ecs, cluster, definitions)
    rules, targets, dns = [], [], None
    group_arns = list(dict.fromkeys(arn for s in services for arn in s.target_groups))
    if elbv2 is not None and load_balancer:
        balancer = find_load_balancer(elbv2, load_balancer)
        dns = balancer.get("DNSName")
        rules = read_rules(elbv2, balancer["LoadBalancerArn"])
        attached = _paged(elbv2, "describe_target_groups", "TargetGroups",
                          LoadBalancerArn=balancer["LoadBalancerArn"])
        group_arns = list(dict.fromkeys(group_arns + [g["TargetGroupArn"] for g in attached]))
    if elbv2 is not None:
        targets = read_targets(elbv2, group_arns, tasks)
    return Snapshot(cluster=cluster, taken_at=datetime.datetime.now(datetime.timezone.utc), services=services,
                    tasks=tasks, rules=rules, targets=targets, load_balancer_dns=dns)


# --- as tables (the plain-text view, and what the widget renders) ----------------------------------------------

def _age(started: datetime.datetime | None, now: datetime.datetime) -> str:
    if not started:
        return ""
    seconds = max((now - started).total_seconds(), 0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.0f} h"


def services_table(snapshot: Snapshot) -> Table:
    rows = [{"service": s.name, "desired": s.desired, "running": s.running, "pending": s.pending,
             "version": s.version, "task definition": s.task_definition,
             "deployments": s.deployments if s.deployments <= 1 else f"{s.deployments} (rolling)",
             "last event": (s.last_event or "")[:80]} for s in snapshot.services]
    return Table(rows, columns=["service", "desired", "running", "pending", "version", "task definition",
                                "deployments", "last event"], title=f"services in cluster {snapshot.cluster}")


def tasks_table(snapshot: Snapshot, stopped_shown: int = STOPPED_SHOWN) -> Table:
    """Every live task, then the `stopped_shown` most recently stopped and a line counting the older ones."""
    live = [t for t in snapshot.tasks if t.last_status != "STOPPED"]
    stopped = [t for t in snapshot.tasks if t.last_status == "STOPPED"]
    rows = [{"task": t.id[:12], "service": t.service or "(run-task)", "status": t.last_status,
             "desired": t.desired_status, "health": t.health, "version": t.version, "address": t.private_ip or "",
             "age": _age(t.started_at, snapshot.taken_at), "stopped because": t.stopped_reason or ""}
            for t in live + stopped[:stopped_shown]]
    if len(stopped) > stopped_shown:
        rows.append({"task": f"+{len(stopped) - stopped_shown} older stopped"})
    return Table(rows, columns=["task", "service", "status", "desired", "health", "version", "address", "age",
                                "stopped because"], title="tasks")


def rules_table(snapshot: Snapshot) -> Table:
    rows = [{"listener": r.listener_port, "priority": r.priority, "if": r.conditions, "then": r.action}
            for r in snapshot.rules]
    title = f"load balancer rules ({snapshot.load_balancer_dns})" if snapshot.load_balancer_dns else "rules"
    return Table(rows, columns=["listener", "priority", "if", "then"], title=title)


def targets_table(snapshot: Snapshot) -> Table:
    rows = [{"target group": t.target_group, "target": f"{t.target}:{t.port}" if t.port else t.target,
             "task": (t.task_id or "")[:12], "health": t.state, "reason": t.reason or ""}
            for t in snapshot.targets]
    return Table(rows, columns=["target group", "target", "task", "health", "reason"], title="target health")



class Tables(list):
    """Several tables shown one after another: HTML in Jupyter, aligned text elsewhere (papermill's saved output)."""

    def _repr_html_(self) -> str:
        return "".join(table._repr_html_() for table in self)

    def __repr__(self) -> str:
        return "\n\n".join(repr(table) for table in self)


def tables(snapshot: Snapshot) -> Tables:
    """The services and tasks tables, then rules and target health when there are any."""
    chosen = [services_table(snapshot), tasks_table(snapshot)]
    if snapshot.rules:
        chosen.append(rules_table(snapshot))
    if snapshot.targets:
        chosen.append(targets_table(snapshot))
    return Tables(chosen)
