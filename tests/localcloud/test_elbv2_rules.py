"""Rule matching, weights, redirects and health states of the ELBv2 data plane, without sockets or containers."""
import asyncio
import collections
from types import SimpleNamespace

import pytest

from localcloud.elbv2 import health, listeners, rules, wire
from localcloud.elbv2.health import CheckResult, TargetHealth


def facts(path="/", query="", host="127.0.0.1:8000", method="GET", headers=None, source_ip="127.0.0.1"):
    return rules.RequestFacts(method, path, query, host, headers or {}, source_ip)


def rule(priority, *conditions, default=False):
    return SimpleNamespace(priority="default" if default else str(priority), is_default=default,
                           conditions=list(conditions), arn=f"rule-{priority}")


def path(*values):
    return {"Field": "path-pattern", "PathPatternConfig": {"Values": list(values)}}


@pytest.mark.parametrize("pattern, value, expected", [
    ("/api/*", "/api/orders/1", True), ("/api/*", "/api", False), ("/img/?.png", "/img/a.png", True),
    ("/img/?.png", "/img/ab.png", False), ("/exact", "/exact", True), ("/Exact", "/exact", False),
    ("*.json", "/a/b.json", True), ("/a+b", "/a+b", True),
])
def test_path_patterns_use_star_and_question_mark_case_sensitively(pattern, value, expected):
    assert rules.condition_matches(path(pattern), facts(path=value)) is expected


def test_host_header_ignores_case_and_port():
    condition = {"Field": "host-header", "HostHeaderConfig": {"Values": ["*.Example.com"]}}
    assert rules.condition_matches(condition, facts(host="api.example.COM:8080"))
    assert not rules.condition_matches(condition, facts(host="example.org"))


def test_legacy_values_work_like_the_typed_config():
    assert rules.condition_matches({"Field": "path-pattern", "Values": ["/v1/*"]}, facts(path="/v1/x"))


def test_http_header_query_string_method_and_source_ip_conditions():
    header = {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "Values": ["*Mobile*"]}}
    assert rules.condition_matches(header, facts(headers={"user-agent": "Foo Mobile Safari"}))
    assert not rules.condition_matches(header, facts(headers={}))
    query = {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "version", "Value": "v2"},
                                                                       {"Value": "beta"}]}}
    assert rules.condition_matches(query, facts(query="a=1&version=v2"))
    assert rules.condition_matches(query, facts(query="channel=beta"))
    assert not rules.condition_matches(query, facts(query="version=v1"))
    method = {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST", "PUT"]}}
    assert rules.condition_matches(method, facts(method="PUT"))
    assert not rules.condition_matches(method, facts(method="GET"))
    source = {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}
    assert rules.condition_matches(source, facts(source_ip="10.2.3.4"))
    assert not rules.condition_matches(source, facts(source_ip="127.0.0.1"))


def test_conditions_of_a_rule_are_all_needed():
    method = {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}}
    assert rules.rule_matches([path("/orders"), method], facts(path="/orders", method="POST"))
    assert not rules.rule_matches([path("/orders"), method], facts(path="/orders", method="GET"))


def test_the_lowest_priority_number_wins_and_the_default_rule_catches_the_rest():
    candidates = [rule(0, default=True), rule(20, path("/api/*")), rule(10, path("/api/orders*")), rule(5, path("/x"))]
    assert rules.matching_rule(candidates, facts(path="/api/orders/1")).priority == "10"
    assert rules.matching_rule(candidates, facts(path="/api/users")).priority == "20"
    assert rules.matching_rule(candidates, facts(path="/elsewhere")).is_default


def test_the_terminal_action_is_the_last_by_order():
    actions = [SimpleNamespace(data={"Type": "forward", "TargetGroupArn": "tg", "Order": 2}),
               SimpleNamespace(data={"Type": "authenticate-oidc", "Order": 1})]
    assert rules.terminal_action(actions)["Type"] == "forward"


def test_forward_weights_read_both_shapes():
    assert rules.forward_weights({"Type": "forward", "TargetGroupArn": "a"}) == [("a", 1)]
    assert rules.forward_weights({"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": "a", "Weight": 3}, {"TargetGroupArn": "b", "Weight": 0}]}}) == [("a", 3), ("b", 0)]


def test_weighted_picks_follow_the_weights_evenly():
    state, weights = [0, 0, 0], [5, 1, 0]
    picks = [rules.smooth_weighted_pick(state, weights) for _ in range(12)]
    assert collections.Counter(picks) == {0: 10, 1: 2}
    assert picks[:6].count(1) == 1  # spread out, not bunched
    assert rules.smooth_weighted_pick([0], [0]) is None


