"""The architecture of what runs right now, read from the AWS APIs — not a static picture.

`read_state(session)` asks API Gateway, ELBv2, ECS, Lambda, SNS and SQS what exists under the learner's prefix;
`draw(state)` turns it into a figure: APIs and their routes, the load balancer's rules, the ECS services with
running/desired tasks, the Lambda functions, and the messaging between them. Plain boto3, so it draws a real
account the same way.
"""
from dataclasses import dataclass, field

from workshop.architecture import _arrow, _box


@dataclass
class LiveState:
    prefix: str
    apis: dict[str, list[str]] = field(default_factory=dict)          # API name → its routes
    rules: list[tuple[str, str]] = field(default_factory=list)        # (path pattern, service it forwards to)
    services: dict[str, str] = field(default_factory=dict)           # service → "running/desired"
    functions: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    queues: dict[str, list[str]] = field(default_factory=dict)       # queue → functions it feeds

    @property
    def empty(self) -> bool:
        return not (self.apis or self.rules or self.services or self.functions or self.topics or self.queues)


def read_state(session) -> LiveState:
    state = LiveState(prefix=session.prefix)
    v2 = session.client("apigatewayv2")
    for api in v2.get_apis()["Items"]:
        if session.owns(api["Name"]):
            state.apis[api["Name"]] = [r["RouteKey"] for r in v2.get_routes(ApiId=api["ApiId"])["Items"]]
    elbv2 = session.client("elbv2")
    groups = {g["TargetGroupArn"]: g["TargetGroupName"].removeprefix(session.prefix + "-")
              for g in elbv2.describe_target_groups()["TargetGroups"] if session.owns(g["TargetGroupName"])}
    for balancer in elbv2.describe_load_balancers()["LoadBalancers"]:
        if not session.owns(balancer["LoadBalancerName"]):
            continue
        for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
            for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                if any(c["Field"] == "source-ip" for c in rule["Conditions"]):
                    continue  # the fault switches' private routes (module 05): not the bookshop's routing
                paths = [v for c in rule["Conditions"] if c["Field"] == "path-pattern"
                         for v in c.get("PathPatternConfig", {}).get("Values") or c.get("Values", [])]
                for action in rule["Actions"]:
                    targets = [t["TargetGroupArn"] for t in action.get("ForwardConfig", {}).get("TargetGroups", [])
                               if t.get("Weight", 1)] or [action.get("TargetGroupArn")]
                    for arn in targets:
                        if arn in groups:
                            state.rules.append((", ".join(paths) or "default", groups[arn]))
    ecs = session.client("ecs")
    try:
        arns = ecs.list_services(cluster=session.prefix)["serviceArns"]
        described = ecs.describe_services(cluster=session.prefix, services=arns)["services"] if arns else []
    except ecs.exceptions.ClusterNotFoundException:
        described = []
    for service in described:
        if service["status"] == "ACTIVE":
            state.services[service["serviceName"]] = f"{service['runningCount']}/{service['desiredCount']} tasks"
    lambda_ = session.client("lambda")
    state.functions = [f["FunctionName"] for f in lambda_.list_functions()["Functions"] if session.owns(f["FunctionName"])]
    state.topics = [t["TopicArn"].rsplit(":", 1)[-1] for t in session.client("sns").list_topics()["Topics"]
                    if session.owns(t["TopicArn"].rsplit(":", 1)[-1])]
    for url in session.client("sqs").list_queues(QueueNamePrefix=session.prefix + "-").get("QueueUrls", []):
        state.queues[url.rsplit("/", 1)[-1]] = []
    for function in state.functions:
        for mapping in lambda_.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
            queue = mapping["EventSourceArn"].rsplit(":", 1)[-1]
            state.queues.setdefault(queue, []).append(function)
    return state


def draw(state_or_session):
    """A figure of what runs now; a session is read first."""
    import matplotlib.pyplot as plt

    state = state_or_session if isinstance(state_or_session, LiveState) else read_state(state_or_session)
    figure, axis = plt.subplots(figsize=(12, 5.2))
    axis.set_xlim(0, 16)
    axis.set_ylim(0, 7)
    axis.axis("off")
    axis.set_title(f"what runs now under the prefix {state.prefix!r}", fontsize=11)
    if state.empty:
        axis.text(8, 3.5, "nothing of the workshop runs yet — modules 04–07 fill this picture in",
                  ha="center", fontsize=11, color="#555555")
        return figure
    _box(axis, 0.2, 3.0, 1.6, 1.0, "clients", "local")
    api_y = 5.6
    for name, routes in list(state.apis.items())[:2]:
        _box(axis, 2.4, api_y - 0.3, 3.4, 1.1, f"API Gateway {name}\n" + ", ".join(routes[:4])[:60], "network", size=7.5)
        _arrow(axis, (1.8, 3.8), (2.4, api_y + 0.2))
        api_y -= 1.3
    balancer_x = 6.4
    rules_text = "\n".join(f"{path} → {service}" for path, service in state.rules[:5]) or "no rules"
    _box(axis, balancer_x, 1.9, 3.0, 2.4, "load balancer\n" + rules_text, "network", size=7.5)
    _arrow(axis, (1.8, 3.4), (balancer_x, 3.1), "HTTP")
    for index, (service, tasks) in enumerate(list(state.services.items())[:4]):
        y = 5.4 - index * 1.25
        _box(axis, 10.2, y, 2.6, 0.9, f"ECS {service}\n{tasks}", "compute", size=8)
        if any(target == service for _, target in state.rules):
            _arrow(axis, (balancer_x + 3.0, 3.1), (10.2, y + 0.45))
    for index, function in enumerate(state.functions[:3]):
        y = 5.6 - index * 1.0
        _box(axis, 13.4, y, 2.4, 0.8, f"λ {function.removeprefix(state.prefix + '-')}", "compute", size=8)
    for index, topic in enumerate(state.topics[:2]):
        _box(axis, 2.4, 0.3 + index * 0.9, 3.0, 0.7, f"SNS {topic.removeprefix(state.prefix + '-')}", "messaging", size=8)
    for index, (queue, consumers) in enumerate(list(state.queues.items())[:2]):
        _box(axis, 6.4, 0.3 + index * 0.9, 3.0, 0.7, f"SQS {queue.removeprefix(state.prefix + '-')}", "messaging", size=8)
        if state.topics:
            _arrow(axis, (5.4, 0.65), (6.4, 0.65 + index * 0.9))
        for consumer in consumers:
            if consumer in state.functions[:3]:
                y = 5.6 - state.functions.index(consumer) * 1.0
                _arrow(axis, (9.4, 0.65 + index * 0.9), (13.4, y + 0.4), "event source mapping", curve=0.15)
    return figure
