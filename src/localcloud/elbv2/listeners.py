"""The HTTP side of the listeners: one server per loopback port, each request routed by its listener's rules.

A port serves either a load balancer (then its port-80 listener, or its first HTTP listener) or one listener. Which
listener and rules apply is read from moto at each request, so API changes take effect at once.
"""
import asyncio
import logging
import os
import time
from collections.abc import Callable

from localcloud import public_sources
from localcloud.elbv2 import rules, upstream, wire
from localcloud.elbv2.targets import TargetRegistry
from localcloud.elbv2.upstream import ConnectionPool, TargetFailed
from localcloud.serving import PortServers

log = logging.getLogger(__name__)

SERVER_HEADER = ("Server", "awselb/2.0")
DEFAULT_IDLE_TIMEOUT_S = 60.0
# A client the load balancer's security groups do not admit gets no answer; its connection is let go after this
# (about as long as Linux retries an unanswered connect), unless the client gives up first.
DROPPED_CONNECTION_HOLD_S = 130.0


def load_balancer_arn_of(listener_arn: str) -> str:
    """arn:…:listener/app/<name>/<lb id>/<listener id> → arn:…:loadbalancer/app/<name>/<lb id>"""
    return listener_arn.replace(":listener/", ":loadbalancer/", 1).rsplit("/", 1)[0]


def primary_listener(load_balancer):
    """The listener a load balancer's DNSName reaches: its port-80 listener, else its first HTTP(S) listener."""
    listeners = [listener for listener in list(load_balancer.listeners.values())
                 if listener.protocol in ("HTTP", "HTTPS")]
    return next((listener for listener in listeners if int(listener.port) == 80), listeners[0] if listeners else None)


def idle_timeout(load_balancer) -> float:
    return float(load_balancer.attrs.get("idle_timeout.timeout_seconds") or DEFAULT_IDLE_TIMEOUT_S)


# An ALB words its 503 page this way.
REASONS = {503: "Service Temporarily Unavailable"}


def error_response(status: int, keep_alive: bool, head_only: bool = False) -> bytes:
    """The small HTML page an ALB answers with when it cannot get a response from a target."""
    reason = REASONS.get(status) or wire.reason_phrase(status)
    body = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n").encode()
    return wire.encode_response(status, reason, [SERVER_HEADER, ("Content-Type", "text/html")], body,
                                keep_alive, head_only)


def trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"


async def hold_unanswered(reader: asyncio.StreamReader) -> None:
    """Read and drop whatever the client sends, answer nothing, until it gives up or the hold time passes."""
    try:
        async with asyncio.timeout(DROPPED_CONNECTION_HOLD_S):
            while await reader.read(64 * 1024):
                pass
    except (TimeoutError, ConnectionError):
        pass


