"""Every Python of this environment resolves `*.localhost` names to 127.0.0.1 (RFC 6761), as curl and browsers do.

The local cloud's load balancers and APIs answer at such names (`http://elb.localhost:41234/`), the same strings on
this host and in containers. A `.pth` file in site-packages makes each interpreter start with the rule installed
(`localcloud.loopback_names`), so a terminal's `python`, the Jupyter kernel and the tests all resolve them.
"""
import sysconfig
from pathlib import Path

from setup._console import done, step

PTH_FILE = Path(sysconfig.get_paths()["purelib"]) / "localcloud-localhost-names.pth"
PTH_LINE = "import localcloud.loopback_names\n"  # site runs lines that start with `import`


def ensure_localhost_names() -> None:
    if PTH_FILE.exists() and PTH_FILE.read_text() == PTH_LINE:
        done("*.localhost names resolve to 127.0.0.1 in this environment")
        return
    step(f"teaching this environment's Python that *.localhost is 127.0.0.1 ({PTH_FILE.name})")
    PTH_FILE.write_text(PTH_LINE)
    done("*.localhost names resolve to 127.0.0.1 in this environment")
