"""API Gateway overhead: HTTP API → Lambda (warm), and HTTP API → load balancer → target vs the target direct.

Figures (medians over `repeats` rounds, with samples): p50 and p99 of sequential kept-alive requests through a
quick-created HTTP API to a warm Lambda function (targets ≤ 10 ms / ≤ 30 ms); p50 of a target container called
directly (its published port) and through HTTP API → ALB, and the difference (target: ≤ 5 ms over the target's own
time). Clients run in their own processes, apart from the local cloud.
"""
import json
import subprocess
import sys
import uuid

import localcloud
from benchmarks.localcloud_elbv2 import start_target
from benchmarks.stats import median_of
from localcloud.apigateway import ApiGatewayPlane
from localcloud.awslambda import LambdaPlane
from localcloud.config import Config
from localcloud.elbv2 import Elbv2Plane
from tests.localcloud import apigateway_fixtures as apigw_fx
from tests.localcloud import elbv2_fixtures as elb_fx
from tests.localcloud import lambda_fixtures as lambda_fx

REQUESTS = 500

# Sequential GETs on one kept-alive connection after a warm-up; prints [p50, p99] in milliseconds.
LATENCY_CLIENT = """
import http.client, json, sys, time
host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
connection = http.client.HTTPConnection(host, port)
samples = []
for index in range(count + 50):
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
    if index >= 50:
        samples.append((time.perf_counter() - started) * 1000)
samples.sort()
print(json.dumps([samples[len(samples) // 2], samples[int(len(samples) * 0.99) - 1]]))
"""

HANDLER = '''
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "ok"}
'''


def latency_ms(url: str, path: str) -> tuple[float, float]:
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    output = subprocess.run([sys.executable, "-c", LATENCY_CLIENT, host, port, path, str(REQUESTS)],
                            capture_output=True, text=True, check=True).stdout
    p50, p99 = json.loads(output)
    return p50, p99


def load_balanced_target(cloud) -> tuple[str, str]:
    """A target container behind a healthy ALB: (the target's own URL, the load balancer's URL)."""
    ip, published = start_target(cloud)
    elbv2 = elb_fx.aws_client(cloud, "elbv2", validate=False)
    vpc, subnet_ids = elb_fx.subnets(cloud)
    group = elb_fx.create_target_group(elbv2, vpc)
    balancer = elbv2.create_load_balancer(Name=elb_fx.unique("bench"), Subnets=subnet_ids)["LoadBalancers"][0]
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8080}])
    elb_fx.wait_for(lambda: elb_fx.states(elbv2, group) == {f"{ip}:8080": "healthy"}, what="target healthy")
    return f"http://127.0.0.1:{published}", f"http://{balancer['DNSName']}"


def run(repeats: int = 3) -> dict:
    with localcloud.running(Config(port=0, registry_port=0, instance=f"bench-apigw-{uuid.uuid4().hex[:8]}"),
                            data_planes=[Elbv2Plane(), LambdaPlane(), ApiGatewayPlane()]) as cloud:
        elb_fx.build_image(cloud.docker)
        try:
            apigw = apigw_fx.aws_client(cloud, "apigatewayv2")
            function = lambda_fx.create_function(cloud, lambda_fx.unique("bench"), code=HANDLER)["FunctionArn"]
            to_lambda = apigw.create_api(Name="bench-lambda", ProtocolType="HTTP", Target=function)["ApiEndpoint"]
            target_url, balancer_url = load_balanced_target(cloud)
            to_balancer = apigw.create_api(Name="bench-http", ProtocolType="HTTP",
                                           Target=balancer_url)["ApiEndpoint"]
            lambda_p50, lambda_p99, direct, through_gateway = [], [], [], []
            for _ in range(repeats):
                p50, p99 = latency_ms(to_lambda, "/bench")
                lambda_p50.append(p50)
                lambda_p99.append(p99)
                direct.append(latency_ms(target_url, "/bench")[0])
                through_gateway.append(latency_ms(to_balancer, "/bench")[0])
        finally:
            cloud.reset()  # functions must not outlive this cloud in moto's process-wide state
            elb_fx.remove_image(cloud.docker)
    added = [via - own for via, own in zip(through_gateway, direct)]
    return {"apigateway_to_lambda_warm_p50": median_of(lambda_p50, unit="ms", target="≤ 10 ms"),
            "apigateway_to_lambda_warm_p99": median_of(lambda_p99, unit="ms", target="≤ 30 ms"),
            "apigateway_http_target_p50_direct": median_of(direct, unit="ms"),
            "apigateway_http_target_p50_via_api_and_alb": median_of(through_gateway, unit="ms"),
            "apigateway_http_target_p50_added": median_of(added, unit="ms", target="≤ 5 ms")}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
