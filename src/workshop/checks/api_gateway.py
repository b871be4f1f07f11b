"""Module 07's exercises: the route GET /recommendations/{book_id} on the HTTP API, a Lambda proxy to
recommendations; and that route's throttling on stage v1, within a budget.

`check_recommendations_route(apigatewayv2, lambda_client, api_id, endpoint, function_arn, route_id)` reads the
route and its integration back from API Gateway and the function's resource policy from Lambda, then asks the route
through the API's endpoint; `check_recommendations_throttle(apigatewayv2, api_id, settings)` reads stage v1's route
settings back. Each problem comes back as one `ExerciseIncomplete` line with the fix.
"""
import json
import time

import httpx

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check

ROUTE_KEY = "GET /recommendations/{book_id}"
SAMPLE_PATH = "/recommendations/3"
API_GATEWAY = "apigateway.amazonaws.com"
# An auto-deployed change takes a few seconds to reach AWS's edge; the local cloud serves it at once.
PROPAGATION_S = 20


@exercise_check("07.1")
def check_recommendations_route(apigatewayv2, lambda_client, api_id: str, endpoint: str, function_arn: str,
                                route_id) -> None:
    require_answer("recommendations_route", route_id)
    routes = apigatewayv2.get_routes(ApiId=api_id)["Items"]
    route = next((r for r in routes if r["RouteId"] == route_id), None)
    if route is None:
        raise ExerciseIncomplete("`recommendations_route` must be the RouteId that create_route returned "
                                 "(…[\"RouteId\"]) for a route of this API")
    problem = (route_problem(route) or integration_problem(apigatewayv2, api_id, route, function_arn)
               or permission_problem(lambda_client, function_arn, api_id))
    if problem:
        raise ExerciseIncomplete(problem)
    status, body = ask(endpoint + SAMPLE_PATH)
    problem = answer_problem(status, body)
    if problem:
        raise ExerciseIncomplete(problem)
    titles = ", ".join(book["title"] for book in body["recommendations"])
    print(f"✔ {ROUTE_KEY} → Lambda proxy (payload 2.0) → recommendations; GET {SAMPLE_PATH}: 200, {titles}")


def route_problem(route: dict) -> str | None:
    if route["RouteKey"] == ROUTE_KEY:
        return None
    if route["RouteKey"].startswith("GET /recommendations/{"):
        return (f"the route key is {route['RouteKey']!r}, but the function reads the path parameter book_id: "
                f"use {ROUTE_KEY!r}")
    return f"the route key is {route['RouteKey']!r}; it must be {ROUTE_KEY!r}"


def integration_problem(apigatewayv2, api_id: str, route: dict, function_arn: str) -> str | None:
    target = route.get("Target") or ""
    if not target.startswith("integrations/"):
        return "the route has no target: pass Target=f\"integrations/{integration_id}\" to create_route"
    integration = apigatewayv2.get_integration(ApiId=api_id, IntegrationId=target.removeprefix("integrations/"))
    if integration["IntegrationType"] != "AWS_PROXY":
        return f"the integration is {integration['IntegrationType']}; a Lambda proxy integration is AWS_PROXY"
    if not integration_names_function(integration.get("IntegrationUri", ""), function_arn):
        return (f"the integration calls {integration.get('IntegrationUri')!r}; use the recommendations function's "
                f"ARN: functions.recommendations_arn")
    if integration.get("PayloadFormatVersion") != "2.0":
        return (f"the integration's PayloadFormatVersion is {integration.get('PayloadFormatVersion')!r}; the "
                f"function reads 2.0 events: pass PayloadFormatVersion=\"2.0\"")
    return None


def integration_names_function(uri: str, function_arn: str) -> bool:
    """The function's ARN itself, or the apigateway invocation path around it."""
    return uri == function_arn or uri.endswith(f"/functions/{function_arn}/invocations")


