"""Module 08's confirmation figures: which notifier lines count for a spike, and what the table says of them."""
import json

import pytest

from workshop.confirmations import Spike, confirmation_rows, confirmations, plot_confirmations, wait_for_confirmations
from workshop.resilience import OrderSample

BEGAN = 1_800_000_000.0


class NoGroup(Exception):
    pass


class FakeLogs:
    """filter_log_events over a list of (epoch seconds, message), honouring startTime as CloudWatch does."""

    class exceptions:
        ResourceNotFoundException = NoGroup

    def __init__(self, lines=None):
        self.lines = lines
        self.asked = []

    def get_paginator(self, name):
        assert name == "filter_log_events"
        return self

    def paginate(self, **options):
        self.asked.append(options)
        if self.lines is None:
            raise NoGroup()
        events = [{"timestamp": int(at * 1000), "message": message} for at, message in self.lines
                  if at * 1000 >= options["startTime"]]
        yield {"events": events}


def confirmed_line(order_id, via):
    return json.dumps({"service": "notifier", "message": "order confirmed", "order_id": order_id, "via": via})


def order(t, order_id, confirmation, latency=0.01, status=201):
    return OrderSample(t, "http://lb/orders#place", status, None, latency, None, confirmation, order_id)


def test_only_confirmed_lines_of_the_right_path_since_the_spike_count():
    logs = FakeLogs([(BEGAN - 5, confirmed_line(1, "sqs")),           # before the spike
                     (BEGAN + 1, confirmed_line(2, "sqs")),
                     (BEGAN + 2, confirmed_line(3, "http")),          # the other path
                     (BEGAN + 3, "START RequestId: abc"),             # the runtime's own lines
                     (BEGAN + 4, json.dumps({"message": "something else", "order_id": 4, "via": "sqs"}))])
    found = confirmations(logs, "bookshop-notifier", BEGAN, "sqs")
    assert [(c.order_id, c.at) for c in found] == [(2, 1.0)]
    assert logs.asked[0]["logGroupName"] == "/aws/lambda/bookshop-notifier"


def test_a_function_that_never_logged_has_no_confirmations():
    assert confirmations(FakeLogs(None), "bookshop-notifier", BEGAN, "sqs") == []


def test_waiting_ignores_other_orders_and_returns_once_every_queued_order_is_confirmed():
    burst = Spike(began=BEGAN, seconds=1, samples=[order(0.1, 10, "queued"), order(0.2, 11, "queued"),
                                                   order(0.3, None, None, status=503)])
    logs = FakeLogs([(BEGAN + 0.5, confirmed_line(9, "sqs")),    # an earlier order, still in the queue
                     (BEGAN + 2.0, confirmed_line(10, "sqs")), (BEGAN + 3.0, confirmed_line(11, "sqs"))])
    found = wait_for_confirmations(logs, "n", burst, via="sqs", deadline_seconds=5, pause=0)
    assert [c.order_id for c in found] == [10, 11] and len(logs.asked) == 1


def test_a_shortfall_is_returned_at_the_deadline_not_raised():
    burst = Spike(began=BEGAN, seconds=1, samples=[order(0.1, 10, "sent"), order(0.2, 11, "failed")])
    logs = FakeLogs([])
    assert wait_for_confirmations(logs, "n", burst, via="http", deadline_seconds=0, pause=0) == []


def test_the_table_counts_orders_never_confirmed_and_how_late_the_others_were():
    queued = Spike(began=BEGAN, seconds=1, samples=[order(0.0, 1, "queued"), order(0.5, 2, "queued")])
    synchronous = Spike(began=BEGAN, seconds=1, samples=[order(0.0, 3, "sent", latency=0.3),
                                                         order(0.1, 4, "failed"), order(0.2, None, None, status=500)])
    logs_queued = FakeLogs([(BEGAN + 4.01, confirmed_line(1, "sqs")), (BEGAN + 6.51, confirmed_line(2, "sqs"))])
    logs_sync = FakeLogs([(BEGAN + 0.25, confirmed_line(3, "http"))])
    runs = {"queued": (queued, confirmations(logs_queued, "n", BEGAN, "sqs")),
            "synchronous": (synchronous, confirmations(logs_sync, "n", BEGAN, "http"))}
    rows = {(row["confirmation"], row["X-Confirmation"]): row for row in confirmation_rows(runs)}
    assert list(rows) == [("queued", "queued"), ("synchronous", "sent"), ("synchronous", "failed")]
    queued_row = rows["queued", "queued"]
    assert (queued_row["orders"], queued_row["confirmed"], queued_row["never confirmed"]) == (2, 2, 0)
    assert queued_row["latest confirmation after the answer, s"] == pytest.approx(6.0, abs=0.05)
    assert queued_row["p50 ms"] == 10
    sent, failed = rows["synchronous", "sent"], rows["synchronous", "failed"]
    assert (sent["orders"], sent["confirmed"], sent["p50 ms"]) == (1, 1, 300)
    assert sent["latest confirmation after the answer, s"] == 0.0  # before orders answered
    assert (failed["orders"], failed["confirmed"], failed["never confirmed"]) == (1, 0, 1)
    assert failed["latest confirmation after the answer, s"] is None
    figure = plot_confirmations(runs, title="spike")
    assert len(figure.axes) == 4 and figure._repr_png_().startswith(b"\x89PNG")
