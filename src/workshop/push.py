"""Push an image to a registry (ECR) with the Docker SDK, showing each layer's progress.

`push_image(client, repository_uri, tag, auth_config)` reads the engine's push stream (`images.push(...,
stream=True, decode=True)`), follows every layer (waiting, pushing with bytes sent, pushed, already there), and
returns the digest and size the registry reported. A refused push raises `PushFailed` with the registry's reason.
As with builds, the logic (`PushState`) knows no display; `WidgetPushDisplay` shows one bar per layer in Jupyter.
"""
import time
from dataclasses import dataclass, field

import docker

from workshop.docker_client import WorkshopError
from workshop.images import human_size, in_notebook
from workshop.tables import Table

DONE_STATUSES = ("Pushed", "Layer already exists")


class PushFailed(WorkshopError):
    """The registry refused the push; the message is its reason and what to do."""


@dataclass
class Layer:
    id: str
    status: str = "Waiting"
    sent: int = 0
    total: int = 0

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES or self.status.startswith("Mounted from")

    @property
    def reused(self) -> bool:
        return self.status == "Layer already exists" or self.status.startswith("Mounted from")


@dataclass
class PushState:
    layers: dict[str, Layer] = field(default_factory=dict)
    digest: str | None = None
    size: int | None = None
    error: str | None = None

    def feed(self, event: dict) -> Layer | None:
        """Take one event of the push stream; returns the layer it changed, if any."""
        if "error" in event:
            self.error = event.get("errorDetail", {}).get("message") or event["error"]
            return None
        if "aux" in event:
            self.digest, self.size = event["aux"].get("Digest"), event["aux"].get("Size")
            return None
        layer_id, status = event.get("id"), event.get("status", "")
        if not layer_id or status.startswith("The push refers to"):
            return None
        layer = self.layers.setdefault(layer_id, Layer(layer_id))
        layer.status = status
        detail = event.get("progressDetail") or {}
        if detail.get("total"):
            layer.sent, layer.total = detail.get("current", 0), detail["total"]
        if layer.done and layer.total:
            layer.sent = layer.total
        return layer


@dataclass
class PushResult:
    uri: str
    digest: str
    size: int
    seconds: float
    layers: list[Layer]

    @property
    def pushed_layers(self) -> int:
        return sum(1 for layer in self.layers if not layer.reused)

    def __str__(self) -> str:
        reused = len(self.layers) - self.pushed_layers
        return (f"pushed {self.uri} in {self.seconds:.1f} s: {self.pushed_layers} layer(s) sent, {reused} already "
                f"in the registry; digest {self.digest}")

    def layers_table(self) -> Table:
        return Table([{"layer": layer.id, "result": layer.status,
                       "size": human_size(layer.total) if layer.total else ""} for layer in self.layers],
                     title=f"{self.uri}: {len(self.layers)} layers")


class TextPushDisplay:
    def started(self, uri: str) -> None:
        print(f"→ pushing {uri}", flush=True)

    def changed(self, layer: Layer) -> None:
        if layer.done:
            print(f"  {layer.id}: {layer.status}", flush=True)

    def finished(self, result: "PushResult | None", error: str | None) -> None:
        print(f"✔ {result}" if result else f"✘ push failed: {error}", flush=True)


class QuietPushDisplay(TextPushDisplay):
    """Nothing but a failure, for pushes that are not the lesson (catch-up reports its own line)."""

    def started(self, uri: str) -> None:
        pass

    def changed(self, layer: Layer) -> None:
        pass

    def finished(self, result: "PushResult | None", error: str | None) -> None:
        if result is None:
            super().finished(result, error)


class WidgetPushDisplay:
    """One progress bar per layer, as `docker push` draws them."""

    def __init__(self):
        import ipywidgets as widgets
        from IPython.display import display

        self._widgets = widgets
        self.title = widgets.HTML()
        self.rows = widgets.VBox()
        self.bars: dict[str, tuple] = {}
        display(widgets.VBox([self.title, self.rows]))

    def started(self, uri):
        self.title.value = f"<b>pushing {uri}</b>"

    def changed(self, layer):
        widgets = self._widgets
        if layer.id not in self.bars:
            bar = widgets.FloatProgress(min=0, max=1, value=0, layout=widgets.Layout(width="30%"))
            label = widgets.HTML()
            self.bars[layer.id] = (bar, label)
            self.rows.children = (*self.rows.children, widgets.HBox([widgets.Label(layer.id), bar, label]))
        bar, label = self.bars[layer.id]
        bar.value = 1 if layer.done else (layer.sent / layer.total if layer.total else 0)
        bar.bar_style = "success" if layer.done else ""
        sent = f" {human_size(layer.sent)} / {human_size(layer.total)}" if layer.total and not layer.done else ""
        label.value = f"&nbsp;{layer.status}{sent}"

    def finished(self, result, error):
        # Also as plain text, for viewers that do not render widgets.
        print(f"✔ {result}" if result else f"✘ push failed: {error}")


def push_image(client: docker.DockerClient, repository_uri: str, tag: str, auth_config: dict,
               display=None) -> PushResult:
    """Push `repository_uri:tag` (already tagged locally) and return what the registry reported."""
    display = display or (WidgetPushDisplay() if in_notebook() else TextPushDisplay())
    uri = f"{repository_uri}:{tag}"
    state = PushState()
    display.started(uri)
    started = time.monotonic()
    try:
        for event in client.images.push(repository_uri, tag, auth_config=auth_config, stream=True, decode=True):
            layer = state.feed(event)
            if layer is not None:
                display.changed(layer)
    except docker.errors.APIError as error:
        state.error = str(error.explanation or error)
    if state.error or not state.digest:
        reason = state.error or "the registry reported no digest"
        display.finished(None, reason)
        raise PushFailed(f"pushing {uri} failed: {reason}")
    result = PushResult(uri=uri, digest=state.digest, size=state.size or 0, seconds=time.monotonic() - started,
                        layers=list(state.layers.values()))
    display.finished(result, None)
    return result
