"""The dashboard widget: a thin ipywidgets layer over `state`, `actions` and `load`.

    board = dashboard(ecs, elbv2, cluster="shop", load_balancer="shop", urls={"users": f"{base}/users"})
    board                  # live in JupyterLab: tables, a slider per service, stop a task, start/stop load
    board.show()           # the same tables as plain values (what a notebook run without a browser keeps)
    board.close()          # stops the refresh thread (and the load it started)

A background thread re-reads the state every `refresh_s` seconds; an API error is shown in the widget and the next
refresh tries again. The widget only reads and calls the functions it is given, so a test builds it from fakes.
"""
import datetime
import functools
import html
import io
import re
import threading

from botocore.exceptions import BotoCoreError, ClientError

from workshop.dashboard import actions
from workshop.dashboard.load import LoadGenerator, plot_overview
from workshop.dashboard.state import (Snapshot, TaskDefinitions, Tables, read_snapshot, rules_table,
                                      targets_table, tables, tasks_table)

MAX_TASKS = 10
GOOD_WORDS = ("RUNNING", "HEALTHY", "healthy")
BAD_WORDS = ("STOPPED", "UNHEALTHY", "unhealthy", "draining", "STOPPING", "missing")
CELL = re.compile(r"<td style='text-align:left'>([A-Za-z]+)</td>")


