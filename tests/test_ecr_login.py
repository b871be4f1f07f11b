"""The workshop's ECR login after a CLI `docker login` stored credentials for the same registry: the docker SDK
must ask the engine with the new token (reauth), not answer with the stored one. The engine is a stub that
records what it is asked, so no engine is needed."""
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import docker
import pytest

from workshop.deploy import ecr_login

REGISTRY = "http://127.0.0.1:4510"


class StubEngine(BaseHTTPRequestHandler):
    logins: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path.endswith("/auth"):
            StubEngine.logins.append(body)
        answer = json.dumps({"IdentityToken": "", "Status": "Login Succeeded"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def engine(tmp_path, monkeypatch):
    """A docker client whose config holds the credentials of an earlier `docker login`, talking to the stub."""
    stored = base64.b64encode(b"AWS:token-from-an-earlier-cli-login").decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {REGISTRY: {"auth": stored}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    StubEngine.logins = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubEngine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield docker.DockerClient(base_url=f"tcp://127.0.0.1:{server.server_address[1]}", version="1.41")
    finally:
        server.shutdown()


class Ecr:
    def get_authorization_token(self):
        token = base64.b64encode(b"AWS:todays-token").decode()
        return {"authorizationData": [{"authorizationToken": token, "proxyEndpoint": REGISTRY}]}


def test_the_login_sends_todays_token_even_when_credentials_are_stored(engine):
    credentials = ecr_login(Ecr(), engine)
    assert credentials == {"username": "AWS", "password": "todays-token"}
    assert [(login["username"], login["password"], login["serveraddress"]) for login in StubEngine.logins] == [
        ("AWS", "todays-token", REGISTRY)]
