"""Lambda figures: warm invoke overhead, cold start, and a burst of 50 concurrent invokes of a 100 ms handler.

- warm overhead: a boto3 `invoke` round trip of a handler that returns at once, minus the time the handler itself
  measured (p50 of many calls); beside it, the plane alone (`cloud.part("lambda").invoke`) and a moto call that
  runs no code (`get_function_configuration`), to show where the time goes;
- cold start: the first invoke after `create_function` (a new container, awslambdaric's start, the handler import);
- burst: 50 threads invoke a handler that sleeps 100 ms, on a new function (cold) and again (warm).

`run(repeats)` returns medians with their samples; asserts nothing (targets are in the issue, not in tests).
"""
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.stats import median_of

from tests.localcloud.lambda_fixtures import client, create_function, lambda_cloud, unique

HANDLER = '''
import time

def handler(event, context):
    started = time.perf_counter()
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"handler_ms": (time.perf_counter() - started) * 1000}
'''
WARM_CALLS = 200
BURST = 50


def p50_ms(call, count: int = WARM_CALLS) -> float:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def warm_overhead_ms(lam, name: str) -> float:
    samples = []
    for _ in range(WARM_CALLS):
        started = time.perf_counter()
        response = lam.invoke(FunctionName=name, Payload=b"{}")
        handler_ms = json.loads(response["Payload"].read())["handler_ms"]
        samples.append((time.perf_counter() - started) * 1000 - handler_ms)
    return statistics.median(samples)


def burst(lam, name: str) -> tuple[float, int]:
    """(wall seconds, invokes that succeeded) for BURST concurrent invokes of the 100 ms handler."""
    def one(_):
        response = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 0.1}))
        return response["StatusCode"] == 200 and "FunctionError" not in response
    with ThreadPoolExecutor(BURST) as pool:
        started = time.perf_counter()
        outcomes = list(pool.map(one, range(BURST)))
        return time.perf_counter() - started, sum(outcomes)


def run(repeats: int = 3) -> dict:
    with lambda_cloud("bench-lambda") as cloud:
        lam = client(cloud, "lambda")
        plane = cloud.part("lambda")
        overhead, plane_only, moto_only, cold = [], [], [], []
        for _ in range(repeats):
            name = unique("bench")
            create_function(cloud, name, code=HANDLER)
            started = time.perf_counter()
            lam.invoke(FunctionName=name, Payload=b"{}")
            cold.append(time.perf_counter() - started)
            overhead.append(warm_overhead_ms(lam, name))
            plane_only.append(p50_ms(lambda: plane.invoke(name, b"{}")))
            moto_only.append(p50_ms(lambda: lam.get_function_configuration(FunctionName=name)))
        walls_cold, walls_warm, succeeded = [], [], []
        for _ in range(repeats):
            name = unique("burst")
            create_function(cloud, name, code=HANDLER)
            for walls in (walls_cold, walls_warm):
                wall, ok = burst(lam, name)
                walls.append(wall)
                succeeded.append(ok)
    return {
        "lambda_warm_invoke_overhead_p50": median_of(overhead, unit="ms", target="≤ 5.9 ms"),
        "lambda_warm_invoke_plane_only_p50": median_of(plane_only, unit="ms"),
        "lambda_moto_call_without_code_p50": median_of(moto_only, unit="ms"),
        "lambda_cold_start": median_of(cold, target="≤ 1.5 s"),
        "lambda_50_concurrent_100ms_wall_cold": median_of(walls_cold, target="≤ 2 s"),
        "lambda_50_concurrent_100ms_wall_warm": median_of(walls_warm, target="≤ 2 s"),
        "lambda_50_concurrent_succeeded": median_of(succeeded, unit="ok", target=f"{BURST}"),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
