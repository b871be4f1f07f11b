"""Access log lines without a cloud: how a stage's format is filled in, and where its destination points."""
from localcloud.apigateway.access_log import log_group_of, render


def test_variables_are_filled_in_and_unknown_or_empty_ones_are_a_dash():
    variables = {"status": 200, "identity.sourceIp": "10.0.0.1", "error.message": None, "routeKey": ""}
    line = render("$context.identity.sourceIp $context.status. $context.error.message $context.routeKey "
                  "$context.noSuch $context", variables)
    assert line == "10.0.0.1 200. - - - $context"


def test_the_log_group_is_read_from_the_destination_arn():
    assert log_group_of("arn:aws:logs:us-east-1:123456789012:log-group:/api/access") == "/api/access"
    assert log_group_of("arn:aws:logs:us-east-1:123456789012:log-group:/api/access:*") == "/api/access"
    assert log_group_of("not-an-arn") is None and log_group_of(None) is None