class ListenerFront:
    def __init__(self, backend: Callable[[], object], targets: TargetRegistry, pool: ConnectionPool,
                 client_admitted: Callable[[object, object, str], bool] = lambda *connection: True,
                 target_reachable: Callable[[object, str, int], bool] = upstream.always_reachable,
                 provisioning: Callable[[object], bool] = lambda load_balancer: False):
        self._backend = backend
        self._client_admitted = client_admitted  # (load balancer, listener, client IP): its security groups say
        self._target_reachable = target_reachable  # (load balancer, target id, port): the target's groups say
        self._provisioning = provisioning  # (load balancer): not active yet, so nothing answers (the `aws` pace)
        self._targets = targets
        self._pool = pool
        self._weighted_turns: dict[tuple, list[int]] = {}
        # One server per load balancer ARN or listener ARN; closing them all closes their client connections too.
        self._servers = PortServers(self._connection)
        self.serve, self.close, self.close_all = self._servers.serve, self._servers.close, self._servers.close_all
        self.serving = self._servers.keys

    def resolve(self, key: str):
        """(load balancer, listener) that a port's key stands for now, or (…, None) if it has no listener."""
        load_balancers = self._backend().load_balancers
        if load_balancer := load_balancers.get(key):
            return load_balancer, primary_listener(load_balancer)
        load_balancer = load_balancers.get(load_balancer_arn_of(key))
        return load_balancer, load_balancer.listeners.get(key) if load_balancer else None

    # --- requests ---------------------------------------------------------------------------------------------------
    async def _connection(self, key: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client_ip = writer.get_extra_info("peername")[0]
        local_port = writer.get_extra_info("sockname")[1]
        timeout_s = DEFAULT_IDLE_TIMEOUT_S
        load_balancer, listener = self.resolve(key)
        if load_balancer is not None and self._provisioning(load_balancer):
            writer.close()
            return
        if listener is not None and not self._client_admitted(load_balancer, listener, client_ip):
            await hold_unanswered(reader)  # the load balancer's security groups drop the client's packets
            return
        try:
            while True:
                try:
                    async with asyncio.timeout(timeout_s):
                        request = await wire.read_request(reader, writer)
                except TimeoutError:
                    break  # idle for longer than the load balancer's idle timeout
                except (wire.MalformedMessage, ValueError):
                    writer.write(error_response(400, keep_alive=False))
                    break
                if request is None:
                    break
                load_balancer, listener = self.resolve(key)
                if listener is None:
                    break  # the listener is gone: like a closed port
                timeout_s = idle_timeout(load_balancer)
                writer.write(await self.answer(load_balancer, listener, request, client_ip, local_port, timeout_s))
                await writer.drain()
                if not request.reusable:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("listener %s: request failed", key)

    async def answer(self, load_balancer, listener, request: wire.Message, client_ip: str, local_port: int,
                     timeout_s: float) -> bytes:
        """The encoded response to one request: the matching rule's action, applied."""
        client_ip, request.headers = public_sources.source_and_headers(request.headers, client_ip)
        method, target, _ = request.start
        keep_alive, head_only = request.reusable, method == "HEAD"
        path, _, query = target.partition("?")
        host = request.header("host") or f"127.0.0.1:{local_port}"
        facts = rules.RequestFacts(method, path, query, host, {k.lower(): v for k, v in request.headers}, client_ip)
        rule = rules.matching_rule(list(listener.rules.values()), facts)
        action = rules.terminal_action(rule.actions) if rule else None
        kind = action.get("Type") if action else None
        if kind == "fixed-response":
            config = action.get("FixedResponseConfig") or {}
            body = (config.get("MessageBody") or "").encode()
            headers = [SERVER_HEADER, ("Content-Type", config.get("ContentType") or "text/plain; charset=utf-8")]
            return wire.encode_response(int(config.get("StatusCode", 200)), "", headers, body, keep_alive, head_only)
        if kind == "redirect":
            config = action.get("RedirectConfig") or {}
            location = rules.redirect_location(config, "http", rules.host_without_port(host), local_port, path, query)
            return wire.encode_response(rules.redirect_status(config), "",
                                        [SERVER_HEADER, ("Location", location), ("Content-Type", "text/html")],
                                        b"", keep_alive, head_only)
        if kind == "forward":
            group = self._target_group_for(rule, action)
            picked = self._targets.pick(group) if group is not None else None
            if picked is None:
                return error_response(503, keep_alive, head_only)
            if not self._target_reachable(load_balancer, picked[0][1], picked[0][2]):
                # The target's security groups drop the connection: the ALB gives up connecting after 10 s, 504.
                await asyncio.sleep(upstream.CONNECT_TIMEOUT_S)
                return error_response(504, keep_alive, head_only)
            return await self._forward(picked, group, request, client_ip, local_port, timeout_s)
        return error_response(503, keep_alive, head_only)

    def _target_group_for(self, rule, action: dict):
        weights = rules.forward_weights(action)
        if not weights:
            return None
        if len(weights) == 1:
            arn = weights[0][0]
        else:
            turns = self._weighted_turns.setdefault((rule.arn, *weights), [0] * len(weights))
            index = rules.smooth_weighted_pick(turns, [weight for _, weight in weights])
            if index is None:
                return None
            arn = weights[index][0]
        return self._backend().target_groups.get(arn)

    async def _forward(self, picked, group, request: wire.Message, client_ip: str, local_port: int,
                       timeout_s: float) -> bytes:
        key, address = picked
        method, target, _ = request.start
        headers = request.headers_for_proxy()
        forwarded_for = request.header("x-forwarded-for")
        headers = [(k, v) for k, v in headers if k.lower() not in ("x-forwarded-for", "x-forwarded-proto",
                                                                   "x-forwarded-port")]
        headers += [("X-Forwarded-For", f"{forwarded_for}, {client_ip}" if forwarded_for else client_ip),
                    ("X-Forwarded-Proto", "http"), ("X-Forwarded-Port", str(local_port))]
        if request.header("host") is None:
            headers.append(("Host", f"{address[0]}:{address[1]}"))
        if request.header("x-amzn-trace-id") is None:
            headers.append(("X-Amzn-Trace-Id", trace_id()))
        data = wire.encode_request(method, target, headers, request.body)
        self._targets.started(key)
        try:
            response = await self._pool.exchange(address, data, method, timeout_s, tls=group.protocol == "HTTPS")
        except TargetFailed as failure:
            log.info("target %s:%s: %s", key[1], key[2], failure)
            return error_response(failure.status, request.reusable, method == "HEAD")
        finally:
            self._targets.finished(key)
        version, status, reason = response.start
        return wire.encode_response(int(status), reason, response.headers_for_proxy(), response.body,
                                    request.reusable, method == "HEAD")
