"""The plane loader: a plane that fails stops only itself and what needs it; every other plane still starts."""
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from localcloud import cloud as cloud_module
from localcloud.cli import print_failed_parts, status_command
from localcloud.cloud import LocalCloud, loadings
from localcloud.config import Config
from localcloud.plane_context import PlaneContext
from localcloud.plane_loader import Loading, PlaneLoader, PlaneSpec, check_needs

WAIT_S = 30


class FakePlane:
    """A data plane that records its start, fails if told to, and waits for the test if gated."""

    def __init__(self, name: str, fail_with: Exception | None = None, gated: bool = False):
        self.name = name
        self.fail_with = fail_with
        self.entered, self.release = threading.Event(), threading.Event()
        if not gated:
            self.release.set()
        self.started = self.stopped = False

    def start(self, cloud) -> None:
        self.context = cloud
        self.entered.set()
        self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def reset(self) -> None:
        pass

    def status(self) -> dict:
        return {"ready": True, "endpoint": f"fake://{self.name}"}


def loading(plane: FakePlane, backends: tuple[str, ...] = (), needs: tuple[str, ...] = ()) -> Loading:
    return Loading(plane.name, backends, lambda: plane, needs)


def load(*loadings_: Loading, prepare=lambda: None) -> PlaneLoader:
    loader = PlaneLoader(list(loadings_), start_plane=lambda plane: plane.start(None), prepare=prepare).start()
    assert loader.wait(WAIT_S)
    return loader


def test_a_failing_plane_leaves_the_independent_planes_after_it_started():
    failing, independent = FakePlane("ecr", fail_with=RuntimeError("registry port taken")), FakePlane("ecs")
    loader = load(loading(failing), loading(independent))
    assert independent.started and loader.started == [independent]
    assert loader.failure is None  # the cloud is still of use
    assert set(loader.failed) == {"ecr"} and str(loader.failed["ecr"]) == "registry port taken"


def test_a_plane_that_needs_a_failed_one_is_not_started_and_says_why():
    failing, needing, after = FakePlane("lambda", fail_with=RuntimeError("no image")), FakePlane("apigateway"), \
        FakePlane("other")
    loader = load(loading(failing), loading(needing, needs=("lambda",)), loading(after))
    assert not needing.entered.is_set()
    assert loader.status() == {
        "lambda": {"ready": False, "error": "RuntimeError: no image"},
        "apigateway": {"ready": False, "error": "not started: it needs the lambda part, which failed to start"},
        "other": {"ready": True, "endpoint": "fake://other"}}
    assert loader.started == [after]


def test_what_needs_a_plane_left_unstarted_is_left_unstarted_too():
    first, second, third = FakePlane("a", fail_with=OSError("boom")), FakePlane("b"), FakePlane("c")
    loader = load(loading(first), loading(second, needs=("a",)), loading(third, needs=("b",)))
    assert loader.status()["c"] == {"ready": False, "error": "not started: it needs the b part, which failed to start"}
    assert not second.entered.is_set() and not third.entered.is_set()


def test_calls_to_each_backend_of_a_plane_that_did_not_start_are_refused_saying_why():
    failing, needing, running = FakePlane("lambda", fail_with=RuntimeError("no image")), FakePlane("apigateway"), \
        FakePlane("ecs")
    loader = load(loading(failing, ("awslambda", "sqs")), loading(needing, ("apigateway", "apigatewayv2"), ("lambda",)),
                  loading(running, ("ecs", "ec2")))
    for backend in ("awslambda", "sqs"):
        assert loader.hold(backend, 1) == ("the local cloud's lambda part failed to start (RuntimeError: no image); "
                                           "see its log, then `localcloud down` and `localcloud up --detach`")
    for backend in ("apigateway", "apigatewayv2"):
        assert loader.hold(backend, 1).startswith(
            "the local cloud's apigateway part failed to start (not started: it needs the lambda part")
    assert loader.hold("ecs", 1) is None and loader.hold("ec2", 1) is None  # a running plane serves
    assert loader.hold("sts", 1) is None  # no plane patches it


