"""Load balancer overhead: the same target container called directly (its published port) and through an ALB's DNSName.

Figures (medians over `repeats` rounds, with samples): p50 latency of sequential kept-alive requests, direct and
through the load balancer, and the difference (target: ≤ 1 ms added); throughput with concurrent clients, direct and
through the load balancer, and their ratio (target: ≥ 50 %). Throughput uses `wrk` when it is installed (Debian
package `wrk`), else a Python client with threads. Clients run in their own processes, apart from the local cloud.
"""
import json
import re
import shutil
import socket
import subprocess
import sys
import uuid

import localcloud
from benchmarks.stats import median_of
from localcloud.config import Config
from localcloud.elbv2 import Elbv2Plane
from tests.localcloud import elbv2_fixtures as fx

LATENCY_REQUESTS = 2000
THROUGHPUT_SECONDS = 5
CONNECTIONS = 16

# Sequential GETs on one kept-alive connection; prints the p50 in milliseconds.
LATENCY_CLIENT = """
import http.client, statistics, sys, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
connection = http.client.HTTPConnection(host, port)
samples = []
for index in range(count + 100):
    started = time.perf_counter()
    connection.request("GET", "/bench")
    connection.getresponse().read()
    if index >= 100:  # the first requests warm up connections and caches
        samples.append(time.perf_counter() - started)
print(statistics.median(samples) * 1000)
"""

# Threads with one kept-alive connection each, for `seconds`; prints requests per second.
THROUGHPUT_CLIENT = """
import http.client, sys, threading, time
host, port, seconds, connections = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
counts = [0] * connections
deadline = time.perf_counter() + seconds
def work(slot):
    connection = http.client.HTTPConnection(host, port)
    while time.perf_counter() < deadline:
        connection.request("GET", "/bench")
        connection.getresponse().read()
        counts[slot] += 1
threads = [threading.Thread(target=work, args=(slot,)) for slot in range(connections)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(sum(counts) / seconds)
"""


def start_target(cloud) -> tuple[str, int]:
    """The target container on the cloud's network: (its IP there, its port 8080 as published on 127.0.0.1).

    Every engine lets this host reach a container through a published port only, so the IP the load balancer is
    given is mapped to that port, as ECS maps a task's."""
    container = cloud.docker.containers.run(
        fx.IMAGE, detach=True, name=f"{cloud.config.instance}-bench-{uuid.uuid4().hex[:6]}",
        network=cloud.config.network, labels=cloud.labels("bench"), ports={"8080/tcp": ("127.0.0.1", None)})
    container.reload()
    ip = container.attrs["NetworkSettings"]["Networks"][cloud.config.network]["IPAddress"]
    port = int(container.attrs["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"])
    cloud.addresses.publish((ip, 8080), ("127.0.0.1", port))
    fx.wait_until_serving(f"http://127.0.0.1:{port}/health")
    return ip, port


def latency_p50_ms(host: str, port: int) -> float:
    return float(subprocess.run([sys.executable, "-c", LATENCY_CLIENT, host, str(port), str(LATENCY_REQUESTS)],
                                capture_output=True, text=True, check=True).stdout)


def requests_per_second(host: str, port: int) -> float:
    wrk = shutil.which("wrk")
    if wrk:
        address = socket.getaddrinfo(host, port)[0][4][0]  # wrk resolves with libc, which knows no *.localhost
        output = subprocess.run([wrk, "-t2", f"-c{CONNECTIONS}", f"-d{THROUGHPUT_SECONDS}s",
                                 f"http://{address}:{port}/bench"], capture_output=True, text=True, check=True).stdout
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return float(subprocess.run([sys.executable, "-c", THROUGHPUT_CLIENT, host, str(port), str(THROUGHPUT_SECONDS),
                                 str(CONNECTIONS)], capture_output=True, text=True, check=True).stdout)


def run(repeats: int = 3) -> dict:
    with localcloud.running(Config(port=0, registry_port=0, instance=f"bench-elbv2-{uuid.uuid4().hex[:8]}"),
                            data_planes=[Elbv2Plane()]) as cloud:
        fx.build_image(cloud.docker)
        try:
            ip, published = start_target(cloud)
            elbv2 = fx.aws_client(cloud, "elbv2", validate=False)
            vpc, subnet_ids = fx.subnets(cloud)
            group = fx.create_target_group(elbv2, vpc)
            balancer = elbv2.create_load_balancer(Name=fx.unique("bench"), Subnets=subnet_ids)["LoadBalancers"][0]
            elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                  DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
            elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8080}])
            fx.wait_for(lambda: fx.states(elbv2, group) == {f"{ip}:8080": "healthy"}, what="target healthy")
            lb_host, lb_port = balancer["DNSName"].split(":")
            direct_ms, balanced_ms, direct_rps, balanced_rps = [], [], [], []
            for _ in range(repeats):
                direct_ms.append(latency_p50_ms("127.0.0.1", published))
                balanced_ms.append(latency_p50_ms(lb_host, int(lb_port)))
                direct_rps.append(requests_per_second("127.0.0.1", published))
                balanced_rps.append(requests_per_second(lb_host, int(lb_port)))
        finally:
            fx.remove_image(cloud.docker)
    added = [b - d for b, d in zip(balanced_ms, direct_ms)]
    ratio = [b / d for b, d in zip(balanced_rps, direct_rps)]
    client = "wrk" if shutil.which("wrk") else "python threads"
    return {"elbv2_latency_p50_direct": median_of(direct_ms, unit="ms"),
            "elbv2_latency_p50_via_load_balancer": median_of(balanced_ms, unit="ms"),
            "elbv2_latency_p50_added": median_of(added, unit="ms", target="≤ 0.57 ms"),
            f"elbv2_throughput_direct ({client})": median_of(direct_rps, unit="rps"),
            f"elbv2_throughput_via_load_balancer ({client})": median_of(balanced_rps, unit="rps"),
            "elbv2_throughput_ratio_to_direct": median_of(ratio, unit="x", target="≥ 0.5")}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
