"""The backends a route can call: a Lambda function (AWS_PROXY), an HTTP endpoint (HTTP_PROXY), and their faults."""
import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

from localcloud import public_sources, security_groups
from localcloud.config import LOAD_BALANCER_HOST
from localcloud.elbv2 import wire
from localcloud.elbv2.upstream import ConnectionPool, TargetFailed, TargetTimedOut

LAMBDA_URI = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/2015-03-31/functions/(?P<function>.+)/invocations$")
LISTENER_ARN = re.compile(r"^arn:aws[\w-]*:elasticloadbalancing:[\w-]+:\d+:listener/")
STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.(\w+)\}")


class IntegrationTimedOut(Exception):
    """The backend did not answer within the integration's timeout."""


class IntegrationFailed(Exception):
    """The backend could not be reached, or Lambda refused the invocation."""


def with_stage_variables(text: str, stage_variables: dict[str, str]) -> str:
    return STAGE_VARIABLE.sub(lambda found: stage_variables.get(found.group(1), ""), text or "")


def lambda_function_of(uri: str) -> str | None:
    """The function ARN or name an integration URI names: the apigateway invocation path, or a Lambda ARN itself."""
    if found := LAMBDA_URI.match(uri or ""):
        return found.group("function")
    if (uri or "").startswith("arn:") and ":lambda:" in uri and ":function:" in uri:
        return uri
    return None


class LambdaCaller:
    """Invokes functions through the local cloud's Lambda plane, off the event loop (an invoke blocks)."""

    def __init__(self, cloud, max_workers: int = 64):
        self._cloud = cloud
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="apigateway-lambda")

    async def invoke(self, function: str, payload: bytes, timeout_s: float):
        """The lambda plane's Invocation; IntegrationTimedOut after `timeout_s` (the function may still run)."""
        plane = self._cloud.part("lambda")
        if plane is None:
            raise IntegrationFailed("this local cloud runs no Lambda plane")
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(self._pool, lambda: plane.invoke(function, payload))
        try:
            return await asyncio.wait_for(asyncio.shield(call), timeout_s)
        except TimeoutError as error:
            raise IntegrationTimedOut(f"{function} did not answer in {timeout_s:g} s") from error
        except Exception as error:  # not found, throttled, …: API Gateway reports any of them as its own error
            raise IntegrationFailed(f"{function}: {error}") from error

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def fill_path_variables(uri: str, parameters: dict[str, str]) -> str:
    """`{name}` in an integration URI replaced by the request's path parameter (`{proxy}` by a greedy one)."""
    def value(found):
        name = found.group(1).rstrip("+")
        return quote(parameters.get(name, ""), safe="/") if name in parameters else found.group(0)
    return re.sub(r"\{([\w.+-]+)\}", value, uri)


class HttpCaller:
    """HTTP_PROXY requests over kept-alive connections (the load balancers' own pool)."""

    def __init__(self, cloud):
        self._cloud = cloud
        self._pool = ConnectionPool(connect=cloud.connect)  # Cloud Map names and task addresses: through the edge

    def resolve(self, uri: str) -> str:
        """A load balancer listener ARN (private integrations) becomes the listener's loopback URL."""
        if LISTENER_ARN.match(uri):
            elbv2 = self._cloud.part("elbv2")
            url = elbv2.listener_url(uri) if elbv2 is not None else None
            if not url:
                raise IntegrationFailed(f"no listener {uri}")
            return url
        return uri

    def admitted(self, hostname: str, port: int, vpc_link_id: str | None) -> bool:
        """Whether a load balancer behind the URL lets the gateway in: a public integration comes from AWS's public
        addresses (only a rule for 0.0.0.0/0 covers them), a private one from its VPC link's security groups."""
        elbv2 = self._cloud.part("elbv2")
        found = elbv2.listener_at(port) if elbv2 is not None and hostname == LOAD_BALANCER_HOST else None
        if found is None:
            return True
        source = security_groups.INTERNET
        if vpc_link_id:
            vpc_link = self._cloud.backend("apigatewayv2").vpc_links.get(vpc_link_id)
            if vpc_link is None:
                return True  # a REST API's VPC link (to a Network Load Balancer) has no security groups to weigh
            source = security_groups.vpc_link_source(self._cloud.backend("ec2"), vpc_link)
        return elbv2.admits(*found, source)

    async def call(self, url: str, method: str, headers: list[tuple[str, str]], body: bytes, client_ip: str,
                   timeout_s: float, vpc_link_id: str | None = None) -> wire.Message:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise IntegrationFailed(f"not an HTTP URL: {url}")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        if not self.admitted(parts.hostname, port, vpc_link_id):
            # The load balancer's security groups drop the gateway's connection: the integration times out.
            await asyncio.sleep(timeout_s)
            raise IntegrationTimedOut(f"{url}: the load balancer's security groups do not admit API Gateway")
        address = self._cloud.addresses.resolve(parts.hostname, port)  # a task's private IP → where it is published
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = (tls and port == 443) or (not tls and port == 80)
        forwarded_for = next((v for k, v in headers if k.lower() == "x-forwarded-for"), None)
        sent = [(k, v) for k, v in headers if k.lower() not in ("host", "x-forwarded-for")]
        sent += [("Host", parts.hostname if default_port else f"{parts.hostname}:{port}"),
                 ("X-Forwarded-For", f"{forwarded_for}, {client_ip}" if forwarded_for else client_ip)]
        if vpc_link_id is None and parts.hostname == LOAD_BALANCER_HOST:
            sent.append(public_sources.mark())  # a public integration comes from AWS's side, not the learner's
        data = wire.encode_request(method, target, sent, body)
        try:
            return await self._pool.exchange(address, data, method, timeout_s, tls=tls)
        except TargetTimedOut as error:
            raise IntegrationTimedOut(str(error)) from error
        except TargetFailed as error:
            raise IntegrationFailed(str(error)) from error

    def close(self) -> None:
        self._pool.close()
