"""Fixtures for every sample service's tests."""
import pytest


class ProcessExited(Exception):
    """Raised where a crash fault would end the process: the real exit never returns."""


@pytest.fixture
def stop_exits(monkeypatch):
    """`stop_exits(module)` makes `module.exit_process` record its code and raise ProcessExited instead of exiting;
    returns the list of codes. The exception class is `stop_exits.exited`."""
    def stop(module) -> list[int]:
        codes = []

        def fake_exit(code):
            codes.append(code)
            raise ProcessExited

        monkeypatch.setattr(module, "exit_process", fake_exit)
        return codes
    stop.exited = ProcessExited
    return stop
