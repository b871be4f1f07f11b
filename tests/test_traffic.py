"""The poller against a tiny local server, and its summary and plot on hand-made samples."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workshop.traffic import Poller, Sample, during, longest_outage, percentile, plot, summarize, summary_table


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status = {"/ok": 200, "/broken": 503}.get(self.path, 404)
        if self.path == "/slow":
            time.sleep(0.5)
            status = 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_poller_records_each_url_with_status_and_latency(server):
    samples = Poller([f"{server}/ok", f"{server}/broken"], rate=20).run(0.5)
    ok = [s for s in samples if s.url.endswith("/ok")]
    broken = [s for s in samples if s.url.endswith("/broken")]
    assert ok and broken
    assert all(s.status == 200 and s.ok for s in ok)
    assert all(s.status == 503 and not s.ok for s in broken)
    assert all(s.latency > 0 for s in samples)
    assert [s.t for s in samples] == sorted(s.t for s in samples)


def test_a_hanging_url_is_still_asked_at_the_rate_and_does_not_hold_up_the_others(server):
    samples = Poller([f"{server}/ok", f"{server}/slow"], rate=10, timeout=0.2).run(1.0)
    slow = [s for s in samples if s.url.endswith("/slow")]
    ok = [s for s in samples if s.url.endswith("/ok")]
    assert all(s.error == "ReadTimeout" for s in slow)
    assert abs(len(slow) - len(ok)) <= 2  # open loop: a hanging server does not slow the clients down
    assert summarize(samples, f"{server}/ok").availability == 100.0


def test_refused_connections_are_failures_with_the_error_name():
    samples = Poller(["http://127.0.0.1:9/"], rate=20).run(0.3)
    assert samples and all(s.status is None and s.error == "ConnectError" for s in samples)
    assert summarize(samples).availability == 0.0


def test_stop_returns_after_the_threads_have_ended(server):
    poller = Poller([f"{server}/ok"], rate=50).start()
    time.sleep(0.2)
    poller.stop()
    count = len(poller.samples)
    time.sleep(0.2)
    assert len(poller.samples) == count


def test_marks_are_recorded_in_poll_time(server):
    with Poller([f"{server}/ok"], rate=20) as poller:
        time.sleep(0.2)
        poller.mark("fault on")
    assert [e.label for e in poller.events] == ["fault on"]
    assert 0.1 < poller.events[0].t < 1.0


def _samples(pattern: str, url="u", step=0.1):
    """Samples every `step` s: '.' a success, 'x' a failure."""
    return [Sample(i * step, url, 200 if c == "." else None, None if c == "." else "ConnectError", 0.01)
            for i, c in enumerate(pattern)]


def test_longest_outage_runs_from_first_failure_to_next_success():
    assert longest_outage(_samples("..xxx..x..")) == pytest.approx(0.3)
    assert longest_outage(_samples("..........")) == 0.0


def test_slow_answers_are_part_of_an_outage_but_not_failures():
    samples = _samples("..........")
    samples[3:6] = [Sample(s.t, s.url, 200, None, 0.9) for s in samples[3:6]]
    summary = summarize(samples)
    assert (summary.failed, summary.slow, summary.availability) == (0, 3, 100.0)
    assert summary.longest_outage_s == pytest.approx(0.3)


def test_an_outage_lasting_to_the_end_counts_to_the_last_answer():
    assert longest_outage(_samples("...xx")) == pytest.approx(0.11)


def test_summary_counts_availability_and_percentiles():
    summary = summarize(_samples("..x......."))
    assert (summary.requests, summary.failed, summary.availability) == (10, 1, 90.0)
    assert summary.p50_ms == pytest.approx(10.0)
    assert percentile([1, 2, 3, 4], 0.5) == 2
    assert percentile([1, 2, 3, 4], 0.95) == 4
    assert percentile([], 0.5) is None


def test_summary_table_has_one_row_per_url_with_its_label():
    table = summary_table(_samples("..", "a") + _samples("x.", "b"), labels={"a": "catalog"})
    assert [row["what"] for row in table.rows] == ["catalog", "b"]
    assert "<table>" in table._repr_html_()


def test_plot_has_one_panel_per_url_with_failures_in_red():
    figure = plot(_samples("..xx", "a") + _samples("....", "b"), labels={"a": "catalog", "b": "users"})
    axes = figure.get_axes()
    assert len(axes) == 2
    assert axes[0].get_title().startswith("catalog — 50% available")
    failed = [line for line in axes[0].get_lines() if line.get_color() == "tab:red"]
    assert len(failed[0].get_xdata()) == 2


def test_during_keeps_the_requests_sent_in_the_window():
    assert [s.t for s in during(_samples("....."), 0.05, 0.35)] == pytest.approx([0.1, 0.2, 0.3])
