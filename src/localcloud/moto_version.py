"""The moto release the local cloud's providers and remaining replacements were written and checked against."""
import logging
from importlib.metadata import version

log = logging.getLogger(__name__)

TESTED = "5.2.5"  # keep equal to the pin in pyproject.toml and environment.yml (a test checks)


def check() -> dict:
    """The installed moto against the tested one; a different release is logged, since providers rely on its
    models (tests/localcloud/test_moto_guard*.py list what they rely on)."""
    installed = version("moto")
    if installed != TESTED:
        log.warning("moto %s is installed; the local cloud is tested with moto %s: run "
                    "`pytest tests/localcloud -k moto_guard` to see what changed, or install moto==%s",
                    installed, TESTED, TESTED)
    return {"installed": installed, "tested": TESTED, "same": installed == TESTED}