def test_redirect_fills_in_the_request_parts_and_drops_default_ports():
    config = {"Protocol": "HTTP", "Port": "#{port}", "Path": "/v2/#{path}", "StatusCode": "HTTP_301"}
    assert rules.redirect_location(config, "http", "127.0.0.1", 41000, "/a/b", "x=1") == \
        "http://127.0.0.1:41000/v2/a/b?x=1"
    assert rules.redirect_location({"Host": "example.com", "Port": "80"}, "http", "h", 41000, "/p", "") == \
        "http://example.com/p"
    assert rules.redirect_status(config) == 301 and rules.redirect_status({}) == 302


def test_primary_listener_is_port_80_else_the_first_http_one():
    def listener(port, protocol="HTTP"):
        return SimpleNamespace(port=port, protocol=protocol, arn=f"l-{port}")
    balancer = SimpleNamespace(listeners={"a": listener(8080), "b": listener(80)})
    assert listeners.primary_listener(balancer).port == 80
    balancer = SimpleNamespace(listeners={"a": listener(9000, "TCP"), "b": listener(8080)})
    assert listeners.primary_listener(balancer).port == 8080
    assert listeners.load_balancer_arn_of("arn:aws:elasticloadbalancing:r:1:listener/app/web/abc/def") == \
        "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/web/abc"


# --- health states --------------------------------------------------------------------------------------------------
PASS, FAIL = CheckResult(True), CheckResult(False, "Target.Timeout", "Request timed out")


def test_a_new_target_is_healthy_after_one_passing_check():
    record = TargetHealth()
    assert (record.state, record.reason) == ("initial", "Elb.InitialHealthChecking")
    record.observe(PASS, healthy_threshold=5, unhealthy_threshold=2)
    assert (record.state, record.reason) == ("healthy", None)


def test_thresholds_count_results_in_a_row():
    record = TargetHealth()
    record.observe(PASS, 3, 2)
    record.observe(FAIL, 3, 2)
    record.observe(PASS, 3, 2)
    record.observe(FAIL, 3, 2)
    assert record.state == "healthy"
    record.observe(FAIL, 3, 2)
    assert (record.state, record.reason, record.description) == ("unhealthy", "Target.Timeout", "Request timed out")
    record.observe(PASS, 3, 2)
    record.observe(PASS, 3, 2)
    assert record.state == "unhealthy"
    record.observe(PASS, 3, 2)
    assert record.state == "healthy"


def test_a_new_target_failing_turns_unhealthy_at_the_threshold():
    record = TargetHealth()
    record.observe(FAIL, 5, 3)
    record.observe(FAIL, 5, 3)
    assert record.state == "initial"
    record.observe(FAIL, 5, 3)
    assert record.state == "unhealthy"


def test_a_draining_target_ignores_checks():
    record = TargetHealth()
    record.drain(until=10.0)
    record.observe(PASS, 1, 1)
    assert (record.state, record.reason) == ("draining", "Target.DeregistrationInProgress")


@pytest.mark.parametrize("codes, status, expected", [
    ("200", 200, True), ("200", 204, False), ("200-299", 204, True), ("200,302", 302, True),
    ("200,300-310", 305, True), ("200,300-310", 301 + 10, False)])
def test_matcher_codes(codes, status, expected):
    assert health.status_matcher(codes)(status) is expected


# --- HTTP messages --------------------------------------------------------------------------------------------------
def read(data: bytes, reader_of):
    async def run():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await reader_of(reader)
    return asyncio.run(run())


def test_a_chunked_response_is_read_whole_and_not_reused_after_connection_close():
    response = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", lambda r: wire.read_response(r, "GET"))
    assert (response.start[1], response.body, response.reusable) == ("200", b"hello world", False)
    assert response.headers_for_proxy() == []


def test_a_response_without_length_runs_to_the_end_of_the_connection():
    response = read(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it",
                    lambda r: wire.read_response(r, "GET"))
    assert (response.body, response.reusable) == (b"all of it", False)


def test_garbage_from_a_target_is_malformed():
    with pytest.raises(wire.MalformedMessage):
        read(b"SSH-2.0-OpenSSH\r\nno\r\n\r\n", lambda r: wire.read_response(r, "GET"))


def test_encoded_responses_carry_their_length_and_connection():
    encoded = wire.encode_response(404, "", [("Content-Type", "text/plain")], b"nope", keep_alive=False)
    assert encoded == (b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
                       b"Connection: close\r\n\r\nnope")