def describe_error(error: BaseException) -> str:
    """An API error as AWS names it (`Code: Message`), anything else by its type and text."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'ClientError')}: {details.get('Message', error)}"
    return f"{type(error).__name__}: {error}"


def _coloured(table_html: str) -> str:
    """Status cells in green or red, so a failing task catches the eye."""
    def paint(match):
        word = match.group(1)
        colour = "#1a7f37" if word in GOOD_WORDS else "#cf222e" if word in BAD_WORDS else None
        return f"<td style='text-align:left;color:{colour}'>{word}</td>" if colour else match.group(0)
    return CELL.sub(paint, table_html)


class ServiceRow:
    """One service: its name, a slider for the desired count, and what runs."""

    def __init__(self, name: str, on_scale):
        import ipywidgets as widgets

        self.name = name
        self.slider = widgets.IntSlider(min=0, max=MAX_TASKS, description=name, continuous_update=False,
                                        style={"description_width": "90px"}, layout=widgets.Layout(width="360px"))
        self.info = widgets.HTML()
        self.box = widgets.HBox([self.slider, self.info])
        self._quiet = False  # set while the refresh moves the slider, so that is not taken for a request
        self.slider.observe(lambda change: None if self._quiet else on_scale(name, change["new"]), "value")

    def show(self, service) -> None:
        self._quiet = True
        try:
            self.slider.max = max(MAX_TASKS, service.desired)
            self.slider.value = service.desired
        finally:
            self._quiet = False
        rolling = f", {service.deployments} deployments rolling" if service.deployments > 1 else ""
        self.info.value = (f"&nbsp;{service.running} running, {service.pending} pending of {service.desired} · "
                           f"version <b>{html.escape(service.version)}</b>{rolling}")


class Dashboard:
    """Services, tasks, rules and target health, refreshed live; scale, stop a task, run load.

    `read()` returns a Snapshot; `scale(service, count)` and `stop_task(task_arn)` act (None: no controls);
    `load` is a LoadGenerator started and stopped by the load button.
    """

    def __init__(self, read, scale=None, stop_task=None, load: LoadGenerator | None = None,
                 refresh_s: float = 2.0, start: bool = True):
        import ipywidgets as widgets

        self._read, self._scale, self._stop_task, self.load = read, scale, stop_task, load
        self.refresh_s = refresh_s
        self.snapshot: Snapshot | None = None
        self.last_error: str | None = None
        self.refreshes = 0
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._rows: dict[str, ServiceRow] = {}
        self._plotted = -1  # samples in the plot drawn last: drawing is the costly part of a refresh

        self.header = widgets.HTML()
        self.error = widgets.HTML()
        self.message = widgets.HTML()
        self.services = widgets.VBox()
        self.tasks = widgets.HTML()
        self.task_choice = widgets.Dropdown(description="task", layout=widgets.Layout(width="420px"))
        self.stop_button = widgets.Button(description="stop task", button_style="danger", icon="stop",
                                          disabled=stop_task is None)
        self.stop_button.on_click(lambda _: self.stop_chosen_task())
        self.rules = widgets.HTML(layout=widgets.Layout(margin="0 24px 0 0"))
        self.targets = widgets.HTML()
        self.load_button = widgets.ToggleButton(description="load", icon="play", value=False,
                                                disabled=load is None)
        self.load_button.observe(lambda change: self.set_load(change["new"]), "value")
        self.plot = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.load_summary = widgets.HTML()
        controls = [self.services, widgets.HBox([self.task_choice, self.stop_button])] if stop_task else \
            [self.services]
        self.box = widgets.VBox([
            self.header, self.error, self.message, *controls, self.tasks,
            widgets.HBox([self.rules, self.targets]),
            *([widgets.HBox([self.load_button, self.load_summary]), self.plot] if load else []),
        ])
        self.refresh()
        if start:
            self.start()

    # --- the refresh loop ----------------------------------------------------------------------------------------
    def start(self) -> "Dashboard":
        if self._thread is None or not self._thread.is_alive():
            self._closing.clear()
            self._thread = threading.Thread(target=self._loop, daemon=True, name="dashboard refresh")
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._closing.wait(self.refresh_s):
            self.refresh()

    def refresh(self) -> Snapshot | None:
        """Read the state once and show it; an error is shown instead (the last good state stays)."""
        with self._lock:
            try:
                snapshot = self._read()
            except Exception as error:  # any failure is shown, and the next refresh tries again
                self._show_error(f"reading the state failed — {describe_error(error)}")
                return None
            self.snapshot, self.refreshes = snapshot, self.refreshes + 1
            self.last_error, self.error.value = None, ""
            try:
                self._render(snapshot)
            except Exception as error:  # a display problem must not end the refresh loop either
                self._show_error(f"showing the state failed — {describe_error(error)}")
            return snapshot

    def close(self) -> None:
        """Stop refreshing (returns once the thread has ended), stop the load it runs, close the widgets."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join()
        if self.load is not None and self.load.running:
            self.load.stop()
        self.box.close()

    def __enter__(self) -> "Dashboard":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def refreshing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- what the controls do ------------------------------------------------------------------------------------
    def scale(self, service: str, desired: int) -> None:
        self._act(lambda: self._scale(service, desired), f"asked {service} for {desired} tasks")

    def stop_chosen_task(self) -> None:
        task = self.task_choice.value
        if task:
            self._act(lambda: self._stop_task(task), f"stopped task {task.rsplit('/', 1)[-1][:12]}")

    def set_load(self, on: bool) -> None:
        if self.load is None:
            return
        if on and not self.load.running:
            self.load.start()
            self.message.value = f"load: {self.load.rate:g} requests/s to each of {len(self.load.labels)} URLs"
        elif not on and self.load.running:
            self.load.stop()
            self.message.value = f"load stopped after {len(self.load.samples)} requests"
        self.load_button.icon = "stop" if on else "play"
        self._render_load()

    def _act(self, action, done: str) -> None:
        try:
            action()
        except (ClientError, BotoCoreError, ValueError) as error:
            self._show_error(describe_error(error))
            return
        self.message.value = f"✔ {html.escape(done)}"
        self.refresh()

    def _show_error(self, text: str) -> None:
        self.last_error = text
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        self.error.value = f"<span style='color:#cf222e'>✘ {stamp} {html.escape(text)}</span>"

    # --- drawing -------------------------------------------------------------------------------------------------
    def _render(self, snapshot: Snapshot) -> None:
        where = f" · load balancer <code>{html.escape(snapshot.load_balancer_dns)}</code>" \
            if snapshot.load_balancer_dns else ""
        self.header.value = (f"<b>cluster {html.escape(snapshot.cluster)}</b>{where} · "
                             f"{snapshot.taken_at.astimezone().strftime('%H:%M:%S')}")
        self._render_services(snapshot)
        self.tasks.value = _coloured(tasks_table(snapshot)._repr_html_())
        running = [t for t in snapshot.tasks if t.last_status != "STOPPED"]
        options = [(f"{t.id[:12]} · {t.service or 'run-task'} · {t.version} · {t.last_status}", t.arn)
                   for t in running]
        chosen = self.task_choice.value
        self.task_choice.options = options
        self.task_choice.value = chosen if chosen in dict(options).values() else (options[0][1] if options else None)
        self.rules.value = rules_table(snapshot)._repr_html_() if snapshot.rules else ""
        self.targets.value = _coloured(targets_table(snapshot)._repr_html_()) if snapshot.targets else ""
        self._render_load()

    def _render_services(self, snapshot: Snapshot) -> None:
        names = [s.name for s in snapshot.services]
        if names != list(self._rows):
            self._rows = {name: self._rows.get(name) or ServiceRow(name, self.scale) for name in names}
            self.services.children = [row.box for row in self._rows.values()]
        for service in snapshot.services:
            self._rows[service.name].show(service)
            self._rows[service.name].slider.disabled = self._scale is None

    def _render_load(self) -> None:
        if self.load is None:
            return
        samples = self.load.samples
        if not samples or len(samples) == self._plotted:
            return
        self._plotted = len(samples)
        figure = plot_overview(samples, self.load.labels, events=self.load.events, windows=self.load.windows)
        image = io.BytesIO()
        figure.savefig(image, format="png", dpi=80)
        self.plot.value = image.getvalue()
        self.load_summary.value = self.load.summary()._repr_html_()

    # --- without a browser ---------------------------------------------------------------------------------------
    def show(self) -> Tables:
        """The latest state as tables (HTML in Jupyter, text in a saved notebook or a terminal)."""
        shown = Tables(tables(self.snapshot)) if self.snapshot else Tables()
        if self.load is not None and self.load.samples:
            shown.append(self.load.summary(title="load"))
        return shown

    def figure(self):
        """The load's success rate and latency so far, as a matplotlib figure (None before any load)."""
        if self.load is None or not self.load.samples:
            return None
        return plot_overview(self.load.samples, self.load.labels, events=self.load.events,
                             windows=self.load.windows)

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The live widget for JupyterLab, and the tables as HTML/text for viewers without widgets.
        bundle = dict(self.box._repr_mimebundle_(include=include, exclude=exclude) or {})
        shown = self.show()
        bundle["text/plain"] = repr(shown) + (f"\n\n✘ {self.last_error}" if self.last_error else "")
        bundle["text/html"] = shown._repr_html_()
        return bundle


def dashboard(ecs, elbv2=None, cluster: str = "default", load_balancer: str | None = None,
              urls: dict[str, str] | list[str] | None = None, rate: float = 10.0, refresh_s: float = 2.0,
              start: bool = True) -> Dashboard:
    """A live dashboard of `cluster` (and `load_balancer`), with a load generator for `urls` if given."""
    definitions = TaskDefinitions(ecs)
    return Dashboard(
        read=functools.partial(read_snapshot, ecs, elbv2, cluster, load_balancer, definitions=definitions),
        scale=functools.partial(actions.scale, ecs, cluster),
        stop_task=functools.partial(actions.stop_task, ecs, cluster),
        load=LoadGenerator(urls, rate=rate) if urls else None, refresh_s=refresh_s, start=start)