def permission_problem(lambda_client, function_arn: str, api_id: str) -> str | None:
    """API Gateway may invoke the function only if the function's resource policy says so, for this API."""
    try:
        statements = json.loads(lambda_client.get_policy(FunctionName=function_arn)["Policy"])["Statement"]
    except lambda_client.exceptions.ResourceNotFoundException:
        statements = []
    allowed = [s for s in statements if (s.get("Principal") or {}).get("Service") == API_GATEWAY
               and s.get("Action") in ("lambda:InvokeFunction", "lambda:*")]
    if not allowed:
        return ("the function does not let API Gateway invoke it: lambda_client.add_permission(FunctionName=…, "
                "StatementId=…, Action=\"lambda:InvokeFunction\", Principal=\"apigateway.amazonaws.com\", SourceArn=…)")
    source_arns = [str(s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn", "")) for s in allowed]
    if not any(not arn or f":{api_id}/" in arn for arn in source_arns):
        return (f"the function's permission is for another API ({source_arns[0]}); its SourceArn must name this "
                f"one: arn:aws:execute-api:<region>:<account>:{api_id}/*/*")
    return None


def ask(url: str) -> tuple[int, dict | None]:
    """GET the route; a 404 is retried for a while (a new route may not have reached the stage yet)."""
    deadline = time.monotonic() + PROPAGATION_S
    while True:
        response = httpx.get(url, timeout=30)
        if response.status_code != 404 or time.monotonic() > deadline:
            break
        time.sleep(2)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def answer_problem(status: int, body) -> str | None:
    if status == 404:
        return f"GET {SAMPLE_PATH} through the API answered 404: is the route on this API, and its stage $default?"
    if status in (500, 502):
        return (f"GET {SAMPLE_PATH} through the API answered {status}: API Gateway may not invoke the function — "
                f"check the function's permission for apigateway.amazonaws.com and its logs")
    if status != 200:
        return f"GET {SAMPLE_PATH} through the API answered {status}: {body}"
    if not isinstance(body, dict) or not body.get("recommendations"):
        return f"GET {SAMPLE_PATH} answered 200 but with no recommendations: {body}"
    return None


# --- 07.2: a budget for recommendations on stage v1 ------------------------------------------------------------------

THROTTLED_STAGE = "v1"
BUDGET_RATE = 5        # requests per second, on average, the team allows recommendations
PAGE_REQUESTS = 3      # a book page asks for this many at once: a burst must let them all through
MAX_BURST = 10         # … and never more than this at once
RATE, BURST = "ThrottlingRateLimit", "ThrottlingBurstLimit"


@exercise_check("07.2")
def check_recommendations_throttle(apigatewayv2, api_id: str, settings) -> None:
    require_answer("recommendations_throttle", settings)
    if not isinstance(settings, dict) or RATE not in settings or BURST not in settings:
        raise ExerciseIncomplete(f"`recommendations_throttle` must be the route's settings you chose: a dict with "
                                 f"{RATE!r} and {BURST!r}")
    stage = apigatewayv2.get_stage(ApiId=api_id, StageName=THROTTLED_STAGE)
    route = (stage.get("RouteSettings") or {}).get(ROUTE_KEY)
    if not route or RATE not in route:
        raise ExerciseIncomplete(f"stage {THROTTLED_STAGE} has no throttling for {ROUTE_KEY!r}: "
                                 f"update_stage(ApiId=api_id, StageName=\"{THROTTLED_STAGE}\", "
                                 f"RouteSettings={{\"{ROUTE_KEY}\": {{…}}}}) (DefaultRouteSettings would throttle "
                                 f"every route)")
    if route.get(RATE) != settings[RATE] or route.get(BURST) != settings[BURST]:
        raise ExerciseIncomplete(f"stage {THROTTLED_STAGE} holds rate {route.get(RATE)}, burst {route.get(BURST)} for "
                                 f"the route, not what `recommendations_throttle` says: run update_stage with it")
    problem = throttle_problem(route[RATE], route[BURST])
    if problem:
        raise ExerciseIncomplete(problem)
    print(f"✔ {THROTTLED_STAGE} {ROUTE_KEY}: {route[BURST]:g} at once, then {route[RATE]:g}/s; the next request "
          f"gets 429 before it costs a Lambda invoke")


def throttle_problem(rate, burst) -> str | None:
    if not rate or rate <= 0:
        return (f"a rate of {rate} refills no tokens: after the first burst every request would get 429; "
                f"choose up to {BUDGET_RATE} per second")
    if rate > BUDGET_RATE:
        return f"a rate of {rate:g} requests/s is over the budget of {BUDGET_RATE}: lower ThrottlingRateLimit"
    if burst < PAGE_REQUESTS:
        return (f"a burst of {burst} refuses part of a book page, which asks for {PAGE_REQUESTS} at once: raise "
                f"ThrottlingBurstLimit")
    if burst > MAX_BURST:
        return f"a burst of {burst} lets {burst} requests through at once; the budget allows at most {MAX_BURST}"
    return None