def test_a_plane_whose_import_fails_is_reported_as_failed_and_the_next_still_starts():
    def broken_import():
        raise ImportError("No module named 'openapi_spec_validator'")
    after = FakePlane("after")
    loader = load(Loading("apigateway", ("apigateway",), broken_import), loading(after))
    assert loader.status()["apigateway"] == {
        "ready": False, "error": "ImportError: No module named 'openapi_spec_validator'"}
    assert after.started and loader.failure is None


def test_when_every_plane_fails_the_loading_fails_with_the_first_error():
    first_error = RuntimeError("no engine")
    loader = load(loading(FakePlane("a", fail_with=first_error)), loading(FakePlane("b"), needs=("a",)),
                  loading(FakePlane("c", fail_with=OSError("disk full"))))
    assert loader.failure is first_error and loader.started == []


def test_a_failed_preparation_fails_every_plane_and_the_loading():
    def prepare():
        raise ConnectionError("network localcloud cannot be created")
    plane = FakePlane("ecr")
    loader = load(loading(plane, ("ecr",)), prepare=prepare)
    assert isinstance(loader.failure, ConnectionError) and not plane.entered.is_set()
    assert loader.status()["ecr"] == {
        "ready": False, "error": "not started: ConnectionError: network localcloud cannot be created"}


def test_a_partial_failure_is_logged_as_a_warning_naming_the_parts_that_did_not_start(caplog):
    with caplog.at_level(logging.WARNING, logger="localcloud.plane_loader"):
        load(loading(FakePlane("lambda", fail_with=RuntimeError("x"))),
             loading(FakePlane("apigateway"), needs=("lambda",)), loading(FakePlane("ecs")))
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == ["parts of the local cloud that did not start: apigateway, lambda (see above); calls to them "
                        "are refused saying why, the other parts run"]


def test_status_while_a_plane_starts_says_loading_and_calls_to_it_wait():
    gated = FakePlane("ecr", gated=True)
    loader = PlaneLoader([loading(gated, ("ecr",))], start_plane=lambda plane: plane.start(None)).start()
    try:
        assert gated.entered.wait(WAIT_S)
        assert loader.status() == {"ecr": {"ready": False, "loading": True}}
        assert loader.hold("ecr", 0.05) == "the local cloud's ecr part is still loading; try again in a moment"
        gated.release.set()
        assert loader.hold("ecr", WAIT_S) is None
    finally:
        gated.release.set()
        loader.stop()


def test_stopping_while_loading_waits_for_the_plane_starting_and_starts_no_other():
    first, second = FakePlane("first", gated=True), FakePlane("second")
    loader = PlaneLoader([loading(first, ("sqs",)), loading(second, ("sns",))],
                         start_plane=lambda plane: plane.start(None)).start()
    assert first.entered.wait(WAIT_S)
    with ThreadPoolExecutor(1) as pool:
        stopped = pool.submit(loader.stop)
        while not loader.stopping:
            threading.Event().wait(0.01)
        first.release.set()
        assert stopped.result(timeout=WAIT_S) == [first]
    assert not second.entered.is_set() and loader.failure is None
    assert loader.status()["second"] == {"ready": False, "error": "not started: the local cloud is stopping"}


def test_a_plane_may_need_only_planes_that_start_before_it():
    with pytest.raises(ValueError, match="the a plane needs b, which start"):
        check_needs([loading(FakePlane("a"), needs=("b",)), loading(FakePlane("b"))])
    check_needs(loadings(None))  # the declared planes are in an order that satisfies their needs


