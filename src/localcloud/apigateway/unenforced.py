"""Settings that are stored but not enforced locally: said once per API and feature, never silently pretended."""
import logging
import threading
import warnings

log = logging.getLogger(__name__)


class NotEnforcedLocally(UserWarning):
    """An API Gateway feature is configured that the local cloud stores but does not apply."""


class UnenforcedNotices:
    def __init__(self):
        self._said: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def notice(self, api_id: str, feature: str, what_happens: str) -> None:
        with self._lock:
            if (api_id, feature) in self._said:
                return
            self._said.add((api_id, feature))
        message = f"API {api_id}: {feature} is stored but not enforced by the local cloud; {what_happens}"
        log.warning(message)
        warnings.warn(message, NotEnforcedLocally, stacklevel=2)

    def said(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self._said)

    def clear(self) -> None:
        with self._lock:
            self._said.clear()
