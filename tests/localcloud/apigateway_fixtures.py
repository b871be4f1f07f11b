"""API Gateway test and benchmark helpers: a small HTTP target on 127.0.0.1, clients, and API set-up shortcuts.

The target echoes method, path, query, headers and body as JSON; `/slow?seconds=…` sleeps first; `/binary` answers
bytes that are not UTF-8.
"""
import contextlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.config

BINARY = bytes(range(256))


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # head and body leave in one write

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Echo", "yes")
        self.end_headers()
        self.wfile.write(body)

    def _any(self):
        url = urlsplit(self.path)
        if url.path.endswith("/slow"):
            time.sleep(float(parse_qs(url.query).get("seconds", ["1"])[0]))
        if url.path.endswith("/binary"):
            return self._answer(200, BINARY, "application/octet-stream")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self._answer(200, json.dumps({"method": self.command, "path": url.path, "query": url.query,
                                      "headers": dict(self.headers), "body": body.decode("latin-1")}).encode(),
                     "application/json")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def echo_server():
    """An echo HTTP server on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def aws_client(cloud, service: str):
    return boto3.client(service, endpoint_url=cloud.config.endpoint_url, region_name=cloud.config.region,
                        aws_access_key_id="any", aws_secret_access_key="any",
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


# --- HTTP APIs ----------------------------------------------------------------------------------------------------
def http_api(apigw, routes: dict[str, dict], stage: str = "$default", auto_deploy: bool = True) -> dict:
    """An HTTP API with one integration per route key ({route key: create_integration kwargs}) and a stage."""
    api = apigw.create_api(Name=unique("api"), ProtocolType="HTTP")
    for route_key, integration in routes.items():
        integration_id = apigw.create_integration(ApiId=api["ApiId"], **integration)["IntegrationId"]
        apigw.create_route(ApiId=api["ApiId"], RouteKey=route_key, Target=f"integrations/{integration_id}")
    if stage:
        apigw.create_stage(ApiId=api["ApiId"], StageName=stage, AutoDeploy=auto_deploy)
    return api


def http_proxy(url: str, method: str = "ANY") -> dict:
    return {"IntegrationType": "HTTP_PROXY", "IntegrationUri": url, "IntegrationMethod": method,
            "PayloadFormatVersion": "1.0"}


def lambda_proxy(function_arn: str, version: str = "2.0", timeout_ms: int | None = None) -> dict:
    settings = {"IntegrationType": "AWS_PROXY", "IntegrationUri": function_arn, "PayloadFormatVersion": version}
    if timeout_ms:
        settings["TimeoutInMillis"] = timeout_ms
    return settings


# --- REST APIs ----------------------------------------------------------------------------------------------------
def rest_resource(apigw, api_id: str, path: str) -> str:
    """The id of the resource at `path`, created with its ancestors as needed."""
    resources = {item["path"]: item["id"] for item in apigw.get_resources(restApiId=api_id, limit=500)["items"]}
    parent = resources["/"]
    current = ""
    for part in [part for part in path.split("/") if part]:
        current += f"/{part}"
        if current not in resources:
            resources[current] = apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
        parent = resources[current]
    return parent


def rest_method(apigw, api_id: str, path: str, method: str, **integration) -> str:
    resource_id = rest_resource(apigw, api_id, path)
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method, **integration)
    return resource_id


def lambda_uri(region: str, function_arn: str) -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
