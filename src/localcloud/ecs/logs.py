"""The `awslogs` log driver: a container's output becomes events in CloudWatch Logs (moto's logs backend)."""
import logging
import threading
from datetime import datetime

from moto.logs.exceptions import ResourceAlreadyExistsException

log = logging.getLogger(__name__)


class LogGroupMissing(Exception):
    """The task's awslogs group does not exist and `awslogs-create-group` is not "true"."""


def awslogs_options(definition: dict) -> dict | None:
    configuration = definition.get("logConfiguration") or {}
    return configuration.get("options") or {} if configuration.get("logDriver") == "awslogs" else None


def stream_name(options: dict, container_name: str, task_id: str) -> str:
    prefix = options.get("awslogs-stream-prefix")
    return f"{prefix}/{container_name}/{task_id}" if prefix else task_id


def prepare_destination(logs_backend, options: dict, stream: str) -> None:
    """Create the group (if asked to) and the stream, before the container starts, as the log driver does."""
    group = options.get("awslogs-group", "")
    if group not in logs_backend.groups:
        if str(options.get("awslogs-create-group", "")).lower() != "true":
            raise LogGroupMissing(
                "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
                "times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group "
                f"does not exist. : exit status 1 (log group {group})")
        try:
            logs_backend.create_log_group(group, tags={})
        except ResourceAlreadyExistsException:
            pass
    if stream not in logs_backend.groups[group].streams:
        logs_backend.create_log_stream(group, stream)


def parse_line(line: str) -> dict:
    """A line of `docker logs --timestamps`: an RFC 3339 nanosecond timestamp, a space, the message."""
    stamp, _, message = line.partition(" ")
    try:
        seconds, _, fraction = stamp.rstrip("Z").partition(".")
        moment = datetime.fromisoformat(seconds + "+00:00")
        millis = int(moment.timestamp() * 1000) + int((fraction + "000")[:3])
    except ValueError:
        millis, message = int(datetime.now().timestamp() * 1000), line
    return {"timestamp": millis, "message": message}


class LogShipper:
    """Follows one container's output in a thread until the container ends, writing each line as an event."""

    def __init__(self, container, logs_backend, group: str, stream: str):
        self._container, self._logs, self._group, self._stream = container, logs_backend, group, stream
        self._output = None
        self._thread = threading.Thread(target=self._follow, name=f"awslogs-{stream}", daemon=True)

    def start(self) -> "LogShipper":
        self._output = self._container.logs(stream=True, follow=True, timestamps=True)
        self._thread.start()
        return self

    def finish(self, timeout: float = 5.0) -> None:
        """Wait for the output to end (the container stopped); cut it off if it does not within `timeout`."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.close()
            self._thread.join()

    def close(self) -> None:
        if self._output is not None:
            try:
                self._output.close()
            except Exception:  # the stream may already be closed by the engine
                pass

    def _follow(self) -> None:
        pending = ""
        try:
            for chunk in self._output:
                pending += chunk.decode("utf-8", errors="replace")
                *lines, pending = pending.split("\n")
                self._put([parse_line(line) for line in lines if line])
        except Exception as error:  # a closed stream ends the loop; anything else is worth a line in the log
            log.debug("log stream of %s ended: %s", self._stream, error)
        if pending:
            self._put([parse_line(pending)])

    def _put(self, events: list[dict]) -> None:
        if not events:
            return
        try:
            self._logs.put_log_events(self._group, self._stream, sorted(events, key=lambda e: e["timestamp"]))
        except Exception:
            log.exception("could not write %d log events to %s/%s", len(events), self._group, self._stream)
