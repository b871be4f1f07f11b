"""API Gateway data plane: HTTP APIs (v2) and REST APIs (v1) that really answer on this machine.

How an API is reached
---------------------
On AWS an API answers at `https://<api id>.execute-api.<region>.amazonaws.com`, from anywhere. Offline there is no
DNS, so each API gets its own port, at the name `execute-api.localhost`: 127.0.0.1 on this host, and the cloud's
edge in the containers of ECS tasks and Lambda functions, which is what lets orders call an API (`localcloud.edge`).
An HTTP API's `ApiEndpoint` is `http://execute-api.localhost:<port>` and works as returned: its `$default` stage
answers at the root, a named stage under `/<stage name>`. A REST API answers at
`http://execute-api.localhost:<port>/<stage>/…`
(`ApiGatewayPlane.invoke_url(api_id, stage)`, `localcloud status`).

What it does as API Gateway would
---------------------------------
Routes and resources match as on AWS (`GET /orders/{id}`, `ANY /{proxy+}`, `$default`; the most specific wins).
AWS_PROXY integrations invoke the Lambda plane with a payload 2.0 or 1.0 event; HTTP_PROXY integrations forward to
a URL, a load balancer's DNSName or listener ARN; REST MOCK integrations answer from their integration responses.
A stage serves the snapshot of its deployment (auto-deploy stages serve the API as it is now). Stage throttling is
a token bucket (429). Errors are worded as each kind of API words them (404/403, 500/502, 503/504). A stage with
access logging (`accessLogSettings`) writes one line per request to its CloudWatch Logs group, the format with its
`$context` variables filled in (`access_log.py`), off the request path; nothing when the group does not exist.
What is stored but not enforced is said once per API in a `NotEnforcedLocally` warning (see docs/localcloud.md).
"""
from localcloud.apigateway.plane import ApiGatewayPlane

__all__ = ["ApiGatewayPlane"]
