"""The rehearsal's own logic, without an engine: when it passes, and the real-account path that asks first."""
import boto3
import pytest
from moto import mock_aws

from workshop import rehearsal
from workshop.rehearsal import ModuleRun, Rehearsal


def test_a_rehearsal_passes_only_if_every_module_passed_nothing_was_refused_and_nothing_is_left():
    ok = [ModuleRun("04", "04_ecr.ipynb", True, 10.0)]
    assert Rehearsal("p", 20, ok).passed
    assert not Rehearsal("p", 20, []).passed
    assert not Rehearsal("p", 20, [*ok, ModuleRun("05", "05_ecs.ipynb", False, 3.0, "boom")]).passed
    assert not Rehearsal("p", 20, ok, refused={"ecs:CreateService": 1}).passed
    assert not Rehearsal("p", 20, ok, left={"ecs": ["p-cluster"]}).passed


@pytest.fixture
def real_account(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("sts").get_caller_identity()["Account"]


def test_on_a_real_account_it_stops_unless_the_account_id_is_typed_back(real_account, monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(rehearsal, "run_module", lambda *args: ran.append(args))
    assert rehearsal.rehearse_on_real_account("jd1", ("05",), ask=lambda prompt: "000000000000") == 1
    out = capsys.readouterr().out
    assert real_account in out and "eu-west-1" in out and "USD" in out
    assert "stopped: nothing was created" in out and not ran


def test_on_a_real_account_a_prefix_of_ones_own_is_needed(real_account, monkeypatch):
    monkeypatch.setattr(rehearsal, "run_module", lambda *args: pytest.fail("nothing may run"))
    assert rehearsal.rehearse_on_real_account(rehearsal.DEFAULT_PREFIX, ("05",), ask=lambda prompt: real_account) == 2


def test_aws_wall_time_separates_the_work_from_aws_s_compressed_waiting():
    work, waiting = {"05": 60.0, "06": 20.0}, {"05": 600.0, "06": 40.0}
    runs = {factor: {module: work[module] + waiting[module] / factor for module in work} for factor in (20.0, 5.0)}
    estimates = rehearsal.aws_wall_time(runs)
    assert estimates == pytest.approx({"05": 660.0, "06": 60.0})
