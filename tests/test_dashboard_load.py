"""The load generator against a tiny local server that says who answered, and its figures on hand-made samples."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workshop.dashboard.load import (FAILED, LoadGenerator, Window, failed_requests, label_from_url,
                                     latency_over_time, plot_latency, plot_overview, plot_success, plot_versions,
                                     served_by, success_over_time, success_rate, success_table, version_mix,
                                     versions_seen)
from workshop.traffic import Sample


class Shop(BaseHTTPRequestHandler):
    """`/users` answers as users/<version>; `/orders` fails while `broken` is set."""

    version = "1.0"
    broken = False

    def do_GET(self):
        service = self.path.strip("/").split("/")[0]
        status = 500 if service == "orders" and Shop.broken else 200
        self.send_response(status)
        self.send_header("X-Served-By", f"{service}/{Shop.version}/host-{self.server.server_address[1]}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class ShopServer(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops connections when a loaded machine is slow to accept


@pytest.fixture
def shop():
    Shop.version, Shop.broken = "1.0", False
    httpd = ShopServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_samples_record_which_version_answered(shop):
    with LoadGenerator([f"{shop}/users"], rate=40) as load:
        time.sleep(0.3)
        Shop.version = "1.1"
        time.sleep(0.3)
    answers = [served_by(s) for s in load.samples]
    assert all(a.service == "users" and a.host.startswith("host-") for a in answers)
    assert versions_seen(load.samples) == ["1.0", "1.1"]
    assert failed_requests(load.samples) == 0


def test_a_fault_window_isolates_the_failing_service(shop):
    # A generous timeout: on a loaded machine a slow answer is not the failure this test is about.
    load = LoadGenerator({"users": f"{shop}/users", "orders": f"{shop}/orders/1"}, rate=40, timeout=10).start()
    time.sleep(0.2)
    with load.window("orders fault"):
        Shop.broken = True
        time.sleep(0.3)
        Shop.broken = False
    time.sleep(0.2)
    samples = load.stop()
    fault = load.windows[0]
    assert fault.label == "orders fault" and fault.end > fault.start
    assert success_rate(samples, "users", load.labels, window=fault) == 100.0
    assert success_rate(samples, "orders", load.labels, window=fault) < 50.0
    assert success_rate(samples, "orders", load.labels, window=Window(0, fault.start - 0.05, "before")) == 100.0
    table = success_table(samples, load.labels, load.windows)
    assert [row["service"] for row in table.rows] == ["users", "orders"]
    assert table.rows[0]["success % during orders fault"] == 100.0


def test_samples_grow_while_running_and_stop_when_stopped(shop):
    load = LoadGenerator([f"{shop}/users"], rate=50).start()
    assert load.running
    time.sleep(0.2)
    first = len(load.samples)
    time.sleep(0.2)
    assert len(load.samples) > first > 0
    load.stop()
    count = len(load.samples)
    time.sleep(0.1)
    assert not load.running and len(load.samples) == count
    load.stop()  # stopping twice is harmless


def test_refused_connections_fail_without_a_version():
    with LoadGenerator(["http://127.0.0.1:9/users"], rate=20) as load:
        time.sleep(0.2)
    assert load.samples and all(s.error == "ConnectError" and served_by(s) is None for s in load.samples)
    assert version_mix(load.samples)[0].failed == len(load.samples)


def test_a_load_generator_needs_urls():
    with pytest.raises(ValueError, match="at least one URL"):
        LoadGenerator([])


def _sample(t, url="http://lb/users", status=200, version="1", latency=0.01):
    header = f"users/{version}/h" if status and version else None
    return Sample(t, url, status, None if status else "ReadTimeout", latency, header)


def test_version_mix_counts_answers_per_bucket_and_failures_apart():
    samples = [_sample(0.1, version="1"), _sample(0.5, version="1"), _sample(1.2, version="2"),
               _sample(1.5, status=503, version=None), _sample(3.1, version="2")]
    mixes = version_mix(samples, width=1.0)
    assert [(m.start, m.counts, m.failed) for m in mixes] == [
        (0.0, {"1": 2}, 0), (1.0, {"2": 1}, 1), (2.0, {}, 0), (3.0, {"2": 1}, 0)]
    assert versions_seen(samples) == ["1", "2"]


def test_success_over_time_per_service_keeps_empty_buckets():
    samples = [_sample(0.1, "http://lb/users"), _sample(0.2, "http://lb/orders/1", status=500),
               _sample(0.7, "http://lb/orders/1"), _sample(2.5, "http://lb/users")]
    rates = success_over_time(samples, width=1.0)
    assert list(rates) == ["users", "orders"]
    assert [p.rate for p in rates["orders"]] == [50.0, None, None]
    assert [p.requests for p in rates["users"]] == [1, 0, 1]


def test_labels_name_the_services_and_come_first():
    labels = {"http://lb/orders/1": "orders", "http://lb/users": "users"}
    samples = [_sample(0.1, "http://lb/users"), _sample(0.2, "http://lb/orders/1")]
    assert list(success_over_time(samples, labels)) == ["orders", "users"]
    assert label_from_url("http://127.0.0.1:8080/catalog/books") == "catalog"
    assert label_from_url("http://127.0.0.1:8080/") == "127.0.0.1:8080"


def test_latency_over_time_has_median_and_p95_per_bucket():
    samples = [_sample(0.1 * i, latency=0.01 * (i + 1)) for i in range(10)]
    point, = latency_over_time(samples, width=1.0)["users"]
    assert (point.p50_ms, point.p95_ms) == (pytest.approx(50.0), pytest.approx(100.0))


def test_served_by_ignores_a_malformed_header():
    assert served_by(Sample(0, "u", 200, None, 0.01, "users-1.0")) is None
    assert served_by(Sample(0, "u", 200, None, 0.01, None)) is None


def test_version_plot_stacks_each_version_and_failures_on_top():
    samples = [_sample(0.1, version="1"), _sample(1.1, version="2"), _sample(1.3, status=None, version=None)]
    figure = plot_versions(samples)
    axis = figure.axes[0]
    assert [text.get_text() for text in axis.get_legend().get_texts()] == ["version 1", "version 2",
                                                                          f"{FAILED} (1)"]
    assert "1 of 3 requests failed" in axis.get_title()
    assert figure._repr_png_().startswith(b"\x89PNG")  # a notebook keeps it as an image, pyplot or not


def test_success_plot_shades_the_fault_window_and_draws_a_line_per_service():
    samples = [_sample(0.1, "http://lb/users"), _sample(0.2, "http://lb/orders/1", status=500)]
    figure = plot_success(samples, windows=[Window(0.0, 0.5, "orders fault")])
    axis = figure.axes[0]
    assert len(axis.get_lines()) == 2
    assert len(axis.patches) == 1  # the shaded window
    assert plot_latency(samples).axes[0].get_ylabel() == "latency (ms)"
    assert len(plot_overview(samples).axes) == 2
