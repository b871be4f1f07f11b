"""What the edge relay costs: a container's request to a server of the cloud on this host, through the edge.

A tiny HTTP server on 127.0.0.1 is exposed to the cloud's network (`cloud.expose`); one client in a container on
that network calls it at `localcloud.localhost`, the same client on this host calls 127.0.0.1 directly. Figures
(medians over `repeats` rounds, with samples): p50 of sequential requests on one kept-alive connection and on a new
connection each, both ways, and what the edge adds. The timings are taken inside the clients, so a container's
start does not count.
"""
import json
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import localcloud
from benchmarks.stats import median_of
from localcloud.config import CLOUD_HOST, Config
from localcloud.edge.container import EDGE_IMAGE  # any engine the cloud runs on has it: the edge runs it

REQUESTS = 150

# Sequential GETs, on one kept-alive connection after a warm-up, then on a new connection each; prints the p50s (ms).
CLIENT = """
import http.client, json, socket, statistics, sys, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
host = socket.getaddrinfo(host, port, socket.AF_INET)[0][4][0]  # once: a name lookup is not the relay's cost
def get(connection):
    started = time.perf_counter()
    connection.request("GET", "/bench")  # connects first when the connection is new
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000
def new_connection():
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        return get(connection)
    finally:
        connection.close()
kept = http.client.HTTPConnection(host, port, timeout=10)
for _ in range(10):
    get(kept)
kept_alive = [get(kept) for _ in range(count)]
new = [new_connection() for _ in range(count)]
print(json.dumps({"kept_alive": statistics.median(kept_alive), "new_connection": statistics.median(new)}))
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # head and body leave in one write

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def from_host(port: int) -> dict:
    return json.loads(subprocess.run([sys.executable, "-c", CLIENT, "127.0.0.1", str(port), str(REQUESTS)],
                                     capture_output=True, text=True, check=True).stdout)


def from_container(cloud, port: int) -> dict:
    output = cloud.docker.containers.run(EDGE_IMAGE, ["python3", "-c", CLIENT, CLOUD_HOST, str(port), str(REQUESTS)],
                                         network=cloud.config.network, labels=cloud.labels("bench"), remove=True)
    return json.loads(output)


def run(repeats: int = 3) -> dict:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    samples = {f"{kind}_{side}": [] for kind in ("kept_alive", "new_connection") for side in ("host", "container")}
    try:
        with localcloud.running(Config(port=0, registry_port=0, instance=f"bench-edge-{uuid.uuid4().hex[:8]}"),
                                data_planes=[]) as cloud:
            cloud.expose(port)
            for _ in range(repeats):
                for side, p50s in (("host", from_host(port)), ("container", from_container(cloud, port))):
                    for kind, p50 in p50s.items():
                        samples[f"{kind}_{side}"].append(p50)
    finally:
        server.shutdown()
        server.server_close()
    figures = {}
    for kind in ("kept_alive", "new_connection"):
        host, container = samples[f"{kind}_host"], samples[f"{kind}_container"]
        figures[f"edge_{kind}_p50_host_direct"] = median_of(host, unit="ms")
        figures[f"edge_{kind}_p50_container_via_edge"] = median_of(container, unit="ms")
        figures[f"edge_{kind}_p50_added"] = median_of([c - h for c, h in zip(container, host)], unit="ms")
    return figures


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
