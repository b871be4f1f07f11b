"""An environment's log stream: output lands in its invocation, init output before START, and output that trails
an invocation already written is written as it comes (no later START may ever flush it)."""
from localcloud.awslambda.logs import EnvironmentLog


class FakeLogs:
    def __init__(self):
        self.events = []

    def create_log_group(self, group, tags):
        pass

    def create_log_stream(self, group, stream):
        pass

    def put_log_events(self, group, stream, events):
        self.events += [event["message"] for event in events]


def finished(entry):
    entry.closing = lambda: [f"END RequestId: {entry.request_id}"]
    return entry


def test_init_output_waits_for_start_and_invocation_output_for_end():
    logs = FakeLogs()
    stream = EnvironmentLog(logs, "notifier", "$LATEST")
    stream.output("loading handler\n")
    assert logs.events == []
    entry = stream.begin("r1", "$LATEST")
    stream.output('{"message": "order confirmed"}\n')
    stream.flush(finished(entry))
    assert logs.events == ["loading handler", "START RequestId: r1 Version: $LATEST",
                           '{"message": "order confirmed"}', "END RequestId: r1"]


def test_output_after_the_invocation_was_written_is_written_at_once():
    logs = FakeLogs()
    stream = EnvironmentLog(logs, "notifier", "$LATEST")
    entry = stream.begin("r1", "$LATEST")
    stream.flush(finished(entry))
    stream.output('{"message": "order conf')
    assert logs.events[-1] == "END RequestId: r1"  # half a line waits for its end
    stream.output('irmed"}\n')
    assert logs.events[-1] == '{"message": "order confirmed"}'