def test_given_planes_keep_only_the_needs_among_them(monkeypatch):
    monkeypatch.setattr(cloud_module, "DATA_PLANES", (PlaneSpec("lambda", "x:Y", ("awslambda",)),
                                                      PlaneSpec("apigateway", "x:Z", ("apigateway",), ("lambda",))))
    alone = loadings([FakePlane("apigateway")])
    both = loadings([FakePlane("lambda"), FakePlane("apigateway")])
    assert [(item.name, item.moto_backends, item.needs) for item in alone] == [("apigateway", ("apigateway",), ())]
    assert [item.needs for item in both] == [(), ("lambda",)]  # the caller chose what runs


def test_the_status_line_under_the_parts_says_what_did_not_start_and_whether_the_rest_runs(capsys):
    config = Config(state_dir=Path("state"))
    ready, failed = {"ready": True}, {"ready": False, "error": "RuntimeError: x"}
    print_failed_parts(config, {"control-plane": ready, "edge": ready, "ecs": ready})
    print_failed_parts(config, {"control-plane": ready, "lambda": failed, "ecs": ready})
    print_failed_parts(config, {"control-plane": ready, "lambda": failed, "ecs": failed})
    assert capsys.readouterr().out.splitlines() == [
        "not started: lambda (the other parts run); its log says why (state/localcloud.log when detached); "
        "`localcloud down`, then `localcloud up --detach`, retries",
        "not started: lambda, ecs (only the AWS API answers); its log says why (state/localcloud.log when detached); "
        "`localcloud down`, then `localcloud up --detach`, retries"]


# --- the cloud around the loader: one failed part leaves it running, all failed stops it --------------------------

class FakeEngine:
    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass


@pytest.fixture
def engine_free(monkeypatch):
    """A LocalCloud whose engine, network and clean-up are stand-ins: only its control plane and planes run."""
    monkeypatch.setattr(cloud_module.engine, "client", FakeEngine)
    monkeypatch.setattr(LocalCloud, "_prepare_engine", lambda self: None)
    monkeypatch.setattr(cloud_module.docker_resources, "remove_everything", lambda engine, instance: {})


def test_a_cloud_with_one_failed_part_keeps_running_and_its_status_says_which(engine_free, capsys):
    failing, running = FakePlane("lambda", fail_with=RuntimeError("no image")), FakePlane("ecs")
    cloud = LocalCloud(Config(port=0, instance="t-loader"), data_planes=[failing, running]).start(wait=True)
    try:
        parts = cloud.status()["parts"]
        assert parts["lambda"] == {"ready": False, "error": "RuntimeError: no image"}
        assert parts["ecs"] == {"ready": True, "endpoint": "fake://ecs"}
        assert cloud.planes == [running]
        status_command(cloud.config, as_json=False)
        out = capsys.readouterr().out
        assert "✘ lambda         failed: RuntimeError: no image" in out and "✔ ecs" in out
        assert "not started: lambda (the other parts run)" in out
    finally:
        cloud.stop()
    assert running.stopped


def test_a_cloud_whose_every_part_failed_raises_and_stops(engine_free):
    cloud = LocalCloud(Config(port=0, instance="t-loader"),
                       data_planes=[FakePlane("ecr", fail_with=RuntimeError("registry port taken"))])
    with pytest.raises(RuntimeError, match="registry port taken"):
        cloud.start(wait=True)
    assert cloud.status()["parts"]["ecr"]["error"] == "RuntimeError: registry port taken"


def test_a_plane_gets_a_narrow_context_and_finds_a_part_that_does_not_run_as_none(engine_free):
    failing, running = FakePlane("lambda", fail_with=RuntimeError("no image")), FakePlane("ecs")
    cloud = LocalCloud(Config(port=0, instance="t-loader"), data_planes=[failing, running]).start(wait=True)
    try:
        context = running.context
        assert isinstance(context, PlaneContext) and not hasattr(context, "planes") and not hasattr(context, "stop")
        assert context.part("ecs") is running and context.part("lambda") is None
        assert context.config.port == cloud.config.port  # the port the control plane really took
        assert cloud.part("ecs") is running
        with pytest.raises(LookupError, match="lambda part does not run"):
            cloud.part("lambda")
    finally:
        cloud.stop()
