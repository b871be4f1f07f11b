"""localcloud.engine picks the engine as the docker CLI does: DOCKER_HOST, DOCKER_CONTEXT, config.json, default."""
import hashlib
import json

import docker
import pytest

from localcloud import engine
from tests.docker_cli_fixtures import add_context, empty_config, meta_file, use_context

COLIMA = "unix:///Users/learner/.colima/default/docker.sock"
DESKTOP = "unix:///Users/learner/.docker/run/docker.sock"


@pytest.fixture
def config(tmp_path, monkeypatch):
    return empty_config(tmp_path, monkeypatch)


def test_docker_host_wins_over_any_context(config, monkeypatch):
    add_context(config, "colima", COLIMA)
    use_context(config, "colima")
    monkeypatch.setenv("DOCKER_CONTEXT", "colima")
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")

    assert engine.docker_host() == "tcp://127.0.0.1:2375"
    assert engine.selection() == "DOCKER_HOST"
    assert engine.environment() == {"DOCKER_HOST": "tcp://127.0.0.1:2375"}


def test_docker_host_brings_its_tls_settings(config, monkeypatch):
    for part in ("ca", "cert", "key"):
        (config / f"{part}.pem").write_text("not checked before connecting")
    monkeypatch.setenv("DOCKER_HOST", "tcp://engine.example:2376")
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(config))

    chosen = engine.select()

    assert (chosen.tls.verify, chosen.tls.ca_cert) == (True, str(config / "ca.pem"))
    assert chosen.tls.cert == (str(config / "cert.pem"), str(config / "key.pem"))
    assert engine.environment() == {"DOCKER_HOST": "tcp://engine.example:2376", "DOCKER_TLS_VERIFY": "1",
                                    "DOCKER_CERT_PATH": str(config)}


def test_the_current_context_in_config_json_is_read_from_its_meta_file(config):
    add_context(config, "colima", COLIMA)
    use_context(config, "colima")

    assert engine.docker_host() == COLIMA
    assert engine.selection() == "docker context colima"
    assert engine.environment() == {"DOCKER_HOST": COLIMA}


def test_docker_context_wins_over_config_json(config, monkeypatch):
    add_context(config, "colima", COLIMA)
    add_context(config, "desktop-linux", DESKTOP)
    use_context(config, "colima")
    monkeypatch.setenv("DOCKER_CONTEXT", "desktop-linux")

    assert (engine.docker_host(), engine.selection()) == (DESKTOP, "docker context desktop-linux")


@pytest.mark.parametrize("settings", [None, {"auths": {}}, {"currentContext": "default"}, {"currentContext": ""}])
def test_the_default_context_is_the_default_socket(config, settings):
    if settings is not None:
        (config / "config.json").write_text(json.dumps(settings))

    assert engine.docker_host() == engine.DEFAULT_SOCKET
    assert engine.selection() == "default socket"
    assert engine.environment() == {"DOCKER_HOST": engine.DEFAULT_SOCKET}


def test_docker_context_default_overrides_the_current_context(config, monkeypatch):
    add_context(config, "colima", COLIMA)
    use_context(config, "colima")
    monkeypatch.setenv("DOCKER_CONTEXT", "default")

    assert engine.selection() == "default socket"


def test_a_missing_context_names_it_and_how_to_go_back_to_the_default(config):
    use_context(config, "colima")

    with pytest.raises(engine.EngineSelectionError) as error:
        engine.docker_host()

    message = str(error.value)
    assert "docker context 'colima'" in message and "does not exist" in message
    assert str(meta_file(config, "colima")) in message
    assert "`colima start`" in message and "`docker context use default`" in message


def test_a_missing_context_named_by_docker_context_says_to_unset_it(config, monkeypatch):
    monkeypatch.setenv("DOCKER_CONTEXT", "remote")

    with pytest.raises(engine.EngineSelectionError) as error:
        engine.client()

    assert "docker context 'remote' (named by DOCKER_CONTEXT) does not exist" in str(error.value)
    assert "`unset DOCKER_CONTEXT`" in str(error.value)


@pytest.mark.parametrize("content", ["{not json", json.dumps({"Name": "colima", "Endpoints": {}}),
                                     json.dumps({"Name": "colima", "Endpoints": {"docker": {"Host": ""}}})])
def test_a_broken_context_names_it_its_file_and_the_fix(config, content):
    add_context(config, "colima", COLIMA).write_text(content)
    use_context(config, "colima")

    with pytest.raises(engine.EngineSelectionError) as error:
        engine.selection()

    message = str(error.value)
    assert "docker context 'colima'" in message and "is broken" in message
    assert str(meta_file(config, "colima")) in message
    assert "`docker context rm colima`" in message and "`docker context use default`" in message


def test_an_unreadable_config_json_names_the_file(config):
    (config / "config.json").write_text("{broken")

    with pytest.raises(engine.EngineSelectionError, match=f"{config / 'config.json'} cannot be read"):
        engine.docker_host()


def test_a_selection_error_is_a_docker_exception():
    # So every `except docker.errors.DockerException` that handles an unreachable engine handles it too.
    assert issubclass(engine.EngineSelectionError, docker.errors.DockerException)


def test_a_context_with_tls_material_uses_it(config):
    add_context(config, "remote", "tcp://engine.example:2376")
    use_context(config, "remote")
    certificates = config / "contexts" / "tls" / hashlib.sha256(b"remote").hexdigest() / "docker"
    certificates.mkdir(parents=True)
    for part in ("ca", "cert", "key"):
        (certificates / f"{part}.pem").write_text("not checked before connecting")

    chosen = engine.select()

    assert (chosen.tls.verify, chosen.tls.ca_cert) == (True, str(certificates / "ca.pem"))
    assert chosen.tls.cert == (str(certificates / "cert.pem"), str(certificates / "key.pem"))
    assert engine.environment() == {"DOCKER_HOST": "tcp://engine.example:2376", "DOCKER_CERT_PATH": str(certificates),
                                    "DOCKER_TLS_VERIFY": "1"}


@pytest.mark.docker
def test_the_client_talks_to_the_engine_a_context_names(tmp_path, monkeypatch):
    reachable = engine.docker_host()  # this machine's engine, however it is configured here
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        monkeypatch.delenv(name, raising=False)
    add_context(tmp_path, "workshop-test", reachable)
    use_context(tmp_path, "workshop-test")

    client = engine.client(timeout=7)

    assert client.ping()
    assert client.api.timeout == 7
    assert engine.architecture(client).machine in ("x86_64", "aarch64")
