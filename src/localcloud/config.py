"""Settings of one local cloud: where it listens, which region it serves, how it labels what it starts."""
import os
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.pace import Pace, from_environment as pace_from_environment

# moto.core.DEFAULT_ACCOUNT_ID, spelled out: importing moto takes half a second, and `up --detach` needs none of it
# (a test checks the two agree).
MOTO_DEFAULT_ACCOUNT_ID = "123456789012"

# Every container, network and volume the local cloud starts carries this label; `down` removes by it.
MANAGED_LABEL = "localcloud.managed"
PART_LABEL = "localcloud.part"

# The names under which the host and the containers reach the cloud's servers, each with the server's own port.
# Under `.localhost`: the host resolves them to 127.0.0.1 (RFC 6761; `localcloud.loopback_names`), and on the cloud
# network they are the edge container's aliases (`localcloud.edge`).
CLOUD_HOST = "localcloud.localhost"  # the AWS API, and the Lambda Runtime API of each function environment
LOAD_BALANCER_HOST = "elb.localhost"  # every load balancer's DNSName
API_HOST = "execute-api.localhost"  # every API Gateway API's endpoint
EDGE_ALIASES = [CLOUD_HOST, LOAD_BALANCER_HOST, API_HOST]
DEFAULT_REGISTRY_PORT = 4510


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(os.environ.get("LOCALCLOUD_STATE_DIR") or Path(base) / "localcloud")


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = field(default_factory=lambda: int(os.environ.get("LOCALCLOUD_PORT", "4566")))
    region: str = field(default_factory=lambda: os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    account_id: str = MOTO_DEFAULT_ACCOUNT_ID
    # Names this cloud among others on one engine (tests run their own); its label value and network name.
    instance: str = field(default_factory=lambda: os.environ.get("LOCALCLOUD_INSTANCE", "default"))
    # Where the registry that every repositoryUri names is published on 127.0.0.1 (0: any free port).
    registry_port: int = field(
        default_factory=lambda: int(os.environ.get("LOCALCLOUD_REGISTRY_PORT", DEFAULT_REGISTRY_PORT)))
    state_dir: Path = field(default_factory=_default_state_dir)
    # `local`: every change takes effect at once; `aws`: AWS's timing, compressed (LOCALCLOUD_PACE, _FACTOR).
    pace: Pace = field(default_factory=pace_from_environment)
    # Calls signed with an IAM user's access key are held to its policies (LOCALCLOUD_IAM=enforce; see iam_enforcement).
    enforce_iam: bool = field(default_factory=lambda: os.environ.get("LOCALCLOUD_IAM", "") == "enforce")

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def container_endpoint_url(self) -> str:
        """The AWS endpoint as containers on the cloud's network reach it: the edge, on the same port."""
        return f"http://{CLOUD_HOST}:{self.port}"

    @property
    def network(self) -> str:
        return "localcloud" if self.instance == "default" else f"localcloud-{self.instance}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localcloud.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localcloud.log"

    def client_environment(self) -> dict[str, str]:
        """What an AWS client (boto3, the AWS CLI, a notebook) needs to talk to this local cloud."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": self.region}
