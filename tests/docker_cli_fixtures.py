"""A docker CLI configuration folder as `docker context create` and `docker context use` leave it."""
import hashlib
import json


def empty_config(tmp_path, monkeypatch):
    """An empty configuration folder, and no engine settings in the environment."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def meta_file(config, name):
    return config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"


def add_context(config, name, host, **endpoint):
    """A context as `docker context create` stores it."""
    path = meta_file(config, name)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"Name": name, "Metadata": {},
                                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False, **endpoint}}}))
    return path


def use_context(config, name):
    """What `docker context use NAME` writes."""
    (config / "config.json").write_text(json.dumps({"auths": {}, "currentContext": name}))
