"""Target health as an ALB keeps it: real HTTP checks per target group settings drive each target's state.

States and reason codes follow `describe_target_health`: `initial` (Elb.InitialHealthChecking) until the first check
passes (one pass is enough for a new target) or UnhealthyThresholdCount checks fail; `healthy`; `unhealthy`
(Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks) until HealthyThresholdCount checks pass in a
row; `draining` (Target.DeregistrationInProgress) after deregistration, until its in-flight requests are done or the
deregistration delay is over; `unused` (Target.NotInUse) while no listener uses the target group; `unavailable`
(Target.HealthCheckDisabled) when health checks are off — such targets get traffic, as on AWS.
"""
import asyncio
import dataclasses
import re

from localcloud.elbv2 import upstream, wire

HEALTH_CHECK_USER_AGENT = "ELB-HealthChecker/2.0"
# States whose targets receive new requests.
SERVING_STATES = frozenset({"healthy", "unavailable"})


@dataclasses.dataclass(frozen=True)
class CheckResult:
    passed: bool
    reason: str | None = None
    description: str | None = None


@dataclasses.dataclass
class TargetHealth:
    state: str = "initial"
    reason: str | None = "Elb.InitialHealthChecking"
    description: str | None = "Initial health checks in progress"
    passes: int = 0
    failures: int = 0
    in_flight: int = 0
    draining_until: float | None = None
    address: object = None  # where the target was reached when this record began

    def set(self, state: str, reason: str | None = None, description: str | None = None) -> None:
        self.state, self.reason, self.description = state, reason, description

    def observe(self, result: CheckResult, healthy_threshold: int, unhealthy_threshold: int) -> None:
        """Count one check result in a row of equal ones, and change state when a threshold is reached."""
        if self.state in ("draining", "unused", "unavailable"):
            return
        if result.passed:
            self.passes, self.failures = self.passes + 1, 0
            if self.state == "initial" or (self.state == "unhealthy" and self.passes >= healthy_threshold):
                self.set("healthy")
        else:
            self.passes, self.failures = 0, self.failures + 1
            if self.state == "unhealthy" or self.failures >= unhealthy_threshold:
                self.set("unhealthy", result.reason, result.description)

    def drain(self, until: float) -> None:
        self.set("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
        self.draining_until = until


def status_matcher(http_codes: str):
    """A predicate for a matcher like "200", "200-399" or "200,202,300-302"."""
    ranges = []
    for part in re.split(r"\s*,\s*", http_codes.strip()):
        low, _, high = part.partition("-")
        ranges.append((int(low), int(high or low)))
    return lambda status: any(low <= status <= high for low, high in ranges)


async def check_once(address: tuple[str, int], path: str | None, timeout_s: float, http_codes: str,
                     tls: bool = False, connect=upstream.open_connection) -> CheckResult:
    """One health check: a GET of `path` on a fresh connection, closed afterwards (no path: connecting is enough)."""
    writer = None
    try:
        async with asyncio.timeout(timeout_s):
            tls_context = upstream.unverified_tls_context() if tls else None
            reader, writer = await connect(address, ssl=tls_context)
            if path is None:
                return CheckResult(True)
            writer.write(wire.encode_request("GET", path, [
                ("Host", f"{address[0]}:{address[1]}"), ("User-Agent", HEALTH_CHECK_USER_AGENT),
                ("Connection", "close")], b""))
            response = await wire.read_response(reader, "GET")
    except TimeoutError:
        return CheckResult(False, "Target.Timeout", "Request timed out")
    except (OSError, asyncio.IncompleteReadError, wire.MalformedMessage):
        return CheckResult(False, "Target.FailedHealthChecks", "Health checks failed")
    finally:
        if writer is not None:
            writer.close()
    status = int(response.start[1])
    if status_matcher(http_codes)(status):
        return CheckResult(True)
    return CheckResult(False, "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]")
