"""connect(): the default prefix is refused in AWS mode, prefixes cannot overlap, AWS mode stops before anything is
created until the account id is confirmed (showing what the module creates and costs), a rehearsal takes the AWS
path against a local endpoint, and switching modes in one kernel leaves nothing of the other mode behind."""
import os

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from workshop import session as session_module
from workshop.session import ModeError, connect, use_local_cloud, use_real_account
from tests.aws_fakes import ACCOUNT, aws_environment  # noqa: F401

LOCAL = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
         "AWS_DEFAULT_REGION": "eu-west-3"}


@pytest.fixture
def opted_in(aws_environment, monkeypatch):  # noqa: F811
    monkeypatch.setenv("WORKSHOP_USE_REAL_AWS", "yes")
    monkeypatch.setenv("WORKSHOP_PREFIX", "alice1")
    for variable in ("WORKSHOP_AWS_ACCOUNT", "WORKSHOP_REHEARSAL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(session_module, "_before_local", {})
    with mock_aws():
        yield


@pytest.fixture
def fake_local_cloud(monkeypatch):
    monkeypatch.setattr(session_module, "ensure_local_cloud", lambda: dict(LOCAL))


@pytest.mark.parametrize("prefix", ["bob-x", "Bob", "b", "1bob", "a" * 21])
def test_a_prefix_that_could_begin_another_learners_names_is_refused(prefix, opted_in):
    with pytest.raises(ModeError, match="no dash"):
        connect("aws", prefix)


def test_aws_mode_needs_the_opt_in_first(opted_in, monkeypatch):
    monkeypatch.delenv("WORKSHOP_USE_REAL_AWS")
    with pytest.raises(ModeError, match="WORKSHOP_USE_REAL_AWS=yes"):
        connect("aws", "alice1", module="05")


def test_the_shared_default_prefix_is_refused_in_aws_mode(opted_in, monkeypatch):
    monkeypatch.delenv("WORKSHOP_PREFIX")
    with pytest.raises(ModeError, match="default 'bookshop' is the same for every learner.*WORKSHOP_PREFIX"):
        connect("aws", module="05")


def test_without_the_confirmed_account_nothing_goes_ahead_and_the_plan_is_shown(opted_in):
    with pytest.raises(ModeError) as refused:
        connect("aws", module="05")
    message = str(refused.value)
    assert "WORKSHOP_AWS_ACCOUNT is not set. Nothing was created" in message
    assert f"account {ACCOUNT}, region us-east-1, prefix 'alice1'" in message
    assert "Application Load Balancer" in message and "3 Fargate services" in message
    assert "USD per hour" in message and "USD per day" in message
    assert f"start JupyterLab with WORKSHOP_AWS_ACCOUNT={ACCOUNT}" in message


def test_credentials_for_another_account_are_refused(opted_in, monkeypatch):
    monkeypatch.setenv("WORKSHOP_AWS_ACCOUNT", "999999999999")
    with pytest.raises(ModeError, match=f"WORKSHOP_AWS_ACCOUNT is '999999999999', but these credentials are for "
                                        f"account {ACCOUNT}"):
        connect("aws", module="06")


def test_the_confirmed_account_connects_and_says_it_is_real(opted_in, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_AWS_ACCOUNT", ACCOUNT)
    session = connect("aws", module="05")
    assert (session.mode, session.account, session.prefix, session.rehearsal) == ("aws", ACCOUNT, "alice1", False)
    assert "a REAL AWS account (costs money)" in capsys.readouterr().out


def test_local_then_aws_restores_the_learners_credentials_and_region(opted_in, fake_local_cloud, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")  # the learner's own, which local mode overrides
    learners_key = os.environ["AWS_ACCESS_KEY_ID"]
    use_local_cloud()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "test"
    boto3.setup_default_session()
    assert boto3.session.Session().region_name == "eu-west-3"
    assert use_real_account() == "us-west-2"
    assert "AWS_ENDPOINT_URL" not in os.environ
    assert os.environ["AWS_ACCESS_KEY_ID"] == learners_key  # not local mode's "test"
    assert boto3.DEFAULT_SESSION is None


def test_local_then_aws_does_not_keep_the_region_local_mode_set(opted_in, fake_local_cloud, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    use_local_cloud()
    with pytest.raises(ModeError, match="no AWS region set"):
        use_real_account()


def test_aws_then_local_points_at_the_local_cloud_again(opted_in, fake_local_cloud):
    use_real_account()
    boto3.setup_default_session()
    assert use_local_cloud() == "eu-west-3"
    assert {variable: os.environ[variable] for variable in LOCAL} == LOCAL
    assert boto3.DEFAULT_SESSION is None


def test_a_left_over_local_endpoint_is_dropped_in_aws_mode(opted_in, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    use_real_account()
    assert "AWS_ENDPOINT_URL" not in os.environ


@pytest.fixture
def rehearsal(aws_environment, monkeypatch):  # noqa: F811
    """The AWS path against a local endpoint, as a rehearsal runs it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    for variable, value in {"WORKSHOP_REHEARSAL": "yes", "WORKSHOP_USE_REAL_AWS": "yes",
                            "WORKSHOP_PREFIX": "alice1"}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("WORKSHOP_AWS_ACCOUNT", raising=False)
    monkeypatch.setattr(session_module, "_before_local", {})
    yield f"http://{host}:{port}"
    server.stop()


def test_a_rehearsal_keeps_the_local_endpoint_and_says_so(rehearsal, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_AWS_ACCOUNT", ACCOUNT)
    session = connect("aws", module="05")
    assert session.rehearsal and session.mode == "aws"
    assert f"a rehearsal of AWS mode against the local cloud at {rehearsal}" in capsys.readouterr().out


def test_a_rehearsal_asks_for_the_account_like_a_real_account(rehearsal):
    with pytest.raises(ModeError, match=f"WORKSHOP_AWS_ACCOUNT={ACCOUNT}"):
        connect("aws", module="05")


def test_a_rehearsal_refuses_the_default_prefix_too(rehearsal, monkeypatch):
    monkeypatch.setenv("WORKSHOP_AWS_ACCOUNT", ACCOUNT)
    with pytest.raises(ModeError, match="choose your own prefix"):
        connect("aws", "bookshop", module="05")
