"""Which running data plane serves a moto backend: patched moto code asks here, since moto's state is per process."""
import threading


class AttachedPlanes:
    def __init__(self):
        self._lock = threading.Lock()
        self._planes: list = []

    def attach(self, plane) -> None:
        with self._lock:
            self._planes.append(plane)

    def detach(self, plane) -> None:
        with self._lock:
            if plane in self._planes:
                self._planes.remove(plane)

    def plane_for(self, backend):
        """The latest plane started that owns `backend`, or None (then moto behaves as it always did)."""
        with self._lock:
            return next((plane for plane in reversed(self._planes) if plane.owns(backend)), None)
