"""Which listener rule a request matches, and what its action says to do: pure functions over moto's rule data.

A rule's conditions are ANDed; the values inside one condition are ORed. Wildcards `*` (any run of characters)
and `?` (exactly one) work in path patterns, host names, header values and query strings, as on an ALB.
"""
import dataclasses
import functools
import ipaddress
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl

# An ALB runs the last action of a rule (by Order); authenticate-* actions before it need an identity provider.
TERMINAL_ACTIONS = ("forward", "fixed-response", "redirect")


@dataclasses.dataclass(frozen=True)
class RequestFacts:
    """What rule conditions look at in one request."""
    method: str
    path: str
    query: str
    host: str
    headers: dict[str, str]  # lower-case names
    source_ip: str


@functools.lru_cache(maxsize=1024)
def wildcard_regex(pattern: str, ignore_case: bool) -> re.Pattern:
    parts = ("." if char == "?" else ".*" if char == "*" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, ignore_case: bool = True) -> bool:
    return wildcard_regex(pattern, ignore_case).fullmatch(value) is not None


def condition_values(condition: dict, config_key: str) -> list:
    """A condition's values, from its typed config (`PathPatternConfig`…) or the legacy `Values` list."""
    config = condition.get(config_key) or {}
    return list(config.get("Values") or condition.get("Values") or [])


def host_without_port(host: str) -> str:
    if host.startswith("["):  # an IPv6 literal keeps its colons
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def condition_matches(condition: dict, facts: RequestFacts) -> bool:
    field = condition.get("Field")
    if field == "path-pattern":
        return any(wildcard_match(p, facts.path, ignore_case=False)
                   for p in condition_values(condition, "PathPatternConfig"))
    if field == "host-header":
        host = host_without_port(facts.host)
        return any(wildcard_match(p, host) for p in condition_values(condition, "HostHeaderConfig"))
    if field == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        value = facts.headers.get(str(config.get("HttpHeaderName", "")).lower())
        return value is not None and any(wildcard_match(p, value) for p in config.get("Values") or [])
    if field == "http-request-method":
        return facts.method in condition_values(condition, "HttpRequestMethodConfig")
    if field == "query-string":
        pairs = parse_qsl(facts.query, keep_blank_values=True)
        return any(_query_pair_matches(wanted, pairs)
                   for wanted in (condition.get("QueryStringConfig") or {}).get("Values") or [])
    if field == "source-ip":
        return any(_in_network(facts.source_ip, cidr) for cidr in condition_values(condition, "SourceIpConfig"))
    return False


def _query_pair_matches(wanted: dict, pairs: list[tuple[str, str]]) -> bool:
    key, value = wanted.get("Key"), wanted.get("Value", "")
    return any((key is None or wildcard_match(key, k)) and wildcard_match(value, v) for k, v in pairs)


def _in_network(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def rule_matches(conditions: Iterable[dict], facts: RequestFacts) -> bool:
    return all(condition_matches(condition, facts) for condition in conditions)


def rule_priority(rule) -> float:
    """Lowest number first; the default rule (priority "default") last."""
    return float("inf") if rule.is_default else int(rule.priority)


def matching_rule(rules: Iterable, facts: RequestFacts):
    """The first rule, by priority, whose conditions all hold; the default rule matches everything."""
    for rule in sorted(rules, key=rule_priority):
        if rule.is_default or rule_matches(rule.conditions or [], facts):
            return rule
    return None


def terminal_action(actions: Sequence) -> dict | None:
    """The action that answers the request (forward, fixed-response or redirect), as moto stores its data."""
    ordered = sorted((a.data for a in actions), key=lambda data: int(data.get("Order") or 0))
    return next((data for data in reversed(ordered) if data.get("Type") in TERMINAL_ACTIONS), None)


def forward_weights(action: dict) -> list[tuple[str, int]]:
    """(target group ARN, weight) pairs of a forward action, in either of its two shapes."""
    if action.get("TargetGroupArn"):
        return [(action["TargetGroupArn"], 1)]
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
    return [(group["TargetGroupArn"], int(group.get("Weight", 1))) for group in groups]


def smooth_weighted_pick(current: list[int], weights: Sequence[int]) -> int | None:
    """Index of the next pick, spreading picks evenly in proportion to weights; `current` carries the state."""
    total = sum(weights)
    if total <= 0:
        return None
    for index, weight in enumerate(weights):
        current[index] += weight
    best = max(range(len(weights)), key=lambda index: current[index])
    current[best] -= total
    return best


def redirect_location(config: dict, scheme: str, host: str, port: int, path: str, query: str) -> str:
    """The Location of a redirect action: its parts, with #{protocol} #{host} #{port} #{path} #{query} filled in."""
    values = {"protocol": scheme.upper(), "host": host, "port": str(port), "path": path.lstrip("/"), "query": query}

    def fill(template: str) -> str:
        for name, value in values.items():
            template = template.replace("#{" + name + "}", value)
        return template

    new_scheme = fill(config.get("Protocol") or "#{protocol}").lower()
    new_host = fill(config.get("Host") or "#{host}")
    new_port = fill(config.get("Port") or "#{port}")
    new_path = fill(config.get("Path") or "/#{path}")
    new_query = fill(config.get("Query") or "#{query}")
    default_port = {"http": "80", "https": "443"}.get(new_scheme)
    authority = new_host if new_port == default_port else f"{new_host}:{new_port}"
    return f"{new_scheme}://{authority}{new_path}" + (f"?{new_query}" if new_query else "")


def redirect_status(config: dict) -> int:
    return 301 if config.get("StatusCode") == "HTTP_301" else 302
